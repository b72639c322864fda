import { describe, expect, it } from 'vitest'
import { ManualClock } from '../util/clock.ts'
import { xorshift } from '../util/fuzz.ts'
import { randomId } from './node-id.ts'
import { MAX_VALUES_V4, PEER_TTL_MS, PeerStore } from './peer-store.ts'

const rnd = xorshift(21)
const h1 = randomId(rnd)
const h2 = randomId(rnd)

describe('peer store', () => {
  it('entries expire 30 minutes after their last announce', () => {
    const clock = new ManualClock()
    const store = new PeerStore(clock)
    store.add(h1, { ip: '1.1.1.1', port: 1 })
    clock.advance(10 * 60_000)
    store.add(h1, { ip: '2.2.2.2', port: 2 })
    clock.advance(PEER_TTL_MS - 10 * 60_000 - 1)
    expect(store.sample(h1, 4).length).toBe(2)
    clock.advance(1)
    expect(store.sample(h1, 4)).toEqual([{ ip: '2.2.2.2', port: 2 }])
    // A re-announce renews it.
    store.add(h1, { ip: '2.2.2.2', port: 2 })
    clock.advance(PEER_TTL_MS - 1)
    expect(store.sample(h1, 4).length).toBe(1)
    clock.advance(1)
    expect(store.sample(h1, 4)).toEqual([])
    expect(store.size).toBe(0)
    expect(store.infoHashes).toBe(0)
  })

  it('is bounded per info-hash (oldest dropped) and in total (new refused until entries expire)', () => {
    const clock = new ManualClock()
    const store = new PeerStore(clock, { perInfoHash: 3, total: 5 })
    for (let i = 1; i <= 4; i++) store.add(h1, { ip: `10.0.0.${i}`, port: 1 })
    expect(
      store
        .sample(h1, 4, 10)
        .map((p) => p.ip)
        .sort(),
    ).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4'])
    expect(store.add(h2, { ip: '10.0.1.1', port: 1 })).toBe(true)
    expect(store.add(h2, { ip: '10.0.1.2', port: 1 })).toBe(true)
    expect(store.add(h2, { ip: '10.0.1.3', port: 1 })).toBe(false)
    expect(store.size).toBe(5)
    clock.advance(PEER_TTL_MS)
    expect(store.add(h2, { ip: '10.0.1.3', port: 1 })).toBe(true)
    expect(store.sample(h1, 4)).toEqual([])
    store.prune()
    expect(store.size).toBe(1)
  })

  it('samples at most 50 distinct peers of the asked family, at random', () => {
    const clock = new ManualClock()
    const store = new PeerStore(clock)
    for (let i = 0; i < 200; i++) store.add(h1, { ip: `10.0.${i >> 8}.${i & 255}`, port: 6881 })
    store.add(h1, { ip: '2001:db8::1', port: 1 })
    const a = store.sample(h1, 4, undefined, xorshift(1))
    const b = store.sample(h1, 4, undefined, xorshift(2))
    expect(a.length).toBe(MAX_VALUES_V4)
    expect(new Set(a.map((p) => p.ip)).size).toBe(MAX_VALUES_V4)
    expect(a).not.toEqual(b)
    expect(store.sample(h1, 6)).toEqual([{ ip: '2001:db8::1', port: 1 }])
  })
})
