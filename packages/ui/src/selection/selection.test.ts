import { describe, expect, it } from 'vitest'
import { clickMods, createSelection, menuSelection, nextSelection } from './selection.ts'

const order = ['a', 'b', 'c', 'd']
const plain = { toggle: false, range: false }
const ctrl = { toggle: true, range: false }
const shift = { toggle: false, range: true }

describe('nextSelection', () => {
  it('plain click selects one', () => {
    expect([...nextSelection(order, new Set(['a', 'b']), 'a', 'c', plain).selected]).toEqual(['c'])
  })
  it('ctrl toggles', () => {
    const r = nextSelection(order, new Set(['a']), 'a', 'c', ctrl)
    expect([...r.selected].sort()).toEqual(['a', 'c'])
    expect([...nextSelection(order, r.selected, 'c', 'a', ctrl).selected]).toEqual(['c'])
  })
  it('shift selects a range in displayed order and keeps the anchor', () => {
    const r = nextSelection(order, new Set(['d']), 'd', 'b', shift)
    expect([...r.selected]).toEqual(['b', 'c', 'd'])
    expect(r.anchor).toBe('d')
  })
  it('shift without an anchor, or with an anchor no longer shown, acts as a plain click', () => {
    expect([...nextSelection(order, new Set(), null, 'b', shift).selected]).toEqual(['b'])
    const r = nextSelection(order, new Set(['x']), 'x', 'c', shift)
    expect([...r.selected]).toEqual(['c'])
    expect(r.anchor).toBe('c')
  })
})

describe('menuSelection', () => {
  it('keeps the selection when the row is part of it', () => {
    const r = menuSelection(new Set(['a', 'b']), 'a', 'b')
    expect([...r.selected]).toEqual(['a', 'b'])
    expect(r.anchor).toBe('a')
  })
  it('selects that row alone when it is not', () => {
    const r = menuSelection(new Set(['a', 'b']), 'a', 'd')
    expect([...r.selected]).toEqual(['d'])
    expect(r.anchor).toBe('d')
  })
})

describe('clickMods', () => {
  it('ctrl or cmd toggles, shift extends', () => {
    expect(clickMods({ ctrlKey: true, metaKey: false, shiftKey: false })).toEqual(ctrl)
    expect(clickMods({ ctrlKey: false, metaKey: true, shiftKey: false })).toEqual(ctrl)
    expect(clickMods({ ctrlKey: false, metaKey: false, shiftKey: true })).toEqual(shift)
  })
})

describe('createSelection', () => {
  it('click, ctrl-click, shift-click from the anchor, and focus follows the clicked row', () => {
    const s = createSelection()
    s.click('b', order, plain)
    s.click('d', order, ctrl)
    expect(s.keys().sort()).toEqual(['b', 'd'])
    expect(s.focus()).toBe('d')
    s.click('a', order, shift) // anchor is d (the last ctrl-click)
    expect(s.keys()).toEqual(['a', 'b', 'c', 'd'])
    expect(s.count()).toBe(4)
    expect(s.focus()).toBe('a')
  })
  it('a context menu on an unselected row selects it alone; on a selected row keeps the rest', () => {
    const s = createSelection()
    s.click('a', order, plain)
    s.click('b', order, ctrl)
    s.openMenuOn('a')
    expect(s.keys()).toEqual(['a', 'b'])
    s.openMenuOn('c')
    expect(s.keys()).toEqual(['c'])
    expect(s.anchor()).toBe('c')
    expect(s.focus()).toBe('c')
  })
  it('select all, clear, and an added torrent shown alone', () => {
    const s = createSelection()
    s.click('b', order, plain)
    s.selectAll(order)
    expect(s.count()).toBe(4)
    expect(s.has('c')).toBe(true)
    s.clear()
    expect(s.count()).toBe(0)
    s.showAdded('z')
    expect(s.keys()).toEqual(['z'])
    expect(s.focus()).toBe('z')
    expect(s.anchor()).toBe('b')
  })
})
