/**
 * Who sent the bad data? A piece that fails verification with blocks from several peers does not
 * say. Its retry is given to one peer only (the first to be picked for it). If that retry verifies,
 * that peer's data is good, so the culprits are among the other peers of the failed attempt: one
 * left → banned as if alone; several → each gets a shared failure. A retry that fails again has a
 * single contributor, who is then to blame alone. Innocent peers collect nothing.
 */
export interface Verdict {
  /** Peers proven to have sent bad data: ban. */
  alone: string[]
  /** Peers that may have: a shared hash failure each. */
  shared: string[]
}

interface Suspect {
  failedBy: Set<string>
  owner: string | null
}

export class SuspectPieces {
  private readonly pieces = new Map<number, Suspect>()

  get size(): number {
    return this.pieces.size
  }

  isSuspect(piece: number): boolean {
    return this.pieces.has(piece)
  }

  /** The piece failed with these contributors. */
  onFailed(piece: number, contributors: string[]): Verdict {
    if (contributors.length === 1) {
      this.pieces.delete(piece)
      return { alone: [contributors[0]!], shared: [] }
    }
    const prev = this.pieces.get(piece)
    const failedBy = new Set(contributors)
    if (prev) for (const k of prev.failedBy) failedBy.add(k)
    this.pieces.set(piece, { failedBy, owner: null })
    return { alone: [], shared: [] }
  }

  /** May `peer` be asked for blocks of `piece`? The first peer asked for a suspect piece owns it. */
  allow(piece: number, peer: string): boolean {
    const s = this.pieces.get(piece)
    if (!s) return true
    if (s.owner === null) s.owner = peer
    return s.owner === peer
  }

  onVerified(piece: number, contributors: string[]): Verdict {
    const s = this.pieces.get(piece)
    if (!s) return { alone: [], shared: [] }
    this.pieces.delete(piece)
    const good = new Set(contributors)
    const guilty = [...s.failedBy].filter((k) => !good.has(k))
    return guilty.length === 1 ? { alone: guilty, shared: [] } : { alone: [], shared: guilty }
  }

  /** The owner left before finishing: the next peer asked takes over. */
  onPeerGone(peer: string): void {
    for (const s of this.pieces.values()) if (s.owner === peer) s.owner = null
  }
}
