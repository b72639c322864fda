import { createEffect, onCleanup, onMount, Show, type JSX } from 'solid-js'
import type { PiecesView } from '@tidepool/engine'

/** Reads a CSS custom property so the canvas follows the theme. */
function cssVar(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback
}

/** One cell per piece (cells shrink for big torrents; several pieces per cell beyond ~20k). */
export function PiecesMap(props: { pieces: PiecesView | null }): JSX.Element {
  let canvas: HTMLCanvasElement | undefined
  let width = 0
  const draw = () => {
    const p = props.pieces
    if (!canvas || !p) return
    const w = Math.max(100, width)
    const n = p.states.length
    const maxCells = 20_000
    const per = Math.max(1, Math.ceil(n / maxCells))
    const cells = Math.ceil(n / per)
    const size = Math.max(3, Math.min(14, Math.floor(Math.sqrt((w * 260) / Math.max(1, cells)))))
    const cols = Math.max(1, Math.floor(w / size))
    const rows = Math.ceil(cells / cols)
    const dpr = globalThis.devicePixelRatio || 1
    canvas.width = Math.floor(cols * size * dpr)
    canvas.height = Math.floor(rows * size * dpr)
    canvas.style.width = `${cols * size}px`
    canvas.style.height = `${rows * size}px`
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    ctx.scale(dpr, dpr)
    const colors = [
      cssVar(canvas, '--piece-missing', '#ddd'),
      cssVar(canvas, '--piece-downloading', '#f5a623'),
      cssVar(canvas, '--piece-have', '#2f80ed'),
      cssVar(canvas, '--piece-skip', '#aaa'),
    ]
    for (let c = 0; c < cells; c++) {
      // A cell covering several pieces shows the "least done" of them.
      let s = 2
      for (let k = c * per; k < Math.min(n, (c + 1) * per); k++) {
        const v = p.states[k]!
        if (v === 0) {
          s = 0
          break
        }
        if (v === 1) s = 1
        else if (v === 3 && s === 2) s = 3
      }
      ctx.fillStyle = colors[s]!
      ctx.fillRect((c % cols) * size, Math.floor(c / cols) * size, size - 1, size - 1)
    }
  }
  onMount(() => {
    const ro = new ResizeObserver((entries) => {
      width = entries[0]?.contentRect.width ?? 0
      draw()
    })
    if (canvas?.parentElement) ro.observe(canvas.parentElement)
    onCleanup(() => ro.disconnect())
  })
  createEffect(draw)
  const count = (v: number) => {
    const p = props.pieces
    if (!p) return 0
    let k = 0
    for (const s of p.states) if (s === v) k++
    return k
  }
  return (
    <div class="pieces">
      <Show when={props.pieces} fallback={<div class="vt-empty">No piece map yet (metadata not received).</div>}>
        {(p) => (
          <div class="legend">
            <span>
              <i class="sw have" /> have {count(2)}
            </span>
            <span>
              <i class="sw downloading" /> downloading {count(1)}
            </span>
            <span>
              <i class="sw missing" /> missing {count(0)}
            </span>
            <span>
              <i class="sw skip" /> skipped {count(3)}
            </span>
            <span class="dim">
              {p().pieceCount} pieces × {Math.round(p().pieceLength / 1024)} KiB
            </span>
          </div>
        )}
      </Show>
      <div class="pieces-canvas">
        <canvas ref={canvas} aria-label="Piece map" />
      </div>
    </div>
  )
}
