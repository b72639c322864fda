import { describe, expect, it } from 'vitest'
import { runFuzz, type FuzzTarget } from './fuzz.ts'

const seed = new TextEncoder().encode('abcdefgh')

describe('runFuzz', () => {
  it('is deterministic for a seed and counts outcomes', async () => {
    const seen: string[][] = [[], []]
    for (const k of [0, 1]) {
      const t: FuzzTarget = {
        name: 't',
        seeds: [seed],
        run: (b) => (seen[k].push(String(b)), b.length % 2 ? 'accepted' : 'rejected'),
      }
      const r = await runFuzz(t, { seed: 7, maxInputs: 200 })
      expect(r.inputs).toBe(200)
      expect(r.accepted + r.rejected).toBe(200)
      expect(r.failure).toBeNull()
    }
    expect(seen[0]).toEqual(seen[1])
  })
  it('stops at a crash and hands back the input that caused it', async () => {
    const t: FuzzTarget = {
      name: 't',
      seeds: [seed],
      run: (b) => {
        if (b.length > 10) throw new TypeError('boom')
        return 'accepted'
      },
    }
    const r = await runFuzz(t, { seed: 3, maxInputs: 10_000 })
    expect(r.failure?.kind).toBe('crash')
    expect(r.failure?.message).toMatch(/TypeError: boom/)
    expect(r.failure!.input.length).toBeGreaterThan(10)
    expect(r.inputs).toBe(r.failure!.inputIndex + 1)
  })
  it('reports an input slower than the bound', async () => {
    const t: FuzzTarget = {
      name: 't',
      seeds: [seed],
      run: async (b) => {
        if (b.length > 9) await new Promise((r) => setTimeout(r, 30))
        return 'accepted' as const
      },
    }
    const r = await runFuzz(t, { seed: 5, maxInputs: 10_000, slowMs: 20 })
    expect(r.failure?.kind).toBe('slow')
    expect(r.failure!.input.length).toBeGreaterThan(9)
  })
})
