import { describe, expect, it } from 'vitest'
import {
  applyLayout,
  EMPTY_LAYOUT,
  loadLayout,
  moveColumn,
  resizeColumn,
  saveLayout,
  toggleHidden,
} from './column-layout.ts'

const cols = [
  { id: 'name', width: 300 },
  { id: 'size', width: 80 },
  { id: 'status', width: 120 },
]
const ids = cols.map((c) => c.id)

describe('column layout', () => {
  it('hides, moves and resizes, and never hides the last column', () => {
    let l = toggleHidden(EMPTY_LAYOUT, 'size', ids)
    expect(applyLayout(cols, l).map((c) => c.id)).toEqual(['name', 'status'])
    l = moveColumn(l, 'status', -1, ids)
    l = moveColumn(l, 'status', -1, ids)
    expect(applyLayout(cols, l).map((c) => c.id)).toEqual(['status', 'name'])
    // hidden columns are stepped over: one move right passes the visible neighbour
    expect(
      applyLayout(cols, moveColumn(toggleHidden(EMPTY_LAYOUT, 'size', ids), 'name', 1, ids)).map((c) => c.id),
    ).toEqual(['status', 'name'])
    l = resizeColumn(l, 'name', 12)
    expect(applyLayout(cols, l).find((c) => c.id === 'name')!.width).toBe(40)
    l = toggleHidden(toggleHidden(l, 'name', ids), 'status', ids)
    expect(applyLayout(cols, l).map((c) => c.id)).toEqual(['status'])
  })
  it('is remembered with the sort; a damaged entry gives the default', () => {
    const mem = new Map<string, string>()
    const store = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => void mem.set(k, v) }
    saveLayout('t', { ...resizeColumn(EMPTY_LAYOUT, 'size', 99), sort: { id: 'size', dir: 'desc' } }, store)
    expect(loadLayout('t', store)).toEqual({
      order: [],
      hidden: [],
      widths: { size: 99 },
      sort: { id: 'size', dir: 'desc' },
    })
    mem.set('t', '{not json')
    expect(loadLayout('t', store)).toEqual(EMPTY_LAYOUT)
  })
})
