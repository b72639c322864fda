import { describe, it } from 'vitest'
import { expectFuzzClean } from '../fuzz/fuzz-in-suite.ts'

describe('wire decoder fuzz', () => {
  it('mutated message streams decode to need-more or invalid, never throw or stall', () =>
    expectFuzzClean('wire', 31337, 3000))
})
