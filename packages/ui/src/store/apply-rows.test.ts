import { createRoot, createEffect } from 'solid-js'
import { createStore } from 'solid-js/store'
import { describe, expect, it } from 'vitest'
import { applyRows } from './apply-rows.ts'

interface Row { key: string; n: number; tags: string[]; err?: string }

describe('applyRows', () => {
  it('updates changed fields in place and keeps row identity', () => {
    createRoot((dispose) => {
      const [rows, setRows] = createStore<Row[]>([{ key: 'a', n: 1, tags: ['x'] }, { key: 'b', n: 2, tags: ['y'], err: 'bad' }])
      const first = rows[0]
      const seen: number[] = []
      createEffect(() => seen.push(rows[1]!.n))
      setRows(applyRows(rows, [{ key: 'a', n: 1, tags: ['x'] }, { key: 'b', n: 5, tags: ['y'] }], 'key'))
      expect(rows[0]).toBe(first)
      expect(rows[1]!.n).toBe(5)
      expect('err' in rows[1]!).toBe(false)
      dispose()
    })
  })
  it('reorders, adds and removes by key', () => {
    const [rows, setRows] = createStore<Row[]>([{ key: 'a', n: 1, tags: [] }, { key: 'b', n: 2, tags: [] }])
    setRows(applyRows(rows, [{ key: 'c', n: 3, tags: [] }, { key: 'a', n: 9, tags: [] }], 'key'))
    expect(rows.map((r) => `${r.key}${r.n}`)).toEqual(['c3', 'a9'])
  })
})
