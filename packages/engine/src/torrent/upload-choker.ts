import type { PeerSession } from './peer-session.ts'
import type { Torrent } from './torrent.ts'

const REGULAR_SLOTS = 4
const RECHOKE_SEC = 10
const OPTIMISTIC_SEC = 30

/**
 * Applies BEP 3 choking to a torrent's sessions: every 10 s the best interested peers get the
 * regular slots (by their rate to us while downloading, by our rate to them while seeding), and
 * one optimistic slot rotates every 30 s, favouring newly connected peers. A peer that becomes
 * interested while a slot is free is unchoked at once, so transfers start without waiting for
 * the next round.
 */
export class UploadChoker {
  private optimistic: string | null = null
  private lastOptimisticAt = -Infinity

  constructor(private readonly t: Torrent) {}

  tick(n: number): void {
    if (n % RECHOKE_SEC === 0) this.rechoke()
  }

  private unchokedCount(): number {
    let n = 0
    for (const s of this.t.sessions.values()) if (!s.amChoking) n++
    return n
  }

  onInterested(s: PeerSession): void {
    if (s.amChoking && this.unchokedCount() < REGULAR_SLOTS + 1) s.unchoke()
  }

  onPeerRemoved(s: PeerSession): void {
    if (this.optimistic === s.peer.key) this.optimistic = null
    if (!s.amChoking) {
      // a slot is free: give it to someone waiting
      for (const o of this.t.sessions.values()) {
        if (o !== s && o.amChoking && o.peerInterested) {
          o.unchoke()
          break
        }
      }
    }
  }

  rechoke(): void {
    const now = this.t.ctx.clock.now()
    const seeding = this.t.downloader?.isComplete() ?? false
    const interested = [...this.t.sessions.values()].filter((s) => s.peerInterested && !s.isSeed())
    const score = (s: PeerSession) => (seeding ? s.uploadRate() : s.downloadRate())
    interested.sort((a, b) => score(b) - score(a))
    const unchoke = new Set(interested.slice(0, REGULAR_SLOTS).map((s) => s.peer.key))
    const rest = interested.filter((s) => !unchoke.has(s.peer.key))
    const current = this.optimistic ? this.t.sessions.get(this.optimistic) : undefined
    if (!current || !rest.includes(current) || now - this.lastOptimisticAt >= OPTIMISTIC_SEC * 1000) {
      this.optimistic = pickOptimistic(rest, now)?.peer.key ?? null
      this.lastOptimisticAt = now
    }
    if (this.optimistic) unchoke.add(this.optimistic)
    for (const s of this.t.sessions.values()) {
      if (unchoke.has(s.peer.key)) s.unchoke()
      else s.choke()
    }
  }
}

/** Newly connected peers (under a minute) get three times the weight, as BEP 3 practice suggests. */
function pickOptimistic(peers: PeerSession[], now: number): PeerSession | undefined {
  if (peers.length === 0) return undefined
  const weights = peers.map((s) => (now - s.connectedAt < 60_000 ? 3 : 1))
  let r = Math.random() * weights.reduce((a, b) => a + b, 0)
  for (let i = 0; i < peers.length; i++) {
    r -= weights[i]!
    if (r < 0) return peers[i]
  }
  return peers[peers.length - 1]
}
