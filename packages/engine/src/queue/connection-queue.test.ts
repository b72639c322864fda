import { describe, expect, it } from 'vitest'
import { ManualClock } from '../util/clock.ts'
import { ConnectionQueue } from './connection-queue.ts'
import type { ConnectionQueueOptions } from './connection-queue.ts'

/** A torrent with `candidates` peers to try; records the order of grants. */
class FakeTorrent {
  active = true
  connecting = 0
  constructor(
    readonly id: string,
    public candidates: number,
    private readonly log: string[],
  ) {}
  isActive() {
    return this.active
  }
  connectOnePeer() {
    if (this.candidates <= 0) return null
    this.candidates--
    this.connecting++
    this.log.push(this.id)
    return { id: this.id }
  }
}

function setup(
  opts: Partial<ConnectionQueueOptions> = {},
  candidates: Record<string, number> = { a: 100, b: 100, c: 100 },
) {
  const clock = new ManualClock(1_000)
  const log: string[] = []
  const torrents = new Map(Object.entries(candidates).map(([k, n]) => [k, new FakeTorrent(k, n, log)]))
  const q = new ConnectionQueue({ clock, getTorrent: (h) => torrents.get(h), ...opts })
  return { clock, log, torrents, q }
}

describe('ConnectionQueue', () => {
  it('grants round-robin across torrents, one at a time', () => {
    const { q, log } = setup({ ratePerSec: 0 })
    q.requestConnections('a', 3)
    q.requestConnections('b', 1)
    q.requestConnections('c', 2)
    expect(q.drain()).toBe(6)
    expect(log).toEqual(['a', 'b', 'c', 'a', 'c', 'a'])
    expect(q.getConnectionQueueStats()).toEqual({
      pendingByTorrent: {},
      totalPending: 0,
      rateLimiterAvailable: Infinity,
    })
  })

  it('starts after the last torrent served, across drains', () => {
    const { q, log, clock } = setup({ ratePerSec: 10, burst: 1 }, { a: 10, b: 10, c: 10, d: 10 })
    q.requestConnections('a', 5)
    q.requestConnections('b', 5)
    q.requestConnections('c', 5)
    q.start()
    for (let i = 0; i < 6; i++) clock.advance(100)
    q.stop()
    expect(log).toEqual(['a', 'b', 'c', 'a', 'b', 'c'])
    // c was served last; a newcomer joins the ring after it and so is served next.
    q.requestConnections('d', 1)
    q.start()
    for (let i = 0; i < 5; i++) clock.advance(100)
    expect(log.slice(6)).toEqual(['d', 'a', 'b', 'c', 'a'])
  })

  it('passes grants through the token bucket: burst then the rate', () => {
    const { q, log, clock } = setup({ ratePerSec: 10 }, { a: 1000 })
    q.requestConnections('a', 1000)
    q.start()
    clock.advance(100) // first drain: the burst of 20
    expect(log.length).toBe(20)
    clock.advance(1000)
    expect(log.length).toBe(30)
    clock.advance(10_000)
    expect(log.length).toBe(130)
    q.stop()
    clock.advance(10_000)
    expect(log.length).toBe(130) // stopped: no more grants
  })

  it('applies rate limit changes at run time, 0 = unlimited', () => {
    const { q, log, clock } = setup({ ratePerSec: 10 }, { a: 10_000 })
    q.requestConnections('a', 10_000)
    q.start()
    clock.advance(100)
    expect(log.length).toBe(20)
    q.setConnectionRateLimit(50, 5)
    clock.advance(1000)
    expect(log.length).toBe(70)
    q.setConnectionRateLimit(0)
    clock.advance(100)
    expect(log.length).toBe(1070) // bounded by maxGrantsPerDrain (1000) per drain
    q.setConnectionRateLimit(2)
    expect(q.getConnectionQueueStats().rateLimiterAvailable).toBe(4)
  })

  it('gives a torrent alone every grant', () => {
    const { q, log } = setup({ ratePerSec: 0 }, { solo: 50 })
    q.requestConnections('solo', 30)
    q.drain()
    expect(log).toEqual(new Array(30).fill('solo'))
  })

  it('ignores count <= 0 and cancels a torrent’s requests', () => {
    const { q, log } = setup({ ratePerSec: 0 })
    q.requestConnections('a', 0)
    q.requestConnections('a', -3)
    q.requestConnections('a', Number.NaN)
    expect(q.getConnectionQueueStats().totalPending).toBe(0)
    q.requestConnections('a', 2)
    q.requestConnections('b', 2)
    q.requestConnections('a', 1)
    expect(q.getConnectionQueueStats().pendingByTorrent).toEqual({ a: 3, b: 2 })
    q.cancelConnectionRequests('a')
    q.cancelConnectionRequests('zzz')
    expect(q.getConnectionQueueStats()).toMatchObject({ pendingByTorrent: { b: 2 }, totalPending: 2 })
    q.drain()
    expect(log).toEqual(['b', 'b'])
  })

  it('drops the requests of a torrent that is stopped, removed or has no candidates', () => {
    const { q, log, torrents } = setup({ ratePerSec: 0 }, { a: 1, b: 10, c: 10, d: 10 })
    q.requestConnections('a', 5) // only one candidate
    q.requestConnections('b', 5)
    q.requestConnections('c', 5)
    q.requestConnections('d', 5)
    q.requestConnections('gone', 5)
    torrents.get('b')!.active = false
    torrents.delete('c')
    q.drain()
    expect(log).toEqual(['a', 'd', 'd', 'd', 'd', 'd'])
    expect(q.getConnectionQueueStats().totalPending).toBe(0)
  })

  it('stops granting at the engine-wide connection limit and resumes when it moves', () => {
    let max = 4
    // Every grant becomes an active connection.
    const s = setup({ ratePerSec: 0, activeConnections: () => s.log.length, maxConnections: () => max })
    s.q.requestConnections('a', 10)
    s.q.requestConnections('b', 10)
    s.q.drain()
    expect(s.log).toEqual(['a', 'b', 'a', 'b'])
    s.q.drain()
    expect(s.log.length).toBe(4) // still at the limit
    max = 6
    s.q.drain()
    expect(s.log.length).toBe(6)
    max = 0 // unlimited
    s.q.drain()
    expect(s.log.length).toBe(20)
  })

  it('keeps connects in flight within the daemon caps (own counting)', () => {
    const caps = { maxConnectsInFlight: 30, maxConnectsPending: 60, connectTimeoutMs: 10_000 }
    const { q, log, clock } = setup({ ratePerSec: 0, connectLimits: caps }, { a: 100, b: 100, c: 100 })
    q.requestConnections('a', 40)
    q.requestConnections('b', 40)
    q.requestConnections('c', 40)
    q.start()
    clock.advance(100)
    expect(log.length).toBe(30)
    expect(q.getCounters().inFlight).toBe(30)
    for (let i = 0; i < 7; i++) q.connectFinished()
    clock.advance(100)
    expect(log.length).toBe(37)
    expect(q.getCounters().inFlight).toBe(30)
    const counts = { a: 0, b: 0, c: 0 } as Record<string, number>
    for (const x of log) counts[x]++
    expect(Math.max(...Object.values(counts)) - Math.min(...Object.values(counts))).toBeLessThanOrEqual(1)
  })

  it('uses the engine’s in-flight count when given, never exceeding the smaller cap', () => {
    let inFlight = 0
    const caps = { maxConnectsInFlight: 30, maxConnectsPending: 8, connectTimeoutMs: 10_000 }
    const { q, log, clock, torrents } = setup({
      ratePerSec: 100,
      connectLimits: caps,
      connectsInFlight: () => inFlight,
    })
    for (const t of torrents.values()) {
      const orig = t.connectOnePeer.bind(t)
      t.connectOnePeer = () => {
        const r = orig()
        if (r) inFlight++
        return r
      }
    }
    q.requestConnections('a', 50)
    q.requestConnections('b', 50)
    q.start()
    let maxSeen = 0
    for (let i = 0; i < 200; i++) {
      clock.advance(100)
      maxSeen = Math.max(maxSeen, inFlight)
      if (i % 3 === 0 && inFlight > 0) inFlight -= Math.min(inFlight, 3) // attempts finish
    }
    expect(maxSeen).toBe(8)
    expect(log.length).toBe(100)
  })

  it('survives a torrent that throws, dropping its requests', () => {
    const { q, log, torrents } = setup({ ratePerSec: 0 })
    torrents.get('a')!.connectOnePeer = () => {
      throw new Error('boom')
    }
    q.requestConnections('a', 3)
    q.requestConnections('b', 2)
    q.drain()
    expect(log).toEqual(['b', 'b'])
  })

  it('gives a request that finds it idle one round on the next task, the rest at the ticks', () => {
    const { q, log, clock } = setup({ ratePerSec: 10, burst: 4 })
    q.start()
    clock.advance(50) // mid-period
    q.requestConnections('a', 3)
    expect(log).toEqual([]) // never inside the caller
    clock.advance(0)
    expect(log).toEqual(['a']) // one grant at once, not the whole burst
    q.requestConnections('b', 2) // the queue is busy (a still waits): b waits for the tick
    clock.advance(0)
    expect(log).toEqual(['a'])
    clock.advance(50) // tick at 100 ms: the rest of the burst, round-robin from b
    expect(log).toEqual(['a', 'b', 'a', 'b'])
    q.stop()
    q.requestConnections('c', 1)
    clock.advance(1000)
    expect(log).toEqual(['a', 'b', 'a', 'b']) // stopped: no prompt round either
  })

  it('a prompt round serves every torrent that asked in the same task once', () => {
    const { q, log, clock } = setup({ ratePerSec: 10, burst: 20 })
    q.start()
    q.requestConnections('a', 5)
    q.requestConnections('b', 5)
    q.requestConnections('c', 5)
    clock.advance(0)
    expect(log).toEqual(['a', 'b', 'c'])
    clock.advance(100)
    expect(log.length).toBe(15) // the burst covers the rest at the first tick
  })
})
