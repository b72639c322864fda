import { describe, expect, it } from 'vitest'
import type { ChokerConfig } from '../choke/choker.ts'
import { settle } from '../wire/peer-test-kit.ts'
import { INTERESTED } from '../wire/wire-codec.ts'
import { incomingRaw, setupEngine } from './torrent-test-kit.ts'

// Upload slots as a seeding engine applies them to six interested peers, on a ManualClock.

async function sixInterested(choker?: Partial<ChokerConfig>) {
  const env = await setupEngine({ seed: true, engine: { choker } })
  for (let i = 1; i <= 6; i++) (await incomingRaw(env.net, env.e, env.t, `10.0.0.${10 + i}`)).write(INTERESTED)
  await settle()
  expect(env.t.sessions.size).toBe(6)
  const unchoked = () => new Set([...env.t.sessions.values()].filter((s) => !s.amChoking).map((s) => s.peer.key))
  return { ...env, unchoked }
}

describe('upload slots', () => {
  it('6 interested peers: 5 unchoked (4 regular + 1 optimistic); the optimistic slot rotates after 30 s', async () => {
    const { clock, e, t, unchoked } = await sixInterested()
    expect(unchoked().size).toBe(5) // unchoked on interest while slots were free
    clock.advance(1000) // first maintenance tick: first rechoke
    await settle()
    // Every rate is 0, so the regular slots go to the first four ids; the optimistic one to another.
    const regular = [...t.sessions.keys()].sort().slice(0, 4)
    const first = unchoked()
    expect(first.size).toBe(5)
    for (const k of regular) expect(first.has(k)).toBe(true)
    const optimistic = [...first].find((k) => !regular.includes(k))!

    clock.advance(20_000) // two rechokes within the 30 s: the optimistic peer keeps its slot
    await settle()
    expect(unchoked()).toEqual(first)

    clock.advance(10_000) // 30 s after it was chosen: rotated to the one peer left out
    await settle()
    const rotated = unchoked()
    expect(rotated.size).toBe(5)
    for (const k of regular) expect(rotated.has(k)).toBe(true)
    expect(rotated.has(optimistic)).toBe(false)
    await e.stop()
  })

  it('the slot count follows the engine’s choker config', async () => {
    const { clock, e, unchoked } = await sixInterested({ regularSlots: 2, optimisticSlots: 1 })
    expect(unchoked().size).toBe(3)
    clock.advance(1000)
    await settle()
    expect(unchoked().size).toBe(3)
    await e.stop()
  })
})
