import type { EngineSettings, TorrentStatus } from '../api/types.ts'
import type { Logger } from '../platform/ports.ts'
import type { Clock, TimerHandle } from '../util/clock.ts'
import { errorText } from '../util/log.ts'
import {
  GLOBAL_SEED_LIMITS,
  parseOverride,
  seedLimitReached,
  shareRatio,
  type TorrentSeedLimits,
} from './seed-limits.ts'
import { planQueue, QueueOrder, SlowTracker, type QueueMove, type QueueView } from './torrent-queue.ts'

/** What the scheduler reads of a torrent. */
export interface ScheduledTorrent {
  readonly infoHash: string
  readonly name: string
  readonly status: TorrentStatus
  readonly uploadedTotal: number
  readonly downloadedTotal: number
  readonly downloader: { selectedBytes(): number } | null
  readonly info: { length: number } | null
  readonly down: { rate(): number }
  readonly up: { rate(): number }
  isActive(): boolean
  isComplete(): boolean
}

/** What the scheduler may do to the engine's torrents. */
export interface SchedulerHost {
  torrents(): Iterable<ScheduledTorrent>
  get(infoHash: string): ScheduledTorrent | undefined
  /** The user paused it. */
  isPaused(infoHash: string): boolean
  settings(): EngineSettings
  /** Runs it (it was queued or its error cleared). */
  run(infoHash: string): Promise<void>
  /** Stops it, or marks it if stopped already, as `queued`. */
  queue(infoHash: string): Promise<void>
  /** A seeding limit was reached: pause it as the user would, or remove it (keeping its data). */
  pauseForLimit(infoHash: string): Promise<void>
  removeForLimit(infoHash: string): Promise<void>
  /** Something worth saving changed (the session holds what `saved()` returns). */
  changed(): void
  log: Logger
}

/** What the session keeps of a torrent for the scheduler: its totals and the user's choices. */
export interface ScheduleRecord {
  /** Seeding time so far, ms. */
  seedingMs: number
  completedAt?: number
  forced: boolean
  limits: TorrentSeedLimits
}

const TICK_MS = 1000
/** Totals and seeding time are saved this often while torrents run (and on every stop). */
const SAVE_EVERY_TICKS = 60

/**
 * Runs the queue and the seeding limits for the engine: once a second and after each status change it
 * plans which torrents run (torrent-queue.ts), starts and queues them, adds up seeding time and
 * stops (or removes) seeds that reached a limit. Keeps the queue order, force-start flags, seeding
 * time, completion dates and per-torrent limits, which the engine saves with the session.
 */
export class TorrentScheduler {
  private readonly order = new QueueOrder()
  private readonly slow = new SlowTracker()
  private readonly records = new Map<string, ScheduleRecord>()
  /** Records read from the saved session, taken when their torrent is added again. */
  private readonly preloaded = new Map<string, ScheduleRecord>()
  private timer: TimerHandle | null = null
  private lastTickAt = 0
  private ticks = 0
  private applying: Promise<void> | null = null
  private again = false
  private running = false

  constructor(
    private readonly host: SchedulerHost,
    private readonly clock: Clock,
  ) {}

  start(): void {
    if (this.timer !== null) return
    this.running = true
    this.lastTickAt = this.clock.now()
    this.timer = this.clock.setTimeout(() => this.tick(), TICK_MS)
    void this.apply()
  }

  /** Stops planning: the engine stopping its torrents must not make the queue start them again. */
  stop(): void {
    this.running = false
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
    this.accountSeeding()
  }

  /** A saved torrent's record, before the torrent is added again. */
  preload(infoHash: string, saved: Partial<ScheduleRecord> | undefined): void {
    if (!saved) return
    this.preloaded.set(infoHash, {
      seedingMs: typeof saved.seedingMs === 'number' && saved.seedingMs > 0 ? saved.seedingMs : 0,
      ...(typeof saved.completedAt === 'number' ? { completedAt: saved.completedAt } : {}),
      forced: saved.forced === true,
      limits: {
        ratio: parseOverride(saved.limits?.ratio),
        seedingTimeMin: parseOverride(saved.limits?.seedingTimeMin),
      },
    })
  }

  /** A torrent joins at the bottom of the queue (or at its place among restored ones). */
  add(infoHash: string): void {
    this.order.add(infoHash)
    const rec = this.preloaded.get(infoHash) ?? { seedingMs: 0, forced: false, limits: { ...GLOBAL_SEED_LIMITS } }
    this.preloaded.delete(infoHash)
    this.records.set(infoHash, rec)
  }

  remove(infoHash: string): void {
    this.order.remove(infoHash)
    this.records.delete(infoHash)
    this.slow.forget(infoHash)
  }

  record(infoHash: string): Readonly<ScheduleRecord> | undefined {
    return this.records.get(infoHash)
  }

  position(infoHash: string): number {
    return this.order.position(infoHash)
  }

  move(infoHashes: readonly string[], to: QueueMove): void {
    if (!this.order.move(infoHashes, to)) return
    this.host.changed()
    void this.apply()
  }

  setForced(infoHash: string, forced: boolean): void {
    const rec = this.records.get(infoHash)
    if (!rec || rec.forced === forced) return
    rec.forced = forced
    this.host.changed()
  }

