import { describe, expect, it } from 'vitest'
import { parseLimit } from './seed-limits-dialog.tsx'

describe('a torrent’s own seeding limit as typed', () => {
  it('keeps global and none, and takes a value within bounds', () => {
    expect(parseLimit('global', 'x', 10, true)).toBe('global')
    expect(parseLimit('none', '', 10, true)).toBe('none')
    expect(parseLimit('value', ' 1.5 ', 10, true)).toBe(1.5)
    expect(parseLimit('value', '1.5', 10, false)).toBeNull() // minutes are whole
    expect(parseLimit('value', '11', 10, false)).toBeNull()
    expect(parseLimit('value', '-1', 10, true)).toBeNull()
    expect(parseLimit('value', '', 10, true)).toBeNull()
  })
})
