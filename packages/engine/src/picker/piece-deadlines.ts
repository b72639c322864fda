/**
 * Time-critical pieces, after libtorrent's `set_piece_deadline`: a piece with a deadline is picked
 * before any rarest-first piece, earliest deadline first. A stream sets them for the bytes a player
 * asked for and its read-ahead window; a seek clears the old ones (`clearOwner`) so the picker stops
 * chasing a window nobody reads any more.
 */
export interface Deadline {
  /** ms (the picker's clock) by which the piece should be verified. */
  due: number
  /** When the deadline was set: slow peers wait a moment so fast peers get the piece first. */
  setAt: number
  /** Who set it (a stream id): a seek drops only that owner's deadlines. */
  owner: string
}

export class PieceDeadlines {
  private readonly byPiece = new Map<number, Deadline>()
  /** Pieces ordered by due time; rebuilt lazily after a change. */
  private order: number[] | null = null

  get size(): number {
    return this.byPiece.size
  }

  get(piece: number): Deadline | undefined {
    return this.byPiece.get(piece)
  }

  /** Sets or moves a piece's deadline; an earlier deadline of another owner is kept. */
  set(piece: number, due: number, owner: string, now: number): void {
    const old = this.byPiece.get(piece)
    if (old && old.owner !== owner && old.due <= due) return
    this.byPiece.set(piece, { due, setAt: old && old.due <= due ? old.setAt : now, owner })
    this.order = null
  }

  delete(piece: number): void {
    if (this.byPiece.delete(piece)) this.order = null
  }

  /** A seek or a closed stream: its deadlines go. */
  clearOwner(owner: string): void {
    for (const [p, d] of this.byPiece) if (d.owner === owner) this.byPiece.delete(p)
    this.order = null
  }

  /** Pieces by due time, earliest first (ties: lower index first, the order a player reads). */
  ordered(): readonly number[] {
    if (!this.order) {
      this.order = [...this.byPiece.keys()].sort((a, b) => this.byPiece.get(a)!.due - this.byPiece.get(b)!.due || a - b)
    }
    return this.order
  }
}
