/** A peer as far as its download rate goes. */
export interface RatedPeer {
  downloadRate(): number
}

/** Refresh the threshold at most this often: fillRequests runs per block, the rates move slowly. */
const REFRESH_MS = 500

/**
 * Fast peers get time-critical pieces first (as libtorrent sends deadline requests to its fastest
 * peers): a peer is fast when it gives us at least half the rate of our best peer. With one peer,
 * or none moving data yet, everyone is fast.
 */
export class FastPeers {
  private threshold = 0
  private at = Number.NEGATIVE_INFINITY

  constructor(private readonly now: () => number) {}

  isFast(peer: RatedPeer, all: Iterable<RatedPeer>): boolean {
    const now = this.now()
    if (now - this.at >= REFRESH_MS) {
      let best = 0
      for (const p of all) best = Math.max(best, p.downloadRate())
      this.threshold = best / 2
      this.at = now
    }
    return peer.downloadRate() >= this.threshold
  }
}
