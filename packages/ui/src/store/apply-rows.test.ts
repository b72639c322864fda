import { createRoot, createEffect } from 'solid-js'
import { createStore } from 'solid-js/store'
import { describe, expect, it } from 'vitest'
import { applyRows } from './apply-rows.ts'

interface Row {
  key: string
  n: number
  tags: string[]
  err?: string
}

describe('applyRows', () => {
  it('updates changed fields in place and keeps row identity', () => {
    createRoot((dispose) => {
      const [rows, setRows] = createStore<Row[]>([
        { key: 'a', n: 1, tags: ['x'] },
        { key: 'b', n: 2, tags: ['y'], err: 'bad' },
      ])
      const first = rows[0]
      const seen: number[] = []
      createEffect(() => seen.push(rows[1]!.n))
      setRows(
        applyRows(
          rows,
          [
            { key: 'a', n: 1, tags: ['x'] },
            { key: 'b', n: 5, tags: ['y'] },
          ],
          'key',
        ),
      )
      expect(rows[0]).toBe(first)
      expect(rows[1]!.n).toBe(5)
      expect('err' in rows[1]!).toBe(false)
      dispose()
    })
  })
  it('reorders, adds and removes by key', () => {
    const [rows, setRows] = createStore<Row[]>([
      { key: 'a', n: 1, tags: [] },
      { key: 'b', n: 2, tags: [] },
    ])
    setRows(
      applyRows(
        rows,
        [
          { key: 'c', n: 3, tags: [] },
          { key: 'a', n: 9, tags: [] },
        ],
        'key',
      ),
    )
    expect(rows.map((r) => `${r.key}${r.n}`)).toEqual(['c3', 'a9'])
  })
})

describe('patchRowsInPlace', () => {
  it('patches fields of the same keys in place; refuses other keys', async () => {
    const { patchRowsInPlace } = await import('./apply-rows.ts')
    createRoot((dispose) => {
      const [rows, setRows] = createStore<Row[]>([
        { key: 'a', n: 1, tags: ['x'] },
        { key: 'b', n: 2, tags: ['y'], err: 'bad' },
      ])
      const first = rows[0]
      expect(
        patchRowsInPlace(
          rows,
          [
            { key: 'a', n: 1, tags: ['x'] },
            { key: 'b', n: 5, tags: ['z'] },
          ],
          'key',
        ),
      ).toBe(true)
      expect(rows[0]).toBe(first)
      expect(rows[1]!.n).toBe(5)
      expect(rows[1]!.tags).toEqual(['z'])
      expect('err' in rows[1]!).toBe(false)
      expect(
        patchRowsInPlace(
          rows,
          [
            { key: 'b', n: 5, tags: [] },
            { key: 'a', n: 1, tags: [] },
          ],
          'key',
        ),
      ).toBe(false)
      expect(rows[0]!.key).toBe('a')
      setRows(applyRows(rows, [{ key: 'b', n: 6, tags: [] }], 'key'))
      expect(rows.map((r) => r.key)).toEqual(['b'])
      dispose()
    })
  })
})
