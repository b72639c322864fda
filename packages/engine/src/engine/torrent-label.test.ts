import { describe, expect, it } from 'vitest'
import { MAX_LABEL_LENGTH, normalizeLabel } from './torrent-label.ts'

describe('normalizeLabel', () => {
  it('trims, folds white space and control characters, and treats empty as no label', () => {
    expect(normalizeLabel('  Linux  ISOs ')).toBe('Linux ISOs')
    expect(normalizeLabel('a\nb\u0000c')).toBe('a b c')
    expect(normalizeLabel('   ')).toBeUndefined()
    expect(normalizeLabel(null)).toBeUndefined()
  })
  it('cuts long labels by characters, not UTF-16 units', () => {
    const long = '🐟'.repeat(100)
    expect([...normalizeLabel(long)!]).toHaveLength(MAX_LABEL_LENGTH)
  })
})
