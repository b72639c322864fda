import type { TradingPeer } from './peer-handle.ts'

/** How long a computed share is reused (fillRequests runs on every block). */
const RECOMPUTE_MS = 100

/**
 * The most requests one peer may hold while the pieces in progress are bounded (a memory budget): an
 * equal share of that budget among the peers that can be asked now. Without it the first few peers
 * with deep pipelines (2 s of their rate) hold every started piece, and in a swarm of many slow seeds
 * the rest get nothing: 32 seeds at 4 MiB/s each, of which 4 to 9 ever sent a byte (bench:swarm).
 * libtorrent has no such budget (it writes blocks as they come) and so no need for a share.
 */
export class RequestShare {
  private share = Number.POSITIVE_INFINITY
  private computedAt = Number.NEGATIVE_INFINITY
  /** Peers that could be asked at the last computation (the budget may scale with them). */
  askable = 0

  constructor(
    private readonly opts: {
      /** Blocks the pieces in progress may hold in all. */
      budgetBlocks: () => number
      sessions: () => Iterable<TradingPeer>
      now: () => number
      /** A peer may always hold this many (a pipeline shallower than this stalls on round trips). */
      minBlocks: number
    },
  ) {}

  /** Requests `s` may still add. */
  room(s: TradingPeer): number {
    const now = this.opts.now()
    if (now - this.computedAt >= RECOMPUTE_MS) {
      let askable = 0
      for (const p of this.opts.sessions())
        if (p.canRequest() && (!p.peerChoking || p.allowedFastSet()?.size)) askable++
      this.askable = askable
      this.share = Math.max(this.opts.minBlocks, Math.floor(this.opts.budgetBlocks() / Math.max(1, askable)))
      this.computedAt = now
    }
    return Math.max(0, this.share - s.requestCount())
  }
}
