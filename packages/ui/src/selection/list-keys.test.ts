import { describe, expect, it } from 'vitest'
import { listCommand, type ListKey } from './list-keys.ts'

const k = (key: string, m: Partial<ListKey> = {}): ListKey => ({
  key,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  ...m,
})
const order = ['a', 'b', 'c', 'd']

describe('keys on the torrent list', () => {
  it('arrows move from the cursor (the first row when there is none), clamped at the ends', () => {
    expect(listCommand(k('ArrowDown'), order, null)).toEqual({
      kind: 'move',
      key: 'a',
      mods: { toggle: false, range: false },
      focusOnly: false,
    })
    expect(listCommand(k('ArrowDown'), order, 'b')).toMatchObject({ key: 'c' })
    expect(listCommand(k('ArrowUp'), order, 'a')).toMatchObject({ key: 'a' })
    expect(listCommand(k('End'), order, 'a')).toMatchObject({ key: 'd' })
    expect(listCommand(k('PageDown'), order, 'a', 2)).toMatchObject({ key: 'c' })
  })
  it('Shift extends, Ctrl moves only the cursor, Ctrl+Space toggles', () => {
    expect(listCommand(k('ArrowDown', { shiftKey: true }), order, 'a')).toMatchObject({
      key: 'b',
      mods: { range: true },
      focusOnly: false,
    })
    expect(listCommand(k('ArrowDown', { ctrlKey: true }), order, 'a')).toMatchObject({ key: 'b', focusOnly: true })
    expect(listCommand(k(' ', { ctrlKey: true }), order, 'c')).toEqual({ kind: 'toggle', key: 'c' })
  })
  it('Enter opens details, Escape clears, the menu key and Shift+F10 open the menu; Space is left to the actions', () => {
    expect(listCommand(k('Enter'), order, 'b')).toEqual({ kind: 'details' })
    expect(listCommand(k('Escape'), order, 'b')).toEqual({ kind: 'clear' })
    expect(listCommand(k('ContextMenu'), order, 'b')).toEqual({ kind: 'menu', key: 'b' })
    expect(listCommand(k('F10', { shiftKey: true }), order, 'b')).toEqual({ kind: 'menu', key: 'b' })
    expect(listCommand(k('F10'), order, 'b')).toBeNull()
    expect(listCommand(k(' '), order, 'b')).toBeNull()
    expect(listCommand(k('Delete'), order, 'b')).toBeNull()
  })
})
