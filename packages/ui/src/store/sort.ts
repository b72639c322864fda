// Sorting for the tables: sort row indices of the raw (unwrapped) array, so sorting never subscribes
// to thousands of store fields; ties keep the engine's order so rows don't jump between updates.

export type SortDir = 'asc' | 'desc'
export interface SortState {
  id: string
  dir: SortDir
}
/**
 * A row comparator. Those made by `byNumber` / `byText` also carry their key getter, so sortedIndices
 * reads each row's key once and compares plain numbers (the tables re-sort 2,000 rows on every update).
 */
export type Compare<T> = ((a: T, b: T) => number) & {
  num?: (r: T) => number | null | undefined
  text?: (r: T) => string
}

export function sortedIndices<T>(rows: readonly T[], cmp: Compare<T> | undefined, dir: SortDir): number[] {
  const n = rows.length
  const idx = Array.from({ length: n }, (_, i) => i)
  if (!cmp) return idx
  const sign = dir === 'asc' ? 1 : -1
  const keys = cmp.num ? numberKeys(rows, cmp.num) : cmp.text ? textRanks(rows, cmp.text, cmp) : null
  if (!keys) {
    idx.sort((a, b) => sign * cmp(rows[a]!, rows[b]!) || a - b)
    return idx
  }
  // Same order as the comparator: equal keys keep the engine's order in both directions.
  idx.sort((a, b) => {
    const x = keys[a]!
    const y = keys[b]!
    return x === y ? a - b : x < y ? -sign : sign
  })
  return idx
}

function numberKeys<T>(rows: readonly T[], get: (r: T) => number | null | undefined): Float64Array {
  const keys = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) keys[i] = get(rows[i]!) ?? Infinity
  return keys
}

// Collation rank of every distinct string seen by a text comparator in its last sort. Rows keep their
// texts between updates (addresses, clients), so a re-sort usually needs no collator call at all.
const rankCache = new WeakMap<object, Map<string, number>>()

function textRanks<T>(rows: readonly T[], get: (r: T) => string, owner: object): Float64Array {
  const texts = rows.map(get)
  let ranks = rankCache.get(owner)
  if (!ranks || texts.some((t) => !ranks!.has(t))) {
    const distinct = [...new Set(texts)].sort(collator.compare)
    ranks = new Map()
    // Strings the collator calls equal (case, accents) share a rank, as they would compare 0.
    let r = 0
    for (let i = 0; i < distinct.length; i++) {
      if (i > 0 && collator.compare(distinct[i - 1]!, distinct[i]!) !== 0) r = i
      ranks.set(distinct[i]!, r)
    }
    rankCache.set(owner, ranks)
  }
  const keys = new Float64Array(texts.length)
  for (let i = 0; i < texts.length; i++) keys[i] = ranks.get(texts[i]!)!
  return keys
}

export const byNumber = <T>(get: (r: T) => number | null | undefined): Compare<T> =>
  Object.assign(
    (a: T, b: T) => {
      const x = get(a) ?? Infinity
      const y = get(b) ?? Infinity
      return x === y ? 0 : x < y ? -1 : 1
    },
    { num: get },
  )

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })
export const byText = <T>(get: (r: T) => string): Compare<T> =>
  Object.assign((a: T, b: T) => collator.compare(get(a), get(b)), { text: get })

/** Next sort state when a header is clicked: new column → its default direction; same column → flip. */
export function nextSort(cur: SortState | null, id: string, defaultDir: SortDir = 'asc'): SortState {
  if (!cur || cur.id !== id) return { id, dir: defaultDir }
  return { id, dir: cur.dir === 'asc' ? 'desc' : 'asc' }
}
