/**
 * BEP 3 choking as pure decision logic: the torrent feeds it a view of its connected peers every
 * re-evaluation (10 s by default) and applies the returned set. While downloading, the regular
 * slots go to the interested peers that give us the best rate; while seeding, to those we upload
 * to fastest, or in turns (round-robin). One optimistic slot rotates every 30 s, and peers that
 * connected recently are three times as likely to get it.
 */

export interface ChokerPeerView {
  id: string
  /** The peer is interested in our pieces. */
  interested: boolean
  /** Bytes/s the peer sends us. */
  downloadRate: number
  /** Bytes/s we send the peer. */
  uploadRate: number
  /** ms when the connection was established. */
  connectedAt: number
  /** A seed wants nothing from us. */
  isSeed?: boolean
  /** Sent us nothing for a long while although unchoked: ranked last while downloading. */
  snubbed?: boolean
}

export interface ChokerConfig {
  rechokeIntervalMs: number
  regularSlots: number
  optimisticSlots: number
  optimisticIntervalMs: number
  /** Connected within this window counts as new for the optimistic draw. */
  newPeerWindowMs: number
  /** Weight of a new peer in the optimistic draw (others weigh 1). */
  newPeerWeight: number
  seedingMode: 'fastest-upload' | 'round-robin'
  /** Round-robin seeding: how long a peer keeps a regular slot before others get their turn. */
  roundRobinTurnMs: number
}

export const DEFAULT_CHOKER_CONFIG: ChokerConfig = {
  rechokeIntervalMs: 10_000,
  regularSlots: 4,
  optimisticSlots: 1,
  optimisticIntervalMs: 30_000,
  newPeerWindowMs: 60_000,
  newPeerWeight: 3,
  seedingMode: 'fastest-upload',
  roundRobinTurnMs: 30_000,
}

export interface ChokeDecision {
  /** Everyone to leave unchoked (regular ∪ optimistic); choke the rest. */
  unchoke: Set<string>
  regular: string[]
  optimistic: string[]
}

export class Choker {
  private config: ChokerConfig
  private readonly now: () => number
  private readonly random: () => number
  private optimistic: string[] = []
  private lastOptimisticAt = -Infinity
  private lastRechokeAt = -Infinity
  /** Round-robin bookkeeping: when a peer got its current regular slot, and when it last had one. */
  private readonly regularSince = new Map<string, number>()
  private readonly lastRegularAt = new Map<string, number>()

  constructor(opts: { config?: Partial<ChokerConfig>; now?: () => number; random?: () => number } = {}) {
    this.config = { ...DEFAULT_CHOKER_CONFIG, ...opts.config }
    this.now = opts.now ?? (() => Date.now())
    this.random = opts.random ?? Math.random
  }

  setConfig(patch: Partial<ChokerConfig>): void {
    this.config = { ...this.config, ...patch }
  }

  /** True when a re-evaluation is due (the first call always is). */
  isDue(): boolean {
    return this.now() - this.lastRechokeAt >= this.config.rechokeIntervalMs
  }

  /** Forget a peer that disconnected (its optimistic slot is refilled at the next rechoke). */
  removePeer(id: string): void {
    this.optimistic = this.optimistic.filter((x) => x !== id)
    this.regularSince.delete(id)
    this.lastRegularAt.delete(id)
  }

  rechoke(peers: ChokerPeerView[], opts: { seeding: boolean }): ChokeDecision {
    const now = this.now()
    this.lastRechokeAt = now
    const wanting = peers.filter((p) => p.interested && !p.isSeed)
    const regular = this.pickRegular(wanting, opts.seeding, now)
    const regularSet = new Set(regular)
    for (const id of [...this.regularSince.keys()]) if (!regularSet.has(id)) this.regularSince.delete(id)
    for (const id of regular) {
      if (!this.regularSince.has(id)) this.regularSince.set(id, now)
      this.lastRegularAt.set(id, now)
    }
    const others = wanting.filter((p) => !regularSet.has(p.id))
    const optimistic = this.pickOptimistic(others, now)
    return { unchoke: new Set([...regular, ...optimistic]), regular, optimistic }
  }

  private pickRegular(wanting: ChokerPeerView[], seeding: boolean, now: number): string[] {
    const slots = Math.max(0, this.config.regularSlots)
    const sorted = [...wanting]
    if (!seeding) {
      sorted.sort(
        (a, b) =>
          Number(!!a.snubbed) - Number(!!b.snubbed) ||
          b.downloadRate - a.downloadRate ||
          b.uploadRate - a.uploadRate ||
          cmp(a.id, b.id),
      )
    } else if (this.config.seedingMode === 'fastest-upload') {
      sorted.sort((a, b) => b.uploadRate - a.uploadRate || cmp(a.id, b.id))
    } else {
      // Round-robin: peers within their turn keep it; then whoever waited longest.
      const turn = this.config.roundRobinTurnMs
      const inTurn = (p: ChokerPeerView) => {
        const since = this.regularSince.get(p.id)
        return since !== undefined && now - since < turn
      }
      const last = (p: ChokerPeerView) => this.lastRegularAt.get(p.id) ?? -Infinity
      sorted.sort(
        (a, b) =>
          Number(inTurn(b)) - Number(inTurn(a)) || last(a) - last(b) || b.uploadRate - a.uploadRate || cmp(a.id, b.id),
      )
    }
    return sorted.slice(0, slots).map((p) => p.id)
  }

  private pickOptimistic(others: ChokerPeerView[], now: number): string[] {
    const slots = Math.max(0, this.config.optimisticSlots)
    const byId = new Map(others.map((p) => [p.id, p]))
    const rotate = now - this.lastOptimisticAt >= this.config.optimisticIntervalMs
    const previous = this.optimistic
    // Keep current optimistic peers that are still eligible unless it is time to rotate.
    const kept = rotate ? [] : previous.filter((id) => byId.has(id)).slice(0, slots)
    if (rotate) this.lastOptimisticAt = now
    // Rotating prefers someone other than the previous holders when there is anyone else.
    let pool = others.filter((p) => !kept.includes(p.id) && !(rotate && previous.includes(p.id)))
    if (pool.length === 0 && rotate) pool = others.filter((p) => !kept.includes(p.id))
    const chosen = [...kept]
    pool.sort((a, b) => cmp(a.id, b.id)) // a fixed order so an injected random is reproducible
    while (chosen.length < slots && pool.length > 0) {
      const weights = pool.map((p) =>
        now - p.connectedAt < this.config.newPeerWindowMs ? this.config.newPeerWeight : 1,
      )
      const total = weights.reduce((s, w) => s + w, 0)
      let r = this.random() * total
      let i = 0
      while (i < pool.length - 1 && r >= weights[i]) r -= weights[i++]
      chosen.push(pool[i].id)
      pool.splice(i, 1)
    }
    this.optimistic = chosen
    return chosen
  }
}

/** Which peers change state between two decisions. */
export function chokeChanges(
  previous: ReadonlySet<string>,
  next: ReadonlySet<string>,
): { toChoke: string[]; toUnchoke: string[] } {
  return {
    toChoke: [...previous].filter((id) => !next.has(id)),
    toUnchoke: [...next].filter((id) => !previous.has(id)),
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