  setLimits(infoHash: string, patch: Partial<TorrentSeedLimits>): void {
    const rec = this.records.get(infoHash)
    if (!rec) throw new Error(`unknown torrent ${infoHash}`)
    if (patch.ratio !== undefined) rec.limits.ratio = parseOverride(patch.ratio)
    if (patch.seedingTimeMin !== undefined) rec.limits.seedingTimeMin = parseOverride(patch.seedingTimeMin)
    this.host.changed()
  }

  /** The share ratio the limits use (see `shareRatio`; the summaries count it the same way). */
  private ratio(t: ScheduledTorrent): number {
    // before storage opens (a paused torrent after a restart) the whole size stands for the selection
    return shareRatio(t.uploadedTotal, t.downloadedTotal, t.downloader?.selectedBytes() ?? t.info?.length ?? 0)
  }

  /**
   * Plans and applies the queue now; a call while one runs makes that one plan again when done.
   * Resolves when the torrents it started have started.
   */
  apply(): Promise<void> {
    if (!this.running) return Promise.resolve()
    if (this.applying) {
      this.again = true
      return this.applying
    }
    this.applying = (async () => {
      try {
        do {
          this.again = false
          await this.applyOnce()
        } while (this.again && this.running)
      } finally {
        this.applying = null
      }
    })()
    return this.applying
  }

  private async applyOnce(): Promise<void> {
    const s = this.host.settings()
    const now = this.clock.now()
    const views: QueueView[] = []
    for (const h of this.order.list()) {
      const t = this.host.get(h)
      if (!t) continue
      const rec = this.records.get(h)
      views.push({
        infoHash: h,
        wanted: !this.host.isPaused(h) && t.status !== 'error',
        forced: !!rec?.forced,
        complete: t.downloader && t.status !== 'checking' ? t.isComplete() : rec?.completedAt !== undefined,
        running: t.isActive(),
        slow: t.isActive() && this.slow.isSlow(h, now),
      })
    }
    const plan = planQueue(views, {
      enabled: s.queueingEnabled,
      maxActiveDownloads: s.maxActiveDownloads,
      maxActiveSeeds: s.maxActiveSeeds,
      maxActiveTorrents: s.maxActiveTorrents,
      dontCountSlow: s.dontCountSlowTorrents,
    })
    const work: Array<Promise<void>> = []
    for (const v of views) {
      const t = this.host.get(v.infoHash)
      if (!t) continue
      if (plan.queued.has(v.infoHash) && (v.running || t.status !== 'queued')) {
        this.slow.forget(v.infoHash)
        work.push(this.host.queue(v.infoHash))
      } else if (plan.run.has(v.infoHash) && !v.running) work.push(this.host.run(v.infoHash))
    }
    const results = await Promise.allSettled(work)
    for (const r of results)
      if (r.status === 'rejected') this.host.log.warn(`applying the queue failed: ${errorText(r.reason)}`)
  }

  private tick(): void {
    this.timer = null
    if (!this.running) return
    this.ticks++
    const now = this.clock.now()
    for (const t of this.host.torrents()) {
      if (t.isActive()) this.slow.observe(t.infoHash, now, t.down.rate(), t.up.rate())
      else this.slow.forget(t.infoHash)
    }
    this.accountSeeding()
    void this.enforceSeedLimits().then(() => this.apply())
    if (this.ticks % SAVE_EVERY_TICKS === 0) this.host.changed()
    this.timer = this.clock.setTimeout(() => this.tick(), TICK_MS)
  }

  /** Adds the time since the last call to every running seed, and dates completions. */
  private accountSeeding(): void {
    const now = this.clock.now()
    const dt = Math.max(0, now - this.lastTickAt)
    this.lastTickAt = now
    for (const t of this.host.torrents()) {
      const rec = this.records.get(t.infoHash)
      if (!rec) continue
      if (t.status === 'seeding' && t.isActive()) rec.seedingMs += dt
      if (rec.completedAt === undefined && t.downloader && t.isComplete()) {
        rec.completedAt = now
        this.host.changed()
      }
    }
  }

  /** The engine saw a torrent change (status, completion): date it and plan again soon. */
  noteChanged(infoHash: string): void {
    const t = this.host.get(infoHash)
    const rec = this.records.get(infoHash)
    if (t && rec && rec.completedAt === undefined && t.downloader && t.isComplete()) rec.completedAt = this.clock.now()
    void this.apply()
  }

  private async enforceSeedLimits(): Promise<void> {
    const s = this.host.settings()
    const global = { shareRatioLimit: s.shareRatioLimit, seedingTimeLimitMin: s.seedingTimeLimitMin }
    for (const t of [...this.host.torrents()]) {
      if (t.status !== 'seeding' || !t.isActive()) continue
      const rec = this.records.get(t.infoHash)
      if (!rec) continue
      const why = seedLimitReached({ ratio: this.ratio(t), seedingMs: rec.seedingMs }, rec.limits, global)
      if (!why) continue
      const what = why === 'ratio' ? 'share ratio' : 'seeding time'
      const remove = s.seedLimitAction === 'remove'
      this.host.log.info(`${t.name}: ${what} limit reached, ${remove ? 'removing it' : 'stopping it'}`)
      try {
        if (remove) await this.host.removeForLimit(t.infoHash)
        else await this.host.pauseForLimit(t.infoHash)
      } catch (err) {
        this.host.log.warn(`${t.name}: acting on the ${what} limit failed: ${errorText(err)}`)
      }
    }
  }
}
