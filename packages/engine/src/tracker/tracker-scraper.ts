import type { NetPort } from '../platform/ports.ts'
import type { Clock, TimerHandle } from '../util/clock.ts'
import { toHex } from '../util/hex.ts'
import type { ScrapeResult } from './announce-types.ts'
import { httpScrape, scrapeUrlFor } from './http-scrape.ts'
import { TrackerError } from './tracker-error.ts'
import type { UdpTrackerClient } from './udp-tracker-client.ts'

/** Scrapes one tracker for one torrent (tests replace it). */
export type Scraper = (url: string, infoHash: Uint8Array, signal: AbortSignal) => Promise<ScrapeResult>

/** Whether a tracker can be scraped: UDP always (BEP 15), HTTP when its URL follows BEP 48's convention. */
export function canScrape(url: string): boolean {
  if (/^udp:\/\//i.test(url)) return true
  return /^https?:\/\//i.test(url) && scrapeUrlFor(url) !== null
}

/** The network scrape: http(s) through NetPort TCP (bounded by its timeout), udp through the given BEP 15 client. */
export function defaultScraper(net: NetPort, clock: Clock, udp: () => UdpTrackerClient): Scraper {
  return async (url, infoHash, signal) => {
    if (/^udp:\/\//i.test(url)) {
      const [r] = await udp().scrape(url, [infoHash], signal)
      if (!r) throw new TrackerError('bad-response', 'the scrape reply is empty')
      return r
    }
    const r = (await httpScrape(net, url, [infoHash], { clock, timeoutMs: 15_000 })).get(toHex(infoHash))
    if (!r) throw new TrackerError('bad-response', 'the tracker does not list this torrent')
    return r
  }
}

export interface ScrapeInfo {
  complete: number
  incomplete: number
  downloaded: number
  /** When this answer arrived. */
  at: number
}

export interface TrackerScraperOptions {
  infoHash: Uint8Array
  clock: Clock
  scrape: Scraper
  /** The trackers now listed. */
  urls(): string[]
  /** The tracker's regular announce interval (ms) once it answered one, else null. */
  announceIntervalMs(url: string): number | null
  /**
   * A private torrent's trackers may count scrapes against the user: then a tracker is scraped only
   * once its announce interval is known, and never more often than that interval.
   */
  isPrivate(): boolean
  /** Regular refresh (default 30 min; never shorter than the tracker's announce interval). */
  intervalMs?: number
  /** First scrape after start, once the first announces had their turn (default 15 s). */
  firstDelayMs?: number
  /** A failed scrape is tried again after this long (default 30 min: scrape is a nicety). */
  retryMs?: number
  log?: { debug?: (msg: string) => void }
}

interface State {
  nextAt: number
  info?: ScrapeInfo
  error?: string
}

const DEFAULT_INTERVAL_MS = 30 * 60_000
/** Wakes at least this often while running, so a private tracker's newly learnt interval is seen. */
const MAX_SLEEP_MS = 5 * 60_000
/** A sweep never follows the last one at once (a clock that does not move must not spin). */
const MIN_SLEEP_MS = 1000

/**
 * Keeps seeds/leechers/downloaded per tracker fresh for the Trackers tab: one scrape per tracker
 * shortly after start, then at most once per max(interval, the tracker's announce interval).
 * Scrapes run one at a time, so a torrent with many trackers sends a trickle, not a burst.
 */
export class TrackerScraper {
  private readonly state = new Map<string, State>()
  private timer: TimerHandle | null = null
  private abort: AbortController | null = null
  private busy = false

  constructor(private readonly o: TrackerScraperOptions) {}

  start(): void {
    if (this.abort) return
    this.abort = new AbortController()
    const first = this.o.clock.now() + (this.o.firstDelayMs ?? 15_000)
    for (const s of this.state.values()) s.nextAt = Math.max(s.nextAt, first)
    this.wake(first - this.o.clock.now())
  }

  stop(): void {
    this.abort?.abort()
    this.abort = null
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer)
    this.timer = null
  }

  info(url: string): { info?: ScrapeInfo; error?: string } {
    const s = this.state.get(url)
    return s ? { ...(s.info ? { info: { ...s.info } } : {}), ...(s.error ? { error: s.error } : {}) } : {}
  }

  /** The earliest a tracker may be scraped again, or null while a private one's interval is unknown. */
  private spacing(url: string): number | null {
    const announce = this.o.announceIntervalMs(url)
    if (this.o.isPrivate() && announce === null) return null
    return Math.max(this.o.intervalMs ?? DEFAULT_INTERVAL_MS, announce ?? 0)
  }

  private wake(delayMs: number): void {
    if (!this.abort) return
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer)
    this.timer = this.o.clock.setTimeout(
      () => {
        this.timer = null
        void this.sweep()
      },
      Math.max(MIN_SLEEP_MS, Math.min(delayMs, MAX_SLEEP_MS)),
    )
  }

  private async sweep(): Promise<void> {
    const abort = this.abort
    if (!abort || this.busy) return
    this.busy = true
    try {
      const listed = new Set(this.o.urls().filter(canScrape))
      for (const url of this.state.keys()) if (!listed.has(url)) this.state.delete(url)
      const now = this.o.clock.now()
      for (const url of listed) {
        if (abort.signal.aborted) return
        let s = this.state.get(url)
        if (!s) {
          s = { nextAt: now }
          this.state.set(url, s)
        }
        if (s.nextAt > this.o.clock.now()) continue
        if (this.o.isPrivate() && this.o.announceIntervalMs(url) === null) {
          s.nextAt = this.o.clock.now() + MAX_SLEEP_MS // look again once an announce may have answered
          continue
        }
        await this.scrapeOne(url, s, abort.signal)
      }
    } finally {
      this.busy = false
    }
    if (abort !== this.abort) return
    let next = Number.POSITIVE_INFINITY
    for (const s of this.state.values()) next = Math.min(next, s.nextAt)
    this.wake(Number.isFinite(next) ? next - this.o.clock.now() : MAX_SLEEP_MS)
  }

  private async scrapeOne(url: string, s: State, signal: AbortSignal): Promise<void> {
    try {
      const r = await this.o.scrape(url, this.o.infoHash, signal)
      if (signal.aborted) return
      s.info = { complete: r.complete, incomplete: r.incomplete, downloaded: r.downloaded, at: this.o.clock.now() }
      delete s.error
      s.nextAt = this.o.clock.now() + (this.spacing(url) ?? DEFAULT_INTERVAL_MS)
    } catch (err) {
      if (signal.aborted) return
      s.error = err instanceof Error ? err.message : String(err)
      s.nextAt = this.o.clock.now() + Math.max(this.o.retryMs ?? DEFAULT_INTERVAL_MS, this.spacing(url) ?? 0)
      this.o.log?.debug?.(`${url}: scrape failed: ${s.error}`)
    }
  }
}
