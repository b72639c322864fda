/**
 * The engine-wide fair connection queue. Torrents ask for connection slots; a drain
 * loop grants them one at a time, round-robin across the torrents that asked, through a token
 * bucket, while the engine-wide connection limit and the daemon's connect caps leave room.
 * A grant calls the torrent's `connectOnePeer()`, which picks its best candidate at that moment.
 * A request that finds the queue idle gets one round at once (a grant per waiting torrent, on the
 * next task) instead of waiting for the next tick: a torrent's first peer, or the replacement for a
 * failed one, is dialled without waiting up to a whole period. Only one round, so a torrent that
 * happens to ask first cannot take the whole burst before the others have asked.
 */
import type { ConnectLimits } from '../platform/ports.ts'
import type { Clock, TimerHandle } from '../util/clock.ts'
import { TokenBucket } from './token-bucket.ts'

/** What the queue needs from a torrent. */
export interface QueueTorrent {
  /** Starts one outgoing attempt; null when it has nothing to connect to (its requests are dropped). */
  connectOnePeer(): unknown | null
  /** False when stopped or removed: its requests are dropped. */
  isActive(): boolean
}

export interface ConnectionQueueOptions {
  getTorrent: (infoHashHex: string) => QueueTorrent | undefined
  /** now/setTimeout/clearTimeout; defaults to the real clock. */
  clock?: Clock
  /** Default 10 attempts a second. 0 = unlimited. */
  ratePerSec?: number
  /** Default twice the rate. */
  burst?: number
  /** Drain loop period, default 100 ms. */
  intervalMs?: number
  /** The daemon's caps; connects in flight stay below min(maxConnectsInFlight, maxConnectsPending). */
  connectLimits?: ConnectLimits
  /** Engine-wide connecting + connected. */
  activeConnections?: () => number
  /** Engine-wide limit on activeConnections(); 0 = unlimited. */
  maxConnections?: () => number
  /**
   * Outgoing connects the engine has in flight at the daemon. When absent the queue counts its
   * own grants, and the engine reports each finished attempt with `connectFinished()`.
   */
  connectsInFlight?: () => number
  /** Safety bound on grants in one drain (default 1000). */
  maxGrantsPerDrain?: number
}

export interface ConnectionQueueStats {
  pendingByTorrent: Record<string, number>
  totalPending: number
  /** Tokens in the bucket (fractional); Infinity when unlimited. */
  rateLimiterAvailable: number
}

/** A torrent can hold at most this many pending requests (they are re-asked every maintenance). */
const MAX_PENDING_PER_TORRENT = 10_000

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

export class ConnectionQueue {
  private readonly clock: Clock
  private readonly bucket: TokenBucket
  private readonly pending = new Map<string, number>()
  /** Torrents with pending requests, in the order they first asked; `cursor` is the next to serve. */
  private ring: string[] = []
  private cursor = 0
  private timer: TimerHandle | null = null
  private prompt: TimerHandle | null = null
  private running = false
  private ownInFlight = 0
  private grantsTotal = 0
  private readonly intervalMs: number

  constructor(private readonly opts: ConnectionQueueOptions) {
    this.clock = opts.clock ?? realClock
    this.intervalMs = opts.intervalMs ?? 100
    this.bucket = new TokenBucket({ ratePerSec: opts.ratePerSec ?? 10, burst: opts.burst }, () => this.clock.now())
  }

  /** Adds `count` to the torrent's pending requests (ignored when count <= 0). */
  requestConnections(infoHashHex: string, count: number): void {
    if (!(count > 0)) return
    const n = Math.floor(count)
    if (n <= 0) return
    const had = this.pending.get(infoHashHex) ?? 0
    if (had === 0) this.ring.push(infoHashHex)
    this.pending.set(infoHashHex, Math.min(MAX_PENDING_PER_TORRENT, had + n))
    if (this.ring.length === 1 && had === 0) this.drainSoon()
  }

