import { describe, expect, it } from 'vitest'
import { byNumber, byText, nextSort, sortedIndices } from './sort.ts'

describe('sortedIndices', () => {
  const rows = [
    { n: 'b10', v: 3 },
    { n: 'b9', v: 1 },
    { n: 'a', v: 3 },
    { n: 'c', v: null },
  ]
  it('sorts numbers both ways, ties in original order, nulls last ascending', () => {
    expect(
      sortedIndices(
        rows,
        byNumber((r) => r.v),
        'asc',
      ),
    ).toEqual([1, 0, 2, 3])
    expect(
      sortedIndices(
        rows,
        byNumber((r) => r.v),
        'desc',
      ),
    ).toEqual([3, 0, 2, 1])
  })
  it('sorts text naturally', () => {
    expect(
      sortedIndices(
        rows,
        byText((r) => r.n),
        'asc',
      ),
    ).toEqual([2, 1, 0, 3])
  })
  it('keeps engine order without a comparator', () => {
    expect(sortedIndices(rows, undefined, 'asc')).toEqual([0, 1, 2, 3])
  })
})

describe('nextSort', () => {
  it('starts with the default direction and flips on the same column', () => {
    const s = nextSort(null, 'rate', 'desc')
    expect(s).toEqual({ id: 'rate', dir: 'desc' })
    expect(nextSort(s, 'rate')).toEqual({ id: 'rate', dir: 'asc' })
    expect(nextSort(s, 'name')).toEqual({ id: 'name', dir: 'asc' })
  })
})

describe('sortedIndices with key extraction (byNumber/byText) matches the plain comparator', () => {
  const plain =
    <T>(c: (a: T, b: T) => number) =>
    (a: T, b: T) =>
      c(a, b)
  const words = ['b10', 'B9', 'a', 'A', 'é', 'e', 'c', '', 'b9', 'b10', 'z1', 'z01']
  const rows = Array.from({ length: 60 }, (_, i) => ({
    t: words[(i * 7) % words.length]!,
    v: [3, null, 1, NaN, 3, -0, 0, 2][i % 8] as number | null,
  }))
  for (const dir of ['asc', 'desc'] as const) {
    it(`text ${dir}`, () => {
      const c = byText((r: (typeof rows)[number]) => r.t)
      expect(sortedIndices(rows, c, dir)).toEqual(sortedIndices(rows, plain(c), dir))
      // Second sort: ranks come from the cache.
      expect(sortedIndices(rows, c, dir)).toEqual(sortedIndices(rows, plain(c), dir))
      // A new text invalidates the cache.
      const more = [...rows, { t: 'b95', v: 0 }]
      expect(sortedIndices(more, c, dir)).toEqual(sortedIndices(more, plain(c), dir))
    })
    it(`numbers ${dir}`, () => {
      const c = byNumber((r: (typeof rows)[number]) => r.v)
      expect(
        sortedIndices(
          rows.filter((r) => !Number.isNaN(r.v)),
          c,
          dir,
        ),
      ).toEqual(
        sortedIndices(
          rows.filter((r) => !Number.isNaN(r.v)),
          plain(c),
          dir,
        ),
      )
    })
  }
})
