import { describe, it } from 'vitest'
import { expectFuzzClean } from '../fuzz/fuzz-in-suite.ts'

describe('extension codecs fuzz', () => {
  it('mutated extended handshakes decode or throw ExtensionError only', () =>
    expectFuzzClean('extended-handshake', 777, 2000))
  it('mutated ut_metadata messages likewise', () => expectFuzzClean('ut-metadata', 778, 2000))
  it('mutated ut_pex messages likewise', () => expectFuzzClean('ut-pex', 779, 2000))
})
