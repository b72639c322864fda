/**
 * Which columns a table shows, in what order and how wide, plus its sort: changed by the user, kept
 * in localStorage per table, applied to the table's column list. Pure apart from load/save.
 */
import type { SortState } from './sort.ts'

export interface ColumnLayout {
  order: string[]
  hidden: string[]
  widths: Record<string, number>
  sort?: SortState | null
}

export const EMPTY_LAYOUT: ColumnLayout = { order: [], hidden: [], widths: {} }
export const MIN_WIDTH = 40
const MAX_WIDTH = 1200

/** The columns as laid out: saved order first (unknown ids dropped, new columns at their place), hidden ones left out. */
export function applyLayout<C extends { id: string; width: number }>(columns: readonly C[], l: ColumnLayout): C[] {
  const byId = new Map(columns.map((c) => [c.id, c]))
  const ordered = l.order.filter((id) => byId.has(id)).map((id) => byId.get(id)!)
  for (const c of columns)
    if (!l.order.includes(c.id)) ordered.splice(Math.min(columns.indexOf(c), ordered.length), 0, c)
  return ordered
    .filter((c) => !l.hidden.includes(c.id))
    .map((c) => (l.widths[c.id] ? { ...c, width: l.widths[c.id]! } : c))
}

export function toggleHidden(l: ColumnLayout, id: string, allIds: readonly string[]): ColumnLayout {
  const hidden = l.hidden.includes(id) ? l.hidden.filter((h) => h !== id) : [...l.hidden, id]
  // at least one column stays
  if (allIds.every((c) => hidden.includes(c))) return l
  return { ...l, hidden }
}

/** Moves a column one place left (-1) or right (+1), past its visible neighbour (hidden ones are stepped over). */
export function moveColumn(l: ColumnLayout, id: string, by: -1 | 1, allIds: readonly string[]): ColumnLayout {
  const order = [...l.order.filter((c) => allIds.includes(c)), ...allIds.filter((c) => !l.order.includes(c))]
  const i = order.indexOf(id)
  let j = i + by
  while (j >= 0 && j < order.length && l.hidden.includes(order[j]!)) j += by
  if (i < 0 || j < 0 || j >= order.length) return l
  order.splice(i, 1)
  order.splice(j, 0, id)
  return { ...l, order }
}

export function resizeColumn(l: ColumnLayout, id: string, width: number): ColumnLayout {
  return { ...l, widths: { ...l.widths, [id]: Math.round(Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, width))) } }
}

export function loadLayout(
  key: string,
  store: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage,
): ColumnLayout {
  try {
    const v = JSON.parse(store?.getItem(key) ?? 'null') as Partial<ColumnLayout> | null
    if (!v || typeof v !== 'object') return EMPTY_LAYOUT
    return {
      order: Array.isArray(v.order) ? v.order.filter((x): x is string => typeof x === 'string') : [],
      hidden: Array.isArray(v.hidden) ? v.hidden.filter((x): x is string => typeof x === 'string') : [],
      widths:
        v.widths && typeof v.widths === 'object'
          ? Object.fromEntries(Object.entries(v.widths).filter(([, w]) => typeof w === 'number' && w >= MIN_WIDTH))
          : {},
      ...(v.sort && typeof v.sort.id === 'string' && (v.sort.dir === 'asc' || v.sort.dir === 'desc')
        ? { sort: { id: v.sort.id, dir: v.sort.dir } }
        : {}),
    }
  } catch {
    return EMPTY_LAYOUT // a damaged entry: the default layout
  }
}

export function saveLayout(
  key: string,
  l: ColumnLayout,
  store: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage,
): void {
  try {
    store?.setItem(key, JSON.stringify(l))
  } catch {
    /* storage full or disabled: the layout lasts this session only */
  }
}
