import { describe, it } from 'vitest'
import { expectFuzzClean } from '../fuzz/fuzz-in-suite.ts'

describe('MSE handshake fuzz', () => {
  it('a receiver fed mutated initiator streams completes, waits within its bound or fails typed', () =>
    expectFuzzClean('mse-receiver', 5150, 1500))
  it('an initiator fed mutated receiver streams completes, waits within its bound or fails typed', () =>
    expectFuzzClean('mse-initiator', 6160, 1500))
})
