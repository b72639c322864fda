/**
 * A virtualised, sortable table: only the visible rows (plus overscan) exist in the DOM.
 *
 * Rendering cost, measured in headless Chromium with software raster (test/bench/ui.ts):
 *  - A fixed pool of row elements is re-bound while scrolling (slot = index mod pool size). Each slot
 *    has one stable row view (a proxy of whichever row it shows), so its cells are built once and a
 *    re-bind only rewrites the texts and classes that differ; nothing is created while scrolling.
 *  - The visible range is computed here from scrollTop (fixed row height): no virtualizer library
 *    and no store reconcile per scroll event.
 *  - Every moved row makes Chromium re-layerize the whole page, at a cost proportional to the number
 *    of paint chunks; each clipping element (overflow: hidden) starts a chunk. So cells are plain
 *    blocks (one clip, and an ellipsis that works for plain text too), columns whose content
 *    cannot overflow (numbers, fixed labels) say `clip: false`, and the other cells drop their clip
 *    while their text is measured to fit (text-fit.ts).
 */
import {
  createComputed,
  createMemo,
  createRenderEffect,
  createSignal,
  For,
  Index,
  onCleanup,
  onMount,
  Show,
  untrack,
  type JSX,
} from 'solid-js'
import { $RAW } from 'solid-js/store'
import { sortedIndices, type Compare, type SortDir, type SortState } from '../store/sort.ts'
import { cellTextFits } from './text-fit.ts'

export interface Column<T> {
  id: string
  title: string
  width: number
  align?: 'right' | 'center'
  /** false: the content always fits its width (numbers, short fixed labels), so the cell is not clipped. */
  clip?: boolean
  sort?: Compare<T>
  /** Direction of the first click on this header (numbers usually want biggest first). */
  sortDefault?: SortDir
  /**
   * Called once per row element with a stable view of the row it shows (its fields follow re-binds):
   * read fields inside JSX expressions (or return a string) so they update in place.
   */
  cell: (row: T) => JSX.Element
}

export interface VirtualTableProps<T> {
  rows: T[]
  columns: Column<T>[]
  rowKey: (row: T) => string
  /** Changes whenever the rows were updated (the sort reads raw data and depends on this). */
  version: () => number
  sort: SortState | null
  onSort?: (columnId: string, defaultDir: SortDir) => void
  selected?: (key: string) => boolean
  onRowClick?: (key: string, ev: MouseEvent, order: () => string[]) => void
  onRowDblClick?: (key: string) => void
  onContextMenu?: (key: string, ev: MouseEvent) => void
  rowClass?: (row: T) => string
  empty?: JSX.Element
  label: string
  rowHeight?: number
  /**
   * Keyboard use: the table takes focus (Tab) and hands its keys here with the keys in display order;
   * `cursor` is the row the keyboard is on (shown, scrolled into view, announced as the active row).
   */
  onGridKey?: (e: KeyboardEvent, order: () => string[]) => void
  cursor?: string | null
  /** Column resizing: drag a header's right edge, or Alt+Left/Right on a focused header. */
  onResize?: (columnId: string, width: number) => void
  /** The header's context menu (right-click, the menu key or Shift+F10 on a header): show/hide, move. */
  onHeaderMenu?: (columnId: string, at: { x: number; y: number }) => void
}

let tableSeq = 0

/**
 * Rows kept above and below the viewport, ready when the compositor scrolls ahead of the page (rows
 * are re-bound on the scroll event, one frame after the offset moved). Each extra row costs paint and
 * layerization on every frame a row moves, and a re-layout on every update; 4 rows = 104 px each side.
 */
const OVERSCAN = 4

