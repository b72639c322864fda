// Sorting for the tables: sort row indices of the raw (unwrapped) array, so sorting never subscribes
// to thousands of store fields; ties keep the engine's order so rows don't jump between updates.

export type SortDir = 'asc' | 'desc'
export interface SortState { id: string; dir: SortDir }
export type Compare<T> = (a: T, b: T) => number

export function sortedIndices<T>(rows: readonly T[], cmp: Compare<T> | undefined, dir: SortDir): number[] {
  const idx = Array.from({ length: rows.length }, (_, i) => i)
  if (!cmp) return idx
  const sign = dir === 'asc' ? 1 : -1
  idx.sort((a, b) => sign * cmp(rows[a]!, rows[b]!) || a - b)
  return idx
}

export const byNumber = <T,>(get: (r: T) => number | null | undefined): Compare<T> => (a, b) => {
  const x = get(a) ?? Infinity
  const y = get(b) ?? Infinity
  return x === y ? 0 : x < y ? -1 : 1
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })
export const byText = <T,>(get: (r: T) => string): Compare<T> => (a, b) => collator.compare(get(a), get(b))

/** Next sort state when a header is clicked: new column → its default direction; same column → flip. */
export function nextSort(cur: SortState | null, id: string, defaultDir: SortDir = 'asc'): SortState {
  if (!cur || cur.id !== id) return { id, dir: defaultDir }
  return { id, dir: cur.dir === 'asc' ? 'desc' : 'asc' }
}

/** Selection after a click on `key` in the displayed order (plain, ctrl/meta toggle, shift range). */
export function nextSelection(
  order: readonly string[], selected: ReadonlySet<string>, anchor: string | null, key: string,
  mods: { toggle: boolean; range: boolean },
): { selected: Set<string>; anchor: string } {
  if (mods.range && anchor !== null) {
    const a = order.indexOf(anchor)
    const b = order.indexOf(key)
    if (a >= 0 && b >= 0) {
      const [lo, hi] = a < b ? [a, b] : [b, a]
      return { selected: new Set(order.slice(lo, hi + 1)), anchor }
    }
  }
  if (mods.toggle) {
    const s = new Set(selected)
    if (s.has(key)) s.delete(key); else s.add(key)
    return { selected: s, anchor: key }
  }
  return { selected: new Set([key]), anchor: key }
}
