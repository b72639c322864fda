import type { TrackerRow } from '../api/types.ts'
import type { Logger, NetPort } from '../platform/ports.ts'
import { realClock, type Clock, type TimerHandle } from '../util/clock.ts'
import type { PeerAddress } from '../util/peer-address.ts'
import { defaultAnnouncer, isSupportedTrackerUrl, type Announcer } from './announce.ts'
import type { AnnounceEvent, AnnounceParams, AnnounceResult } from './announce-types.ts'
import { UdpTrackerClient } from './udp-tracker-client.ts'

export interface TrackerManagerOptions {
  /** BEP 12 tiers (announce-list, or one tier for 'announce', or a magnet's tr= list). */
  tiers: string[][]
  infoHash: Uint8Array
  peerId: Uint8Array
  net: NetPort
  clock?: Clock
  port: number | (() => number)
  /** Our IPv6 address for HTTP announces (`ipv6=`), when we know one. */
  ipv6?: () => string | undefined
  stats: () => { uploaded: number; downloaded: number; left: number }
  onPeers: (peers: PeerAddress[], url: string) => void
  /** A BEP 15 client shared by all torrents; one is made (and closed on stop) when absent. */
  udp?: UdpTrackerClient
  /**
   * Retries of a UDP request before trying the tier's next tracker (timing per BEP 15: 15*2^n s).
   * Default 1: a dead tracker is an error after 45 s instead of BEP 15's hour of "announcing".
   */
  udpMaxRetries?: number
  /** An announce still unanswered after this long gets a message on its row (default 15 s). */
  noReplyNoticeMs?: number
  /** Replaces the network announce (tests). */
  announcer?: Announcer
  numwant?: number
  random?: () => number
  /** First back-off after a whole tier failed; doubles up to `maxRetryMs`. */
  retryBaseMs?: number
  maxRetryMs?: number
  /** Floor on the re-announce interval whatever the tracker says (default 30 s; tests may lower it). */
  minAnnounceIntervalMs?: number
  /** Bounds each 'stopped' announce. */
  stopTimeoutMs?: number
  /** Announce outcomes: failures as warnings, answers as info. */
  log?: Logger
}

interface Entry {
  url: string
  tier: number
  row: TrackerRow
  started: boolean // a 'started' announce reached this tracker
  trackerId?: string
}

interface Tier {
  entries: Entry[] // BEP 12 order: shuffled once, a working tracker moves to the front
  timer: TimerHandle | null
  busy: boolean
  again: boolean // announceNow() arrived while busy
  completedPending: boolean
  /** A 'completed' announce on its way (stop() lets it finish instead of cutting it off and resending). */
  completing: Promise<void> | null
  lastSuccessAt: number | null
  minIntervalMs: number
  failures: number
  /** When its timer fires (null: none set). */
  nextAt: number | null
  /** The tracker's last regular interval (ms), so a scrape never comes more often. */
  intervalMs: number | null
  /** Replaced by an edit of the list: an announce still in flight hands its outcome to `successor`. */
  retired: boolean
  /** The entry being announced to right now. */
  current: Entry | null
}

/** The shortest timeout a stop-time announce gets, even when the stop budget is spent. */
const MIN_STOP_STEP_MS = 250
const MIN_INTERVAL_FLOOR_MS = 30_000 // default floor: never re-announce faster, whatever the tracker says
const MAX_INTERVAL_MS = 6 * 3600_000
const NO_REPLY_NOTICE_MS = 15_000
/** Shown on a row whose announce has not been answered for a while (the UI shows nothing else moving). */
export const NO_REPLY_MESSAGE = 'No reply from this tracker yet; still trying.'

/**
 * Announces one torrent to its trackers as BEP 12 says: every tier in parallel, within a tier the
 * trackers in (shuffled) order until one answers, which then moves to the front. Re-announces at
 * the tracker's interval, backs off when a whole tier fails, and keeps errors/warnings for the UI.
 */
export class TrackerManager {
  private readonly clock: Clock
  private tiers: Tier[]
  private readonly announcer: Announcer
  private readonly key: number
  private ownUdp: UdpTrackerClient | null = null
  private running = false
  private abort = new AbortController()