  /** Drops the torrent's pending requests (stopped, removed, or no longer wanting peers). */
  cancelConnectionRequests(infoHashHex: string): void {
    if (!this.pending.has(infoHashHex)) return
    this.pending.delete(infoHashHex)
    const i = this.ring.indexOf(infoHashHex)
    if (i < 0) return
    this.ring.splice(i, 1)
    if (i < this.cursor) this.cursor--
  }

  /** perSecond 0 = unlimited; burst defaults to twice the rate. */
  setConnectionRateLimit(perSecond: number, burst?: number): void {
    this.bucket.setRate(perSecond, burst)
  }

  getConnectionQueueStats(): ConnectionQueueStats {
    const pendingByTorrent: Record<string, number> = {}
    let totalPending = 0
    for (const [k, n] of this.pending) {
      pendingByTorrent[k] = n
      totalPending += n
    }
    return { pendingByTorrent, totalPending, rateLimiterAvailable: this.bucket.available() }
  }

  /** Grants made since creation, and connects in flight as the queue sees them. */
  getCounters(): { grantsTotal: number; inFlight: number } {
    return { grantsTotal: this.grantsTotal, inFlight: this.inFlight() }
  }

  /** Only when `connectsInFlight` was not given: an attempt the queue granted has finished. */
  connectFinished(): void {
    if (this.ownInFlight > 0) this.ownInFlight--
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.schedule()
  }

  stop(): void {
    this.running = false
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
    if (this.prompt !== null) this.clock.clearTimeout(this.prompt)
    this.prompt = null
  }

  get isRunning(): boolean {
    return this.running
  }

  /** One pass of the drain loop: grants while tokens, limits and pending requests allow (at most `limit`). */
  drain(limit = Infinity): number {
    const maxGrants = Math.min(limit, this.opts.maxGrantsPerDrain ?? 1000)
    let granted = 0
    // Each iteration either grants or removes a torrent from the ring, so this ends.
    while (this.ring.length > 0 && granted < maxGrants) {
      if (this.bucket.available() < 1) break
      if (!this.underLimits()) break
      if (this.cursor >= this.ring.length) this.cursor = 0
      const key = this.ring[this.cursor]
      const t = this.opts.getTorrent(key)
      let result: unknown = null
      try {
        result = t?.isActive() ? t.connectOnePeer() : null
      } catch {
        result = null // a torrent that throws is treated like one with nothing to connect to
      }
      if (result === null || result === undefined) {
        this.cancelConnectionRequests(key) // nothing to connect to, stopped or gone
        continue
      }
      this.bucket.tryTake(1)
      granted++
      this.grantsTotal++
      if (!this.opts.connectsInFlight) this.ownInFlight++
      const left = (this.pending.get(key) ?? 1) - 1
      if (left > 0) {
        this.pending.set(key, left)
        this.cursor++ // the next grant goes to the torrent after this one
      } else {
        this.pending.delete(key)
        this.ring.splice(this.cursor, 1) // the cursor now points at the torrent after it
      }
    }
    return granted
  }

  private inFlight(): number {
    return this.opts.connectsInFlight ? this.opts.connectsInFlight() : this.ownInFlight
  }

  private underLimits(): boolean {
    const max = this.opts.maxConnections?.() ?? 0
    if (max > 0 && this.opts.activeConnections && this.opts.activeConnections() >= max) return false
    const caps = this.opts.connectLimits
    if (caps) {
      const cap = Math.min(caps.maxConnectsInFlight, caps.maxConnectsPending)
      if (this.inFlight() >= cap) return false
    }
    return true
  }

  /** The queue was idle and a request came in: one round on the next task rather than at the next tick. */
  private drainSoon(): void {
    if (!this.running || this.prompt !== null) return
    this.prompt = this.clock.setTimeout(() => {
      this.prompt = null
      if (this.running) this.drain(this.ring.length)
    }, 0)
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = null
      if (!this.running) return
      try {
        this.drain()
      } finally {
        if (this.running) this.schedule()
      }
    }, this.intervalMs)
  }
}
