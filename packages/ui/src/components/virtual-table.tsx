/**
 * A virtualised, sortable table: only the visible rows (plus overscan) exist in the DOM.
 * Rows are store proxies, so each cell updates on its own when its field changes.
 */
import { createMemo, For, Index, Show, type JSX } from 'solid-js'
import { $RAW } from 'solid-js/store'
import { createVirtualizer } from '@tanstack/solid-virtual'
import { sortedIndices, type Compare, type SortDir, type SortState } from '../store/sort.ts'

export interface Column<T> {
  id: string
  title: string
  width: number
  align?: 'right' | 'center'
  sort?: Compare<T>
  /** Direction of the first click on this header (numbers usually want biggest first). */
  sortDefault?: SortDir
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
}

export function VirtualTable<T>(props: VirtualTableProps<T>): JSX.Element {
  let scroller: HTMLDivElement | undefined
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
  const keyOrder = () => {
    const raw = rawRows()
    return order().map((i) => props.rowKey(raw[i]!))
  }
  const totalWidth = createMemo(() => props.columns.reduce((a, c) => a + c.width, 0))

  const virtualizer = createVirtualizer({
    get count() {
      return order().length
    },
    getScrollElement: () => scroller ?? null,
    estimateSize: () => rowHeight(),
    overscan: 8,
  })

  // The pool only grows (a taller pane), so shrinking never rebuilds rows.
  let poolSize = 0
  const slots = createMemo(() => {
    poolSize = Math.max(poolSize, virtualizer.getVirtualItems().length)
    return Array.from({ length: poolSize }, (_, i) => i)
  })
  const bySlot = createMemo(() => {
    const n = slots().length
    const out: Array<{ index: number; start: number } | undefined> = new Array(n)
    for (const it of virtualizer.getVirtualItems()) out[it.index % n] = { index: it.index, start: it.start }
    return out
  })

  return (
    <div class="vt" role="grid" aria-label={props.label} aria-rowcount={order().length} ref={scroller}>
      <div class="vt-head" role="row" style={{ width: `${totalWidth()}px` }}>
        <For each={props.columns}>
          {(c) => (
            <div
              role="columnheader"
              style={{ width: `${c.width}px` }}
              class="vt-th"
              classList={{ sortable: !!c.sort, right: c.align === 'right', center: c.align === 'center' }}
              aria-sort={props.sort?.id === c.id ? (props.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
              data-col={c.id}
              onClick={() => c.sort && props.onSort?.(c.id, c.sortDefault ?? 'asc')}
            >
              {c.title}
              <Show when={props.sort?.id === c.id}>
                <span class="vt-arrow">{props.sort!.dir === 'asc' ? '▲' : '▼'}</span>
              </Show>
            </div>
          )}
        </For>
      </div>
      <Show when={order().length > 0} fallback={<div class="vt-empty">{props.empty}</div>}>
        <div class="vt-body" style={{ height: `${virtualizer.getTotalSize()}px`, width: `${totalWidth()}px` }}>
          {/* A fixed pool of row elements: a row scrolled out is re-bound to the row scrolled in
              (slot = index mod pool size), so scrolling updates text instead of building DOM. */}
          <Index each={slots()}>
            {(slot) => {
              const item = createMemo(() => bySlot()[slot()])
              const index = createMemo(() => item()?.index)
              const row = createMemo(() => {
                const i = index()
                return i === undefined ? undefined : props.rows[order()[i]!]
              })
              const key = createMemo(() => {
                const r = row()
                return r ? props.rowKey(r) : ''
              })
              return (
                <div
                  role="row"
                  class={`vt-row ${row() ? (props.rowClass?.(row()!) ?? '') : ''}`}
                  classList={{ odd: (index() ?? 0) % 2 === 1, selected: props.selected?.(key()) ?? false }}
                  data-key={key()}
                  style={{
                    transform: `translateY(${item()?.start ?? 0}px)`,
                    height: `${rowHeight()}px`,
                    width: `${totalWidth()}px`,
                    display: row() ? undefined : 'none',
                  }}
                  onClick={(e) => props.onRowClick?.(key(), e, keyOrder)}
                  onDblClick={() => props.onRowDblClick?.(key())}
                  onContextMenu={(e) => props.onContextMenu?.(key(), e)}
                >
                  <Show when={row()}>
                    {(r) => (
                      <For each={props.columns}>
                        {(c) => (
                          <div role="gridcell" class="vt-td" style={{ width: `${c.width}px` }} classList={{ right: c.align === 'right', center: c.align === 'center' }}>
                            {c.cell(r())}
                          </div>
                        )}
                      </For>
                    )}
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
