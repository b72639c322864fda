import { expect } from 'vitest'
import { runFuzz } from '../util/fuzz.ts'
import { fuzzTarget } from './targets.ts'

/**
 * A target's run in the unit suite: a fixed seed and a small budget (`pnpm fuzz` runs longer).
 * The slow bound is generous for a shared 2-core machine; a hang stalls the test until its timeout.
 */
export async function expectFuzzClean(name: string, seed: number, inputs: number): Promise<void> {
  const r = await runFuzz(fuzzTarget(name), { seed, maxInputs: inputs, slowMs: 2000 })
  const f = r.failure
  expect(
    f && `${f.kind} at input ${f.inputIndex} (${JSON.stringify(Array.from(f.input.subarray(0, 200)))}): ${f.message}`,
  ).toBeNull()
  // Both kinds seen: the mutations reach past the first check and into the parser.
  expect(r.accepted).toBeGreaterThan(0)
  expect(r.rejected).toBeGreaterThan(0)
}
