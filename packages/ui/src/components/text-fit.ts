/**
 * Whether a table cell's text fits its width, measured with a canvas (no layout read).
 *
 * Why: a cell that may overflow needs `overflow: hidden` for its ellipsis, and in Chromium every
 * clipping element starts a paint chunk, which costs on every frame where the page is re-layerized
 * (each frame of a scrolled virtual table). Most cells' texts fit, so they drop the clip.
 */

interface Measurer {
  ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null
  /** Advance of each character below U+0250 (Latin), measured once. */
  advances: number[]
  widths: Map<string, number>
}
/**
 * One canvas per font: assigning `ctx.font` parses and resolves the font each time (~50 µs).
 * OffscreenCanvas: a document canvas's measureText first brings the page's style up to date.
 */
const measurers = new Map<string, Measurer>()
const fonts = new Map<string, string>()
/** The text each cell was last checked with, and the answer. */
const checked = new WeakMap<Element, { text: string; width: number; fits: boolean }>()
const LATIN_END = 0x250

function measurer(font: string): Measurer {
  let m = measurers.get(font)
  if (!m) {
    const ctx =
      typeof OffscreenCanvas === 'function'
        ? new OffscreenCanvas(1, 1).getContext('2d')
        : document.createElement('canvas').getContext('2d')
    if (ctx) ctx.font = font
    m = { ctx, advances: [], widths: new Map() }
    if (ctx) {
      // Cells use tabular digits: every digit as wide as the widest one.
      let digit = 0
      for (let d = 0; d < 10; d++) digit = Math.max(digit, ctx.measureText(String(d)).width)
      for (let d = 0; d < 10; d++) m.advances[48 + d] = digit
    }
    measurers.set(font, m)
  }
  return m
}

/**
 * Width of `text` in `font`. Latin text: the sum of per-character advances (an upper bound but for
 * rare positive kerning; no measureText per new string: addresses and rates are new strings all the
 * time, and measureText costs ~10-70 µs in the middle of a frame). Other scripts shape, so measure.
 */
function measure(font: string, text: string): number {
  const m = measurer(font)
  const ctx = m.ctx
  if (!ctx) return Infinity
  let sum = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= LATIN_END) {
      sum = -1
      break
    }
    let a = m.advances[code]
    if (a === undefined) a = m.advances[code] = ctx.measureText(text[i]!).width
    sum += a
  }
  if (sum >= 0) return sum
  let w = m.widths.get(text)
  if (w === undefined) {
    w = ctx.measureText(text).width
    if (m.widths.size > 5_000) m.widths.clear()
    m.widths.set(text, w)
  }
  return w
}

/** The element whose font draws all of the cell's text, or null for mixed content (keep the clip). */
function textElement(cell: Element): Element | null {
  let el: Element = cell
  const nodes = cell.childNodes
  if (nodes.length === 1 && nodes[0]!.nodeType === Node.ELEMENT_NODE) el = nodes[0] as Element
  for (const n of el.childNodes) if (n.nodeType !== Node.TEXT_NODE && n.nodeType !== Node.COMMENT_NODE) return null
  return el
}

/**
 * True when the text of `cell` fits in `width` px (its content box), with a small margin for
 * measuring differences (tabular digits, rounding). `scope` names the column (fonts are cached by it).
 */
export function cellTextFits(cell: Element, scope: string, width: number): boolean {
  const text = cell.textContent ?? ''
  const last = checked.get(cell)
  if (last && last.text === text && last.width === width) return last.fits
  let fits = true
  if (text) {
    const el = textElement(cell)
    if (!el) fits = false
    else {
      const fontKey = el === cell ? scope : `${scope} ${el.tagName} ${el.className}`
      let font = fonts.get(fontKey)
      if (font === undefined) {
        const s = getComputedStyle(el)
        font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`
        fonts.set(fontKey, font)
      }
      fits = measure(font, text) <= width - 3
    }
  }
  checked.set(cell, { text, width, fits })
  return fits
}
