import { describe, expect, it } from 'vitest'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { ManualClock } from '../util/clock.ts'
import type { AnnounceParams, AnnounceResult } from './announce-types.ts'
import { TrackerManager } from './tracker-manager.ts'

// Editing the list of a running TrackerManager: what each tracker is told, and when.

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

function harness(tiers: string[][], interval = 1800) {
  const clock = new ManualClock(0)
  const calls: Array<{ url: string; event?: string; at: number }> = []
  const hang = new Set<string>()
  const pending: Array<() => void> = []
  const m = new TrackerManager({
    tiers,
    infoHash: new Uint8Array(20),
    peerId: new Uint8Array(20),
    net: new MemoryNetwork().host('10.0.0.1'),
    clock,
    port: () => 6881,
    stats: () => ({ uploaded: 0, downloaded: 0, left: 1000 }),
    onPeers: () => {},
    random: () => 0.999, // the shuffle keeps the given order
    announcer: (url: string, p: AnnounceParams): Promise<AnnounceResult> => {
      calls.push({ url, event: p.event, at: clock.now() })
      const res: AnnounceResult = { interval, minInterval: 60, peers: [] }
      if (hang.has(url)) return new Promise((r) => pending.push(() => r(res)))
      return Promise.resolve(res)
    },
  })
  return { m, clock, calls, hang, pending }
}

const A = 'http://a/announce'
const B = 'udp://b:1'
const C = 'http://c/announce'

describe('TrackerManager edits', () => {
  it('keeps a listed tracker as it was, tells a removed one it stopped, and announces a new tier at once', async () => {
    const h = harness([[A], [B]])
    h.m.start()
    await flush()
    expect(h.calls.map((c) => `${c.url} ${c.event}`)).toEqual([`${A} started`, `${B} started`])
    h.clock.advance(100_000)
    h.calls.length = 0

    h.m.setTiers([[A], [C]])
    await flush()
    // B saw 'started', so it hears 'stopped'; C is new and gets 'started' now; A is left alone
    expect(h.calls.map((c) => `${c.url} ${c.event}`).sort()).toEqual([`${C} started`, `${B} stopped`])
    const rowA = h.m.rows().find((r) => r.url === A)!
    expect(rowA).toMatchObject({ tier: 0, status: 'working', lastAnnounce: 0, nextAnnounce: 1_800_000 })
    expect(h.m.rows().map((r) => [r.url, r.tier])).toEqual([
      [A, 0],
      [C, 1],
    ])

    // A keeps its schedule: its regular announce comes at 1800 s, not earlier, with no event
    h.calls.length = 0
    h.clock.advance(1_800_000 - h.clock.now() - 1)
    await flush()
    expect(h.calls.filter((c) => c.url === A)).toEqual([])
    h.clock.advance(1)
    await flush()
    expect(h.calls.filter((c) => c.url === A)).toEqual([{ url: A, event: undefined, at: 1_800_000 }])
    expect(h.m.announceIntervalMs(A)).toBe(1_800_000)
    await h.m.stop()
  })

  it('moving a tracker into another tier does not tell it started again', async () => {
    const h = harness([[A], [B]])
    h.m.start()
    await flush()
    h.calls.length = 0
    h.m.setTiers([[A, B]])
    await flush()
    expect(h.calls).toEqual([])
    expect(h.m.rows().map((r) => [r.url, r.tier])).toEqual([
      [A, 0],
      [B, 0],
    ])
    await h.m.stop()
    // stop tells both: each saw 'started'
    expect(h.calls.map((c) => `${c.url} ${c.event}`).sort()).toEqual([`${A} stopped`, `${B} stopped`])
  })

  it('an announce in flight during an edit hands its schedule to the new tier (no double announce)', async () => {
    const h = harness([[A]])
    h.hang.add(A)
    h.m.start()
    await flush()
    h.m.setTiers([[C], [A]])
    await flush()
    expect(h.calls.map((c) => `${c.url} ${c.event}`)).toEqual([`${A} started`, `${C} started`])
    h.pending.shift()?.()
    await flush()
    const rowA = h.m.rows().find((r) => r.url === A)!
    expect(rowA).toMatchObject({ tier: 1, status: 'working', nextAnnounce: 1_800_000 })
    h.hang.clear()
    h.clock.advance(1_800_000)
    await flush()
    expect(h.calls.filter((c) => c.url === A).map((c) => c.event)).toEqual(['started', undefined])
    await h.m.stop()
  })

  it('re-announces one tracker (moved to the front of its tier) or all, within the min interval', async () => {
    const h = harness([[A, C], [B]])
    h.m.start()
    await flush()
    h.calls.length = 0
    h.m.reannounce(C)
    await flush()
    expect(h.calls).toEqual([]) // min interval 60 s not yet over
    h.clock.advance(60_000)
    await flush()
    // C is new to this tracker list's announces: 'started'
    expect(h.calls).toEqual([{ url: C, event: 'started', at: 60_000 }])
    expect(h.m.rows().map((r) => r.url)).toEqual([C, A, B])
    h.calls.length = 0
    h.m.reannounce()
    h.clock.advance(60_000)
    await flush()
    expect(h.calls.map((c) => c.url).sort()).toEqual([C, B])
    await h.m.stop()
  })
})
