/**
 * Choke/interest flags of both sides and the peer's pieces. Before the piece count is known (a
 * magnet without metadata) the peer's bitfield and haves are kept raw and checked once it is.
 * Methods return a violation reason, or null when all is well.
 */
import { Bitfield } from './bitfield.ts'

type Initial = { type: 'bitfield'; bits: Uint8Array } | { type: 'have-all' } | { type: 'have-none' }

export class PeerState {
  amChoking = true
  amInterested = false
  peerChoking = true
  peerInterested = false
  /** The peer's pieces; null until the piece count is known. */
  pieces: Bitfield | null = null
  private rawInitial: Initial | null = null
  private rawHaves: Set<number> | null = null

  /** The peer's first availability message. */
  setInitialPieces(m: Initial, pieceCount: number | null): string | null {
    if (pieceCount === null) {
      this.rawInitial = m.type === 'bitfield' ? { type: 'bitfield', bits: m.bits.slice() } : m
      return null
    }
    return this.apply(m, pieceCount)
  }

  addHave(index: number, pieceCount: number | null, rawCap: number): string | null {
    if (pieceCount !== null) {
      this.pieces ??= new Bitfield(pieceCount)
      this.pieces.set(index) // the decoder already checked the range
      return null
    }
    this.rawHaves ??= new Set()
    this.rawHaves.add(index)
    return this.rawHaves.size > rawCap ? 'too many have messages before metadata' : null
  }

  /** The piece count became known: turn raw availability into a Bitfield. */
  resolvePieces(pieceCount: number): string | null {
    if (this.pieces) return this.pieces.size === pieceCount ? null : 'piece count changed'
    const bad = this.rawInitial ? this.apply(this.rawInitial, pieceCount) : null
    if (bad) return bad
    this.rawInitial = null
    if (this.rawHaves) {
      this.pieces ??= new Bitfield(pieceCount)
      for (const i of this.rawHaves) {
        if (i >= pieceCount) return `have ${i} beyond ${pieceCount} pieces`
        this.pieces.set(i)
      }
      this.rawHaves = null
    }
    this.pieces ??= new Bitfield(pieceCount) // said nothing: has nothing
    return null
  }

  /** Before the first availability message a peer has nothing (BEP 3 allows omitting the bitfield). */
  startEmpty(pieceCount: number | null): void {
    if (pieceCount !== null) this.pieces ??= new Bitfield(pieceCount)
  }

  private apply(m: Initial, pieceCount: number): string | null {
    if (m.type === 'have-all') this.pieces = Bitfield.full(pieceCount)
    else if (m.type === 'have-none') this.pieces = new Bitfield(pieceCount)
    else {
      const b = Bitfield.fromBytes(pieceCount, m.bits)
      if (!b) return `bitfield of ${m.bits.length} bytes does not fit ${pieceCount} pieces`
      this.pieces = b
    }
    return null
  }

  /** qBittorrent-style flags this layer knows: D d U u K ? (the torrent adds I, X, E, ...). */
  flags(): string {
    let f = ''
    if (this.amInterested) f += this.peerChoking ? 'd' : 'D'
    else if (!this.peerChoking) f += 'K'
    if (this.peerInterested) f += this.amChoking ? 'u' : 'U'
    else if (!this.amChoking) f += '?'
    return f
  }
}
