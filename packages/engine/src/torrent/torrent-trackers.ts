import type { TrackerRow } from '../api/types.ts'
import type { Logger, NetPort } from '../platform/ports.ts'
import { addTrackersTo, editTrackerIn, removeTrackersFrom } from '../tracker/tracker-list.ts'
import { TrackerManager } from '../tracker/tracker-manager.ts'
import { defaultScraper, type Scraper, TrackerScraper } from '../tracker/tracker-scraper.ts'
import { UdpTrackerClient } from '../tracker/udp-tracker-client.ts'
import type { Clock } from '../util/clock.ts'
import { errorText } from '../util/log.ts'
import type { PeerAddress } from '../util/peer-address.ts'

/** What a torrent's trackers may use of it, and where announced peers go. */
export interface TrackersHost {
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
  readonly net: NetPort
  readonly clock: Clock
  readonly log: Logger
  listenPort(): number
  /** Our IPv6 address for trackers, when we know one. */
  announceIpv6(): string | undefined
  /** Transfer totals and bytes left, as announced. */
  stats(): { uploaded: number; downloaded: number; left: number }
  onPeers(peers: PeerAddress[]): void
  /** Private torrents (BEP 27) scrape no more often than they announce. */
  isPrivate(): boolean
  /** Replaces the network scrape (tests). */
  readonly scraper?: Scraper
}

const STOP_TIMEOUT_MS = 3000

/**
 * The torrent's side of its TrackerManager: feeds announced peers into the pool (the only peer
 * list) and reports our transfer totals. `stopped` is announced with a time limit so stopping a
 * torrent never hangs on a dead tracker.
 */
export class TorrentTrackers {
  private manager: TrackerManager | null = null
  private scraper: TrackerScraper | null = null
  private udp: UdpTrackerClient | null = null
  private tiers: string[][]

  constructor(
    private readonly host: TrackersHost,
    tiers: string[][],
  ) {
    this.tiers = tiers.map((t) => [...t])
  }

  private running = false

  /** Tracker URLs this torrent announces to, every tier. */
  urls(): string[] {
    return this.tiers.flat()
  }

  /** The list as it is now (a copy). */
  tierList(): string[][] {
    return this.tiers.map((t) => [...t])
  }

  /** Adds trackers not known yet (each its own tier), announcing to them at once while running; how many were new. */
  add(urls: readonly string[]): number {
    const known = new Set(this.urls())
    const fresh = [...new Set(urls)].filter((u) => !known.has(u))
    for (const u of fresh) this.tiers.push([u])
    if (fresh.length === 0) return 0
    if (this.manager) this.manager.addTrackers(fresh)
    else if (this.running) this.start()
    return fresh.length
  }

  /** The user adds trackers (checked; into `tier`, or each a tier of its own). Returns the URLs new to the list. */
  addChecked(urls: readonly string[], tier?: number): string[] {
    const r = addTrackersTo(this.tiers, urls, tier)
    if (r.added.length > 0) this.setTiers(r.tiers)
    return r.added
  }

  /** The user changes one tracker's URL and/or tier. Throws TrackerEditError. */
  edit(url: string, change: { url?: string; tier?: number }): void {
    this.setTiers(editTrackerIn(this.tiers, url, change))
  }

  /** The user removes trackers (told 'stopped' if they saw us). Throws TrackerEditError. */
  remove(urls: readonly string[]): void {
    this.setTiers(removeTrackersFrom(this.tiers, urls))
  }

  /** Announce now (as soon as each tracker's min interval allows): one tracker, or all. */
  reannounce(url?: string): void {
    this.manager?.reannounce(url)
  }

  /** Replaces the whole list (an edit, or the list saved with the session). */
  setTiers(tiers: readonly string[][]): void {
    this.tiers = tiers.map((t) => [...t])
    if (this.manager) this.manager.setTiers(this.tiers)
    else if (this.running) this.start()
  }

  start(): void {
    this.running = true
    if (this.manager || this.tiers.length === 0) return
    const h = this.host
    // one BEP 15 client for the announces and the scrapes (one connection id per tracker)
    const udp = this.udp ?? new UdpTrackerClient(h.net, { clock: h.clock, maxRetries: 1 })
    this.udp = udp
    const manager = new TrackerManager({
      tiers: this.tiers,
      udp,
      infoHash: h.infoHash,
      peerId: h.peerId,
      net: h.net,
      clock: h.clock,
      port: () => h.listenPort(),
      ipv6: () => h.announceIpv6(),
      stats: () => h.stats(),
      onPeers: (peers) => h.onPeers(peers),
      log: h.log,
    })
    this.manager = manager
    this.scraper = new TrackerScraper({
      infoHash: h.infoHash,
      clock: h.clock,
      scrape: h.scraper ?? defaultScraper(h.net, h.clock, () => udp),
      urls: () => this.urls(),
      announceIntervalMs: (url) => manager.announceIntervalMs(url),
      isPrivate: () => h.isPrivate(),
      log: h.log,
    })
    manager.start()
    this.scraper.start()
  }

  completed(): void {
    this.manager?.completed()
  }

  /** Metadata arrived: `left` is known now, tell the trackers soon. */
  updateLeft(): void {
    this.manager?.announceNow()
  }

  async stop(): Promise<void> {
    this.running = false
    const m = this.manager
    this.manager = null
    this.scraper?.stop()
    this.scraper = null
    if (!m) return
    let timer: unknown
    await Promise.race([
      m.stop().catch((err: unknown) => this.host.log.debug?.(`stopping the announces failed: ${errorText(err)}`)),
      new Promise<void>((r) => {
        timer = this.host.clock.setTimeout(r, STOP_TIMEOUT_MS)
      }),
    ])
    this.host.clock.clearTimeout(timer)
    this.udp?.close()
    this.udp = null
  }

  rows(): TrackerRow[] {
    const rows = this.announceRows()
    const scraper = this.scraper
    if (!scraper) return rows
    for (const r of rows) {
      const { info, error } = scraper.info(r.url)
      if (error) r.scrapeError = error
      if (!info) continue
      r.downloaded = info.downloaded
      r.scrapedAt = info.at
      // the newer count wins: an announce answer, or the scrape when it came later (or alone)
      if (r.lastAnnounce === null || r.status !== 'working' || info.at > r.lastAnnounce) {
        r.seeders = info.complete
        r.leechers = info.incomplete
      }
    }
    return rows
  }

  private announceRows(): TrackerRow[] {
    return (
      this.manager?.rows() ??
      this.tiers.flatMap((tier, i) =>
        tier.map(
          (url): TrackerRow => ({
            url,
            tier: i,
            status: 'idle',
            lastAnnounce: null,
            nextAnnounce: null,
            peersReceived: 0,
            seeders: null,
            leechers: null,
          }),
        ),
      )
    )
  }
}
