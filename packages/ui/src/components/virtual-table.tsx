/**
 * A virtualised, sortable table: only the visible rows (plus overscan) exist in the DOM.
 * Rows are store proxies, so each cell updates on its own when its field changes.
 */
import { createMemo, For, Show, type JSX } from 'solid-js'
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
          <For each={virtualizer.getVirtualItems()}>
            {(item) => {
              const row = createMemo(() => props.rows[order()[item.index]!])
              const key = createMemo(() => {
                const r = row()
                return r ? props.rowKey(r) : ''
              })
              return (
                <Show when={row()}>
                  {(r) => (
                    <div
                      role="row"
                      class={`vt-row ${props.rowClass?.(r()) ?? ''}`}
                      classList={{ odd: item.index % 2 === 1, selected: props.selected?.(key()) ?? false }}
                      data-key={key()}
                      style={{
                        transform: `translateY(${item.start}px)`,
                        height: `${rowHeight()}px`,
                        width: `${totalWidth()}px`,
                      }}
                      onClick={(e) => props.onRowClick?.(key(), e, keyOrder)}
                      onDblClick={() => props.onRowDblClick?.(key())}
                      onContextMenu={(e) => props.onContextMenu?.(key(), e)}
                    >
                      <For each={props.columns}>
                        {(c) => (
                          <div role="gridcell" class="vt-td" style={{ width: `${c.width}px` }} classList={{ right: c.align === 'right', center: c.align === 'center' }}>
                            {c.cell(r())}
                          </div>
                        )}
                      </For>
                    </div>
                  )}
                </Show>
              )
            }}
          </For>
        </div>
      </Show>
    </div>
  )
}
