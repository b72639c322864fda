import { describe, it } from 'vitest'
import { expectFuzzClean } from '../fuzz/fuzz-in-suite.ts'

describe('bencode fuzz', () => {
  it('mutated values decode (and round-trip) or throw BencodeError only', () => expectFuzzClean('bencode', 2024, 3000))
})
