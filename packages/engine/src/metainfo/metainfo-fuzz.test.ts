import { describe, it } from 'vitest'
import { expectFuzzClean } from '../fuzz/fuzz-in-suite.ts'

describe('metainfo fuzz', () => {
  it('mutated torrents either parse consistently or throw MetainfoError, never anything else', () =>
    expectFuzzClean('metainfo', 12345, 3000))
  it('mutated info dictionaries (magnet metadata) likewise', () => expectFuzzClean('info-dictionary', 54321, 2000))
})
