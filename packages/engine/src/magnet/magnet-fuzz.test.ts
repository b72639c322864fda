import { describe, it } from 'vitest'
import { expectFuzzClean } from '../fuzz/fuzz-in-suite.ts'

describe('parseMagnet fuzz', () => {
  it('mutated links parse or throw MagnetError only', () => expectFuzzClean('magnet', 99, 3000))
})