export function VirtualTable<T>(props: VirtualTableProps<T>): JSX.Element {
  let scroller!: HTMLDivElement
  let head!: HTMLDivElement
  const rowHeight = () => props.rowHeight ?? 26

  // Shallow access to the store's plain array: sorting must neither subscribe to every field nor
  // deep-unwrap thousands of rows (solid's unwrap walks the whole tree).
  const rawRows = (): readonly T[] => (props.rows as unknown as Record<symbol, T[] | undefined>)[$RAW] ?? props.rows
  const order = createMemo(() => {
    props.version()
    const raw = rawRows()
    const s = props.sort
    const col = s ? props.columns.find((c) => c.id === s.id) : undefined
    return sortedIndices(raw, col?.sort, s?.dir ?? 'asc')
  })
  const count = () => order().length
  const keyOrder = () => {
    const raw = rawRows()
    return order().map((i) => props.rowKey(raw[i]!))
  }
  const totalWidth = createMemo(() => props.columns.reduce((a, c) => a + c.width, 0))
  const idPrefix = `vt${++tableSeq}-`
  const rowId = (key: string) => `${idPrefix}${key}`

  const [scrollTop, setScrollTop] = createSignal(0)
  const [viewport, setViewport] = createSignal(0)
  const [headHeight, setHeadHeight] = createSignal(0)
  onMount(() => {
    // Read scrollTop once per scroll event (dispatched once per frame, before any DOM write of it).
    const onScroll = () => setScrollTop(scroller.scrollTop)
    scroller.addEventListener('scroll', onScroll, { passive: true })
    // Layout is clean inside ResizeObserver callbacks: these reads force nothing.
    const ro = new ResizeObserver(() => {
      setViewport(scroller.clientHeight)
      setHeadHeight(head.offsetHeight)
    })
    ro.observe(scroller)
    ro.observe(head)
    onCleanup(() => {
      scroller.removeEventListener('scroll', onScroll)
      ro.disconnect()
    })
  })

  // The pool only grows (a taller pane), so shrinking never rebuilds rows.
  let poolMax = 0
  const poolSize = createMemo(
    () =>
      (poolMax = Math.max(poolMax, Math.ceil(Math.max(0, viewport() - headHeight()) / rowHeight()) + 1 + 2 * OVERSCAN)),
  )
  const slots = createMemo(() => Array.from({ length: poolSize() }, (_, i) => i))
  // First index of the window of poolSize() consecutive rows held by the pool.
  const start = createMemo(() => {
    const first = Math.floor(Math.max(0, scrollTop() - headHeight()) / rowHeight())
    return Math.max(0, Math.min(first - OVERSCAN, count() - poolSize()))
  })
  /** Row index shown by a slot, or -1. */
  const indexOf = (slot: number, s0: number, p: number, n: number) => {
    const i = s0 + ((((slot - s0) % p) + p) % p)
    return i < n ? i : -1
  }
  // One pass per scroll step sets each slot's index signal; only the slots whose index changed
  // (one or two per frame) notify their row, instead of every slot re-checking a shared memo.
  const slotSetters: Array<(i: number) => void> = []
  createComputed(() => {
    const s0 = start()
    const p = poolSize()
    const n = count()
    for (let s = 0; s < slotSetters.length; s++) slotSetters[s]?.(indexOf(s, s0, p, n))
  })

  // Cells of columns that may overflow start clipped; once their row is bound or updated, those whose
  // text fits get `.fits` (no clip, see text-fit.ts). Checked in a microtask, after solid wrote the DOM.
  const toFit = new Set<HTMLElement>()
  let padding = -1
  const fitRows = () => {
    const cols = props.columns
    for (const rowEl of toFit) {
      const cells = rowEl.children
      if (cells.length !== cols.length || rowEl.style.display === 'none') continue
      if (padding < 0) {
        const s = getComputedStyle(cells[0]!)
        padding = parseFloat(s.paddingLeft) + parseFloat(s.paddingRight)
      }
      for (let i = 0; i < cols.length; i++) {
        const c = cols[i]!
        if (c.clip === false) continue
        const cell = cells[i]!
        const fits = cellTextFits(cell, `${props.label}:${c.id}`, c.width - padding)
        if (fits !== cell.classList.contains('fits')) cell.classList.toggle('fits', fits)
      }
    }
    toFit.clear()
  }
  const fitLater = (rowEl: HTMLElement) => {
    if (toFit.size === 0) queueMicrotask(fitRows)
    toFit.add(rowEl)
  }

  // The cursor row stays in view: scroll just enough when the keyboard moves it off screen.
  createRenderEffect(() => {
    const key = props.cursor
    if (!key || !props.onGridKey || !scroller) return
    const raw = untrack(rawRows)
    const i = untrack(order).findIndex((r) => props.rowKey(raw[r]!) === key)
    if (i < 0) return
    const top = i * rowHeight() + untrack(headHeight)
    const view = scroller.clientHeight
    if (top - untrack(headHeight) < scroller.scrollTop) scroller.scrollTop = top - untrack(headHeight)
    else if (top + rowHeight() > scroller.scrollTop + view) scroller.scrollTop = top + rowHeight() - view
  })
  const sortKey = (e: KeyboardEvent, c: Column<T>) => {
    if ((e.key === 'Enter' || e.key === ' ') && c.sort) {
      e.preventDefault()
      props.onSort?.(c.id, c.sortDefault ?? 'asc')
    } else if (e.altKey && (e.key === 'ArrowLeft' || e.key === 'ArrowRight') && props.onResize) {
      e.preventDefault()
      props.onResize(c.id, c.width + (e.key === 'ArrowLeft' ? -10 : 10))
    } else if ((e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) && props.onHeaderMenu) {
      e.preventDefault()
      const r = (e.currentTarget as HTMLElement).getBoundingClientRect()
      props.onHeaderMenu(c.id, { x: r.left, y: r.bottom })
    }
  }
  /** Drag a header's right edge: the width follows the pointer (the click does not sort). */
  const startResize = (e: PointerEvent, c: Column<T>) => {
    if (!props.onResize) return
    e.preventDefault()
    e.stopPropagation()
    const x0 = e.clientX
    const w0 = c.width
    const handle = e.currentTarget as HTMLElement
    handle.setPointerCapture(e.pointerId)
    const move = (m: PointerEvent) => props.onResize?.(c.id, w0 + m.clientX - x0)
    const up = () => {
      handle.removeEventListener('pointermove', move)
      handle.removeEventListener('pointerup', up)
    }
    handle.addEventListener('pointermove', move)
    handle.addEventListener('pointerup', up)
  }

  return (
    <div
      class="vt"
      role="grid"
      aria-label={props.label}
      aria-rowcount={count()}
      ref={scroller}
      style={{ '--vt-row-h': `${rowHeight()}px` }}
      tabindex={props.onGridKey ? 0 : undefined}
      aria-multiselectable={props.onGridKey ? 'true' : undefined}
      aria-activedescendant={props.onGridKey && props.cursor ? rowId(props.cursor) : undefined}
      onKeyDown={(e) => {
        if (e.target !== e.currentTarget) return // a header's own keys
        props.onGridKey?.(e, keyOrder)
      }}
    >
      <div class="vt-head" role="row" ref={head} style={{ width: `${totalWidth()}px` }}>
        <For each={props.columns}>
          {(c) => (
            <div
              role="columnheader"
              style={{ width: `${c.width}px` }}
              class="vt-th"
              classList={{ sortable: !!c.sort, right: c.align === 'right', center: c.align === 'center' }}
              aria-sort={props.sort?.id === c.id ? (props.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
              data-col={c.id}
              tabindex={(c.sort && props.onSort) || props.onHeaderMenu ? 0 : undefined}
              onKeyDown={(e) => sortKey(e, c)}
              onClick={() => c.sort && props.onSort?.(c.id, c.sortDefault ?? 'asc')}
              onContextMenu={(e) => {
                if (!props.onHeaderMenu) return
                e.preventDefault()
                props.onHeaderMenu(c.id, { x: e.clientX, y: e.clientY })
              }}
            >
              {c.title}
              <Show when={props.sort?.id === c.id}>
                <span class="vt-arrow">{props.sort!.dir === 'asc' ? '▲' : '▼'}</span>
              </Show>
              <Show when={props.onResize}>
                <span
                  class="vt-resize"
                  aria-hidden="true"
                  onPointerDown={(e) => startResize(e, c)}
                  onClick={(e) => e.stopPropagation()}
                />
              </Show>
            </div>
          )}
        </For>
      </div>
      <Show when={count() > 0} fallback={<div class="vt-empty">{props.empty}</div>}>
        <div class="vt-body" style={{ height: `${count() * rowHeight()}px`, width: `${totalWidth()}px` }}>
          {/* A fixed pool of row elements: a row scrolled out is re-bound to the row scrolled in
              (slot = index mod pool size), so scrolling updates text instead of building DOM. */}
          <Index each={slots()}>
            {(_, slot) => {
              const [index, setIndex] = createSignal(untrack(() => indexOf(slot, start(), poolSize(), count())))
              slotSetters[slot] = setIndex
              onCleanup(() => {
                if (slotSetters[slot] === setIndex) delete slotSetters[slot]
              })
              const row = createMemo(() => {
                const i = index()
                return i < 0 ? undefined : props.rows[order()[i]!]
              })
              // The plain object behind the store row: fields are read untracked, once per version.
              const plain = createMemo(() => {
                const r = row() as Record<PropertyKey, unknown> | undefined
                return r && ((r[$RAW] as Record<PropertyKey, unknown> | undefined) ?? r)
              })
              // The row this element shows, as one object for the cells' whole life. A read depends on
              // the row shown and on the version (bumped by every update of the rows), not on each
              // field: the model may patch rows in place without notifying (patchRowsInPlace).
              const view = new Proxy({} as Record<PropertyKey, unknown>, {
                get: (_t, k) => {
                  props.version()
                  return plain()?.[k]
                },
                has: (_t, k) => {
                  props.version()
                  return k in (plain() ?? {})
                },
              }) as unknown as T
              const key = createMemo(() => (row() ? props.rowKey(view) : ''))
              const cls = () => {
                const extra = row() ? props.rowClass?.(view) : ''
                const cursor = props.onGridKey && key() && props.cursor === key() ? ' cursor' : ''
                return `vt-row${index() % 2 === 1 ? ' odd' : ''}${props.selected?.(key()) ? ' selected' : ''}${cursor}${extra ? ` ${extra}` : ''}`
              }
              let rowEl: HTMLDivElement | undefined
              createRenderEffect(() => {
                index()
                props.version()
                if (rowEl) fitLater(rowEl)
              })
              return (
                <div
                  ref={(el) => {
                    rowEl = el
                    fitLater(el)
                  }}
                  role="row"
                  class={cls()}
                  id={key() ? rowId(key()) : undefined}
                  aria-selected={props.selected ? (props.selected(key()) ? 'true' : 'false') : undefined}
                  data-key={key()}
                  style={{
                    transform: `translateY(${Math.max(0, index()) * rowHeight()}px)`,
                    height: `${rowHeight()}px`,
                    'line-height': `${rowHeight()}px`,
                    width: `${totalWidth()}px`,
                    display: row() ? undefined : 'none',
                  }}
                  onClick={(e) => props.onRowClick?.(key(), e, keyOrder)}
                  onDblClick={() => props.onRowDblClick?.(key())}
                  onContextMenu={(e) => props.onContextMenu?.(key(), e)}
                >
                  <Show when={!!row()}>
                    <For each={props.columns}>
                      {(c) => (
                        <div
                          role="gridcell"
                          data-col={c.id}
                          class={`vt-td${c.align ? ` ${c.align}` : ''}${c.clip === false ? ' noclip' : ''}`}
                          style={{ width: `${c.width}px` }}
                        >
                          {c.cell(view)}
                        </div>
                      )}
                    </For>
                  </Show>
                </div>
              )
            }}
          </Index>
        </div>
      </Show>
    </div>
  )
}