  constructor(private readonly o: TrackerManagerOptions) {
    this.clock = o.clock ?? realClock
    const random = o.random ?? Math.random
    this.key = Math.floor(random() * 2 ** 32) >>> 0
    const udp = () =>
      (o.udp ??= this.ownUdp ??= new UdpTrackerClient(o.net, { clock: this.clock, maxRetries: o.udpMaxRetries ?? 1 }))
    this.announcer = o.announcer ?? defaultAnnouncer(o.net, this.clock, udp)
    this.random = random
    this.tiers = []
    for (const urls of o.tiers) this.addTier(urls)
  }

  private readonly random: () => number
  private readonly seen = new Set<string>()

  /** A BEP 12 tier of the URLs not known yet (shuffled once); null when none was new. */
  private addTier(urls: readonly string[]): Tier | null {
    const entries: Entry[] = []
    for (const url of urls) {
      if (this.seen.has(url)) continue
      this.seen.add(url)
      entries.push(this.newEntry(url, this.tiers.length))
    }
    if (entries.length === 0) return null
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      ;[entries[i], entries[j]] = [entries[j], entries[i]]
    }
    const tier = this.newTier(entries)
    this.tiers.push(tier)
    return tier
  }

  private newEntry(url: string, tier: number): Entry {
    const row: TrackerRow = {
      url,
      tier,
      status: 'idle',
      lastAnnounce: null,
      nextAnnounce: null,
      peersReceived: 0,
      seeders: null,
      leechers: null,
    }
    if (!isSupportedTrackerUrl(url)) {
      row.status = 'disabled'
      row.message = 'unsupported tracker scheme'
    }
    return { url, tier, row, started: false }
  }

  private newTier(entries: Entry[]): Tier {
    return {
      entries,
      timer: null,
      busy: false,
      again: false,
      completedPending: false,
      completing: null,
      lastSuccessAt: null,
      minIntervalMs: 0,
      failures: 0,
      nextAt: null,
      intervalMs: null,
      retired: false,
      current: null,
    }
  }

  /**
   * Trackers learnt later (the same torrent added again with other trackers): each new URL becomes a
   * tier of its own, as a magnet's tr= list does, announced at once while running. Returns how many were new.
   */
  addTrackers(urls: readonly string[]): number {
    let added = 0
    for (const url of urls) {
      const t = this.addTier([url])
      if (!t) continue
      added++
      if (this.running) this.run(t)
    }
    return added
  }

  /** Sends 'started' to the first working tracker of each tier and keeps announcing. */
  start(): void {
    if (this.running) return
    this.running = true
    this.abort = new AbortController()
    for (const t of this.tiers) this.run(t)
  }

  /** The download finished: tell every tier now. */
  completed(): void {
    for (const t of this.tiers) t.completedPending = true
    if (!this.running) return
    for (const t of this.tiers) this.trigger(t, true)
  }

  /** Announce as soon as each tier's min interval allows (e.g. we need more peers). */
  announceNow(): void {
    if (!this.running) return
    for (const t of this.tiers) this.trigger(t, false)
  }

  /**
   * Sends 'stopped' to trackers that saw 'started' (after a 'completed' still owed); resolves when
   * all answered or the stop budget ran out.
   */
  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.abort.abort()
    const done: Array<Promise<unknown>> = []
    for (const t of this.tiers) {
      if (t.timer !== null) this.clock.clearTimeout(t.timer)
      t.timer = null
      t.busy = false
      t.again = false
      for (const e of t.entries) {
        e.row.nextAnnounce = null
        if (e.row.status === 'announcing') e.row.status = 'idle'
      }
      // Every tracker that saw 'started' (more than one after a fail-over) should drop us. A download
      // that finished just before the stop (the CLI exits at once) reports 'completed' first (BEP 3):
      // one on its way is let finish (bounded), one not yet sent is sent now.
      // One time budget for all of it, so a dead tracker delays a stop by stopTimeoutMs, not a multiple.
      const budget = this.o.stopTimeoutMs ?? 5000
      const deadline = this.clock.now() + budget
      const opts = () => ({ timeoutMs: Math.max(MIN_STOP_STEP_MS, deadline - this.clock.now()) })
      const inFlight = t.completing ? this.bounded(t.completing, budget) : Promise.resolve()
      for (const e of t.entries.filter((x) => x.started)) {
        e.started = false
        e.row.status = 'announcing'
        const completed = inFlight.then(() =>
          t.completedPending
            ? this.announcer(e.url, this.params(e, 'completed'), opts()).then(
                () => {
                  t.completedPending = false
                },
                (err: Error) => this.o.log?.debug?.(`${e.url}: announce (completed) at stop failed: ${err.message}`),
              )
            : undefined,
        )
        done.push(
          completed
            .then(() => this.announcer(e.url, this.params(e, 'stopped'), opts()))
            .then(
              () => {
                e.row.status = 'idle'
                e.row.lastAnnounce = this.clock.now()
              },
              (err: Error) => {
                e.row.status = 'error'
                e.row.message = err.message
                this.o.log?.debug?.(`${e.url}: announce (stopped) failed: ${err.message}`)
              },
            ),
        )
      }
    }
    await Promise.all(done)
    this.ownUdp?.close()
    this.ownUdp = null
  }

  /** `p`, or nothing after `ms` (a stop must not wait on a slow tracker for long). */
  private bounded(p: Promise<void>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(resolve, ms)
      void p.then(() => {
        this.clock.clearTimeout(timer)
        resolve()
      })
    })
  }

  /**
   * The user edited the list (tiers in the order given, not shuffled). A tracker still listed keeps
   * its state: one that saw 'started' is not told again, and its tier keeps its schedule. A removed
   * tracker that saw 'started' is told 'stopped'. A tier of new trackers is announced to at once.
   */
  setTiers(tiers: readonly string[][]): void {
    const old = new Map<string, { e: Entry; t: Tier }>()
    for (const t of this.tiers) {
      for (const e of t.entries) old.set(e.url, { e, t })
      t.retired = true
      if (t.timer !== null) this.clock.clearTimeout(t.timer)
      t.timer = null
    }
    this.tiers = []
    this.seen.clear()
    const now = this.clock.now()
    for (const urls of tiers) {
      const entries: Entry[] = []
      let from: Tier | null = null
      let waitsForHandOver = false
      for (const url of urls) {
        if (this.seen.has(url)) continue
        this.seen.add(url)
        const prev = old.get(url)
        if (!prev) {
          entries.push(this.newEntry(url, this.tiers.length))
          continue
        }
        old.delete(url)
        from ??= prev.t
        if (prev.t.busy && prev.t.current === prev.e) waitsForHandOver = true
        entries.push(prev.e)
      }
      if (entries.length === 0) continue
      for (const e of entries) {
        e.tier = this.tiers.length
        e.row.tier = e.tier
        e.row.nextAnnounce = null
      }
      const tier = this.newTier(entries)
      if (from) {
        tier.lastSuccessAt = from.lastSuccessAt
        tier.minIntervalMs = from.minIntervalMs
        tier.intervalMs = from.intervalMs
        tier.failures = from.failures
        tier.completedPending = from.completedPending
        tier.completing = from.completing
      }
      this.tiers.push(tier)
      if (!this.running || waitsForHandOver) continue
      if (!from) this.run(tier)
      else if (from.nextAt !== null) this.schedule(tier, Math.max(0, from.nextAt - now))
      else this.trigger(tier, false)
    }
    for (const { e } of old.values()) {
      if (!this.running || !e.started) continue
      e.started = false
      const timeoutMs = this.o.stopTimeoutMs ?? 5000
      this.announcer(e.url, this.params(e, 'stopped'), { timeoutMs }).then(
        () => this.o.log?.info(`${e.url}: removed, told it we stopped`),
        (err: Error) => this.o.log?.debug?.(`${e.url}: announce (stopped) after removal failed: ${err.message}`),
      )
    }
  }

  /** An announce that outlived an edit of the list: the tier now holding its tracker goes on from it. */
  private handOver(t: Tier, nextDelay: number | null): void {
    const e = t.current
    t.current = null
    const next = e ? this.tiers.find((x) => x.entries.includes(e)) : undefined
    if (!next || next.busy || next.timer !== null) return
    if (nextDelay === null || e?.row.status !== 'working') {
      this.trigger(next, false)
      return
    }
    next.lastSuccessAt = t.lastSuccessAt
    next.minIntervalMs = t.minIntervalMs
    next.intervalMs = t.intervalMs
    next.failures = t.failures
    next.completedPending = t.completedPending
    this.schedule(next, nextDelay)
  }

  /**
   * The user asked for an announce: to one tracker (moved to the front of its tier, so it is the one
   * asked) or to every tier. A tracker's min interval still applies (as libtorrent's force_reannounce).
   */
  reannounce(url?: string): void {
    if (!this.running) return
    if (url === undefined) {
      for (const t of this.tiers) this.trigger(t, false)
      return
    }
    const t = this.tiers.find((x) => x.entries.some((e) => e.url === url))
    if (!t) return
    const e = t.entries.find((x) => x.url === url) as Entry
    if (e.row.status === 'disabled') return
    t.entries.splice(t.entries.indexOf(e), 1)
    t.entries.unshift(e)
    this.trigger(t, false)
  }

  /** The regular interval the tracker last gave its tier, in ms (null: not answered yet). */
  announceIntervalMs(url: string): number | null {
    return this.tiers.find((t) => t.entries.some((e) => e.url === url))?.intervalMs ?? null
  }

  rows(): TrackerRow[] {
    return this.tiers.flatMap((t) => t.entries.map((e) => ({ ...e.row })))
  }

  private trigger(t: Tier, ignoreMinInterval: boolean): void {
    if (t.busy) {
      t.again = true
      return
    }
    const earliest = ignoreMinInterval || t.lastSuccessAt === null ? 0 : t.lastSuccessAt + t.minIntervalMs
    this.schedule(t, Math.max(0, earliest - this.clock.now()))
  }

  private schedule(t: Tier, delayMs: number): void {
    if (t.timer !== null) this.clock.clearTimeout(t.timer)
    const at = this.clock.now() + delayMs
    t.nextAt = at
    const first = t.entries.find((e) => e.row.status !== 'disabled')
    for (const e of t.entries) e.row.nextAnnounce = e === first ? at : null
    t.timer = this.clock.setTimeout(() => {
      t.timer = null
      t.nextAt = null
      this.run(t)
    }, delayMs)
  }

  private params(e: Entry, event: AnnounceEvent | undefined): AnnounceParams {
    const s = this.o.stats()
    const p: AnnounceParams = {
      infoHash: this.o.infoHash,
      peerId: this.o.peerId,
      port: typeof this.o.port === 'function' ? this.o.port() : this.o.port,
      uploaded: s.uploaded,
      downloaded: s.downloaded,
      left: s.left,
      numwant: event === 'stopped' ? 0 : (this.o.numwant ?? 80),
      key: this.key,
    }
    if (event) p.event = event
    if (e.trackerId) p.trackerId = e.trackerId
    const ipv6 = this.o.ipv6?.()
    if (ipv6) p.ipv6 = ipv6
    return p
  }

  /** Runs a tier's announce; an unexpected throw (e.g. from stats()) retries later instead of escaping. */
  private run(t: Tier): void {
    this.announceTier(t).catch((err: unknown) => {
      this.o.log?.error(`announce round failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`)
      if (this.running && !t.retired) this.schedule(t, this.o.retryBaseMs ?? 30_000)
    })
  }

  private async announceTier(t: Tier): Promise<void> {
    if (!this.running || t.busy || t.retired) return
    t.busy = true
    t.again = false
    const signal = this.abort.signal
    let nextDelay: number | null = null
    try {
      nextDelay = await this.tryTier(t, signal)
    } finally {
      // An announce abandoned by stop() may settle after a restart: leave the new run's flag alone.
      if (signal === this.abort.signal) t.busy = false
    }
    if (t.retired) {
      if (this.running && !signal.aborted) this.handOver(t, nextDelay)
      return
    }
    if (this.running && !signal.aborted && nextDelay !== null) this.schedule(t, nextDelay)
  }

  /** Tries the tier's trackers in order; returns the delay until the next announce (null: none). */
  private async tryTier(t: Tier, signal: AbortSignal): Promise<number | null> {
    for (const e of [...t.entries]) {
      if (e.row.status === 'disabled') continue
      // A tracker that has not seen us yet gets 'started', even mid-download (it is new to us).
      const event: AnnounceEvent | undefined = !e.started ? 'started' : t.completedPending ? 'completed' : undefined
      e.row.status = 'announcing'
      t.current = e
      // A silent tracker (UDP to a dead port) says so while its announce is still retrying.
      const notice = this.clock.setTimeout(() => {
        if (e.row.status === 'announcing') e.row.message = NO_REPLY_MESSAGE
      }, this.o.noReplyNoticeMs ?? NO_REPLY_NOTICE_MS)
      let res: AnnounceResult
      try {
        // 'completed' is not cut off by stop(): it is owed even when we stop right after completing
        const call = this.announcer(e.url, this.params(e, event), event === 'completed' ? {} : { signal })
        if (event === 'completed') {
          const completing: Promise<void> = call
            // a failure is handled where `call` is awaited below; this chain only tracks completion
            .then(
              () => {
                t.completedPending = false
              },
              () => undefined,
            )
            .finally(() => {
              if (t.completing === completing) t.completing = null
            })
          t.completing = completing
        }
        res = await call
      } catch (err) {
        this.clock.clearTimeout(notice)
        if (signal.aborted) return null
        e.row.status = 'error'
        e.row.lastAnnounce = this.clock.now()
        e.row.message = err instanceof Error ? err.message : String(err)
        this.o.log?.warn(`${e.url}: announce${event ? ` (${event})` : ''} failed: ${e.row.message}`)
        if (t.retired) return null // the list was edited meanwhile: the new tier takes over
        continue
      }
      this.clock.clearTimeout(notice)
      if (signal.aborted) return null
      const now = this.clock.now()
      Object.assign(e.row, {
        status: 'working',
        lastAnnounce: now,
        seeders: res.complete ?? null,
        leechers: res.incomplete ?? null,
      })
      e.row.peersReceived += res.peers.length
      if (res.warning) e.row.message = res.warning
      else delete e.row.message
      this.o.log?.info(
        `${e.url}: announced${event ? ` (${event})` : ''}, ${res.peers.length} peers${res.warning ? `, warning: ${res.warning}` : ''}`,
      )
      if (res.trackerId) e.trackerId = res.trackerId
      e.started = true
      // (a 'completed' cleared it already, in `t.completing`, whose handler runs before this)
      if (event === 'started' && this.o.stats().left === 0) t.completedPending = false
      t.entries.splice(t.entries.indexOf(e), 1)
      t.entries.unshift(e)
      t.lastSuccessAt = now
      t.minIntervalMs = Math.max(this.o.minAnnounceIntervalMs ?? MIN_INTERVAL_FLOOR_MS, (res.minInterval ?? 0) * 1000)
      t.intervalMs = Math.min(MAX_INTERVAL_MS, Math.max(t.minIntervalMs, res.interval * 1000))
      t.failures = 0
      // A throwing consumer must neither mark a working tracker failed nor stop the re-announce loop.
      if (res.peers.length > 0) {
        try {
          this.o.onPeers(res.peers, e.url)
        } catch (err) {
          // the consumer's bug; the peers of this round are lost, announcing goes on
          this.o.log?.error(
            `${e.url}: handling the announced peers failed: ${err instanceof Error ? err.message : String(err)}`,
          )
        }
      }
      if (t.again || (t.completedPending && event !== 'completed')) return t.minIntervalMs
      return Math.min(MAX_INTERVAL_MS, Math.max(t.minIntervalMs, res.interval * 1000))
    }
    if (!t.entries.some((e) => e.row.status !== 'disabled')) return null
    t.failures++
    const base = this.o.retryBaseMs ?? 30_000
    return Math.min(this.o.maxRetryMs ?? 30 * 60_000, base * 2 ** (t.failures - 1))
  }
}
