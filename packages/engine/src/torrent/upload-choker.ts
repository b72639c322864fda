import { Choker, DEFAULT_CHOKER_CONFIG, type ChokerConfig } from '../choke/choker.ts'
import type { Clock } from '../util/clock.ts'
import type { TradingPeer } from './peer-handle.ts'

/** What the choker may use of its torrent: the live sessions, read only. */
export interface ChokerHost {
  sessions(): Iterable<TradingPeer>
  clock: Clock
  /** Overrides of the default slots and timing. */
  config?: Partial<ChokerConfig>
}

/**
 * Applies a Choker (by default BEP 3: 4 regular slots re-evaluated every 10 s, 1 optimistic slot
 * rotated every 30 s favouring new peers; the engine's `choker` option changes them) to a torrent's
 * sessions. A peer that becomes interested while a slot is free is unchoked at once, so transfers
 * start without waiting for the next round.
 */
export class UploadChoker {
  private readonly choker: Choker
  private readonly slots: number
  /** Set by the torrent's status: a seed ranks peers by what they take from us, not what they give. */
  private seeding = false

  constructor(private readonly host: ChokerHost) {
    const config = { ...DEFAULT_CHOKER_CONFIG, ...host.config }
    this.choker = new Choker({ config, now: () => host.clock.now() })
    this.slots = config.regularSlots + config.optimisticSlots
  }

  setSeeding(seeding: boolean): void {
    this.seeding = seeding
  }

  tick(_n: number): void {
    if (this.choker.isDue()) this.rechoke()
  }

  private unchokedCount(): number {
    let n = 0
    for (const s of this.host.sessions()) if (!s.amChoking) n++
    return n
  }

  onInterested(s: TradingPeer): void {
    if (s.amChoking && this.unchokedCount() < this.slots) s.unchoke()
  }

  onPeerRemoved(s: TradingPeer): void {
    this.choker.removePeer(s.peer.key)
    if (s.amChoking) return
    // its slot is free: give it to someone waiting
    for (const o of this.host.sessions()) {
      if (o !== s && o.amChoking && o.peerInterested) {
        o.unchoke()
        break
      }
    }
  }

  rechoke(): void {
    const views = [...this.host.sessions()].map((s) => ({
      id: s.peer.key,
      interested: s.peerInterested,
      downloadRate: s.downloadRate(),
      uploadRate: s.uploadRate(),
      connectedAt: s.connectedAt,
      isSeed: s.isSeed(),
      snubbed: s.snubbed(),
    }))
    const decision = this.choker.rechoke(views, { seeding: this.seeding })
    for (const s of this.host.sessions()) {
      if (decision.unchoke.has(s.peer.key)) s.unchoke()
      else s.choke()
    }
  }
}
