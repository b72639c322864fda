import type { TrackerRow } from '../api/types.ts'
import { TrackerManager } from '../tracker/tracker-manager.ts'
import { errorText } from '../util/log.ts'
import type { Torrent } from './torrent.ts'

const STOP_TIMEOUT_MS = 3000

/**
 * The torrent's side of its TrackerManager: feeds announced peers into the pool (the only peer
 * list) and reports our transfer totals. `stopped` is announced with a time limit so stopping a
 * torrent never hangs on a dead tracker.
 */
export class TorrentTrackers {
  private manager: TrackerManager | null = null

  constructor(
    private readonly t: Torrent,
    private readonly tiers: string[][],
  ) {}

  start(): void {
    if (this.manager || this.tiers.length === 0) return
    const t = this.t
    this.manager = new TrackerManager({
      tiers: this.tiers,
      infoHash: t.infoHashBytes,
      peerId: t.ctx.peerId,
      net: t.ctx.platform.net,
      clock: t.ctx.clock,
      port: () => t.ctx.listenPort(),
      stats: () => ({
        uploaded: t.uploadedTotal,
        downloaded: t.downloadedTotal,
        left: t.downloader ? t.downloader.selectedBytes() - t.downloader.verifiedSelectedBytes() : t.info ? t.info.length : 16384,
      }),
      onPeers: (peers) => {
        t.addPeers(peers, 'tracker')
      },
      log: t.log.tracker,
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
    const m = this.manager
    this.manager = null
    if (!m) return
    let timer: unknown
    await Promise.race([
      m.stop().catch((err: unknown) => this.t.log.tracker.debug?.(`stopping the announces failed: ${errorText(err)}`)),
      new Promise<void>((r) => {
        timer = this.t.ctx.clock.setTimeout(r, STOP_TIMEOUT_MS)
      }),
    ])
    this.t.ctx.clock.clearTimeout(timer)
  }

  rows(): TrackerRow[] {
    return this.manager?.rows() ?? this.tiers.flatMap((tier, i) => tier.map((url): TrackerRow => ({ url, tier: i, status: 'idle', lastAnnounce: null, nextAnnounce: null, peersReceived: 0, seeders: null, leechers: null })))
  }
}
