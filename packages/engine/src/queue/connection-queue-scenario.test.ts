import { describe, expect, it } from 'vitest'
import { PeerPool } from '../pool/peer-pool.ts'
import { ManualClock } from '../util/clock.ts'
import { ConnectionQueue } from './connection-queue.ts'

// The fair queue's reference scenario without sockets: 3 torrents × (30 dead + 10 live) peers, a simulated daemon
// with its caps (30 in flight, 60 pending, 10 s timeout), all on an injected clock, 40 s.
// (pnpm bench:fairness runs the same through the real daemon.)
describe('ConnectionQueue with PeerPools: the fairness scenario', () => {
  function run(queued: boolean) {
    const clock = new ManualClock(1)
    const caps = { maxConnectsInFlight: 30, maxConnectsPending: 60, connectTimeoutMs: 10_000 }
    let inFlight = 0
    let waiting = 0
    let maxInFlight = 0
    let busy = 0
    const liveAt: number[][] = [[], [], []]
    const torrents = [0, 1, 2].map((ti) => {
      const pool: PeerPool = new PeerPool({
        config: { maxActiveConnections: 40 },
        now: () => clock.now(),
        connect: (p) => {
          // The daemon: beyond in-flight + waiting caps → busy at once; else wait for a slot.
          if (inFlight + waiting >= caps.maxConnectsPending) {
            busy++
            clock.setTimeout(() => pool.onConnectFailed(p.ip, p.port, 'busy'), 0)
            return
          }
          const live = p.port % 4 === 0 // 10 of each 40
          const begin = () => {
            inFlight++
            maxInFlight = Math.max(maxInFlight, inFlight)
            clock.setTimeout(
              () => {
                inFlight--
                if (waiting > 0) {
                  waiting--
                  daemonWaitQueue.shift()?.()
                }
                if (live) {
                  pool.onConnected(p.ip, p.port)
                  liveAt[ti].push(clock.now())
                } else pool.onConnectFailed(p.ip, p.port, 'timeout')
              },
              live ? 5 : caps.connectTimeoutMs,
            )
          }
          if (inFlight < caps.maxConnectsInFlight) begin()
          else {
            waiting++
            daemonWaitQueue.push(begin)
          }
        },
        onSlotFreed: () => maintain(ti),
      })
      for (let k = 1; k <= 40; k++) pool.addPeer(`10.0.${ti}.${k}`, 1000 + k, 'tracker')
      return { pool, isActive: () => true, connectOnePeer: () => pool.connectOnePeer() }
    })
    const daemonWaitQueue: Array<() => void> = []
    const q = new ConnectionQueue({
      clock,
      getTorrent: (h) => torrents[Number(h)],
      connectLimits: caps,
      connectsInFlight: () => inFlight + waiting,
    })
    const maintain = (ti: number) => {
      const { pool } = torrents[ti]
      if (!queued) return void pool.connectToPeers()
      const pending = q.getConnectionQueueStats().pendingByTorrent[String(ti)] ?? 0
      q.requestConnections(String(ti), Math.min(pool.freeSlots(), pool.candidates().length) - pending)
    }
    if (queued) q.start()
    for (let ti = 0; ti < 3; ti++) maintain(ti)
    const jain: number[] = []
    for (let sec = 1; sec <= 40; sec++) {
      clock.advance(1000)
      const xs = torrents.map((t) => t.pool.getStats().connecting + t.pool.getStats().connected)
      const sum = xs.reduce((s, x) => s + x, 0)
      if (sec <= 10) jain.push((sum * sum) / (3 * xs.reduce((s, x) => s + x * x, 0)))
    }
    q.stop()
    return { busy, maxInFlight, jain: jain.reduce((s, x) => s + x, 0) / jain.length, liveAt }
  }

  it('with the queue: no busy, in flight within the cap, fair, every torrent finds a live peer fast', () => {
    const r = run(true)
    expect(r.busy).toBe(0)
    expect(r.maxInFlight).toBeLessThanOrEqual(30)
    expect(r.jain).toBeGreaterThanOrEqual(0.95)
    for (const times of r.liveAt) {
      expect(times[0] - 1).toBeLessThanOrEqual(5000)
      // The last live peer is the last of 40 in pool order: it waits for three rounds of dead
      // peers holding the 30 daemon slots for 10 s each.
      expect(times.length).toBe(10)
    }
  })

  it('bypassed: busy answers and an unfair split (the contrast)', () => {
    const r = run(false)
    expect(r.busy).toBeGreaterThan(0)
    expect(r.jain).toBeLessThan(0.9)
  })
})
