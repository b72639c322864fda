import { Choker, DEFAULT_CHOKER_CONFIG } from '../choke/choker.ts'
import type { PeerSession } from './peer-session.ts'
import type { Torrent } from './torrent.ts'

/**
 * Applies a Choker (by default BEP 3: 4 regular slots re-evaluated every 10 s, 1 optimistic slot
 * rotated every 30 s favouring new peers; the engine's `choker` option changes them) to a torrent's
 * sessions. A peer that becomes interested while a slot is free is unchoked at once, so transfers
 * start without waiting for the next round.
 */
export class UploadChoker {
  private readonly choker: Choker
  private readonly slots: number

  constructor(private readonly t: Torrent) {
    const config = { ...DEFAULT_CHOKER_CONFIG, ...t.ctx.choker }
    this.choker = new Choker({ config, now: () => t.ctx.clock.now() })
    this.slots = config.regularSlots + config.optimisticSlots
  }

  tick(_n: number): void {
    if (this.choker.isDue()) this.rechoke()
  }

  private unchokedCount(): number {
    let n = 0
    for (const s of this.t.sessions.values()) if (!s.amChoking) n++
    return n
  }

  onInterested(s: PeerSession): void {
    if (s.amChoking && this.unchokedCount() < this.slots) s.unchoke()
  }

  onPeerRemoved(s: PeerSession): void {
    this.choker.removePeer(s.peer.key)
    if (s.amChoking) return
    // its slot is free: give it to someone waiting
    for (const o of this.t.sessions.values()) {
      if (o !== s && o.amChoking && o.peerInterested) {
        o.unchoke()
        break
      }
    }
  }

  rechoke(): void {
    const views = [...this.t.sessions.values()].map((s) => ({
      id: s.peer.key,
      interested: s.peerInterested,
      downloadRate: s.downloadRate(),
      uploadRate: s.uploadRate(),
      connectedAt: s.connectedAt,
      isSeed: s.isSeed(),
      snubbed: s.conn.stats().snubbed,
    }))
    const decision = this.choker.rechoke(views, { seeding: this.t.downloader?.isComplete() ?? false })
    for (const s of this.t.sessions.values()) {
      if (decision.unchoke.has(s.peer.key)) s.unchoke()
      else s.choke()
    }
  }
}
