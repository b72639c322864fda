import { describe, it } from 'vitest'
import { expectFuzzClean } from '../fuzz/fuzz-in-suite.ts'

describe('tracker response fuzz', () => {
  it('mutated HTTP announce responses parse (ports in range) or throw TrackerError only', () =>
    expectFuzzClean('tracker-announce', 4242, 3000))
  it('mutated scrape responses likewise', () => expectFuzzClean('tracker-scrape', 4243, 2000))
  it('mutated UDP datagrams decode or are null, never throw', () => expectFuzzClean('tracker-udp', 4244, 2000))
})
