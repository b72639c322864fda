import type { TrackerRow } from '../api/types.ts'
import type { Logger, NetPort } from '../platform/ports.ts'
import { TrackerManager } from '../tracker/tracker-manager.ts'
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
}

const STOP_TIMEOUT_MS = 3000

/**
 * The torrent's side of its TrackerManager: feeds announced peers into the pool (the only peer
 * list) and reports our transfer totals. `stopped` is announced with a time limit so stopping a
 * torrent never hangs on a dead tracker.
 */
export class TorrentTrackers {
  private manager: TrackerManager | null = null

  constructor(
    private readonly host: TrackersHost,
    private readonly tiers: string[][],
  ) {}

  private running = false

  /** Tracker URLs this torrent announces to, every tier. */
  urls(): string[] {
    return this.tiers.flat()
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

  start(): void {
    this.running = true
    if (this.manager || this.tiers.length === 0) return
    const h = this.host
    this.manager = new TrackerManager({
      tiers: this.tiers,
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
    this.manager.start()
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
    if (!m) return
    let timer: unknown
    await Promise.race([
      m.stop().catch((err: unknown) => this.host.log.debug?.(`stopping the announces failed: ${errorText(err)}`)),
      new Promise<void>((r) => {
        timer = this.host.clock.setTimeout(r, STOP_TIMEOUT_MS)
      }),
    ])
    this.host.clock.clearTimeout(timer)
  }

  rows(): TrackerRow[] {
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
