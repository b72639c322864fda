import { bytesEqual } from '../util/bytes.ts'
import { sha1 } from '../util/sha1.ts'
import { MAX_METADATA_SIZE, METADATA_PIECE_SIZE, metadataPieceCount, metadataPieceLength } from './ut-metadata.ts'

export type AssembleResult =
  | { status: 'ignored' } // not wanted: unknown size, wrong size, duplicate, or while verifying
  | { status: 'progress'; have: number; total: number }
  | { status: 'done'; infoBytes: Uint8Array } // SHA-1 equals the info-hash
  | { status: 'bad'; peers: string[] } // hash mismatch: started over; these peers sent pieces

export interface MetadataAssemblerOptions {
  maxSize?: number
  /** A request unanswered this long may go to another peer. */
  requestTimeoutMs?: number
  /** Outstanding requests per peer. */
  perPeer?: number
}

/**
 * Collects a magnet's info dictionary from peers (BEP 9): which 16 KiB piece to ask whom, the
 * received bytes, and the check against the info-hash. Peers are opaque string keys; time is
 * passed in, so the caller's clock rules.
 */
export class MetadataAssembler {
  private buf: Uint8Array | null = null
  private have: Uint8Array | null = null // 0/1 per piece
  private from: string[] = [] // peer that sent each piece
  private haveCount = 0
  private readonly asked = new Map<number, { peer: string; at: number }>()
  private verifying = false
  private finished = false
  private readonly maxSize: number
  private readonly timeoutMs: number
  private readonly perPeer: number

  constructor(
    private readonly infoHash: Uint8Array,
    opts: MetadataAssemblerOptions = {},
  ) {
    this.maxSize = Math.min(opts.maxSize ?? MAX_METADATA_SIZE, MAX_METADATA_SIZE)
    this.timeoutMs = opts.requestTimeoutMs ?? 20_000
    this.perPeer = opts.perPeer ?? 2
  }

  get size(): number | null {
    return this.buf ? this.buf.length : null
  }

  get done(): boolean {
    return this.finished
  }

  progress(): { have: number; total: number } {
    return { have: this.haveCount, total: this.have ? this.have.length : 0 }
  }

  /** The size a peer announced (handshake metadata_size or a data message). The first sane one wins. */
  setSize(size: number): boolean {
    if (this.buf) return size === this.buf.length
    if (!Number.isSafeInteger(size) || size <= 0 || size > this.maxSize) return false
    this.buf = new Uint8Array(size)
    this.have = new Uint8Array(metadataPieceCount(size))
    this.from = new Array<string>(this.have.length).fill('')
    this.haveCount = 0
    this.asked.clear()
    return true
  }

  /** Next piece to request from `peer`, marking it asked; null when nothing is due for this peer. */
  nextRequest(peer: string, now: number): number | null {
    if (!this.have || this.finished || this.verifying) return null
    let mine = 0
    for (const a of this.asked.values()) if (a.peer === peer && now - a.at < this.timeoutMs) mine++
    if (mine >= this.perPeer) return null
    for (let p = 0; p < this.have.length; p++) {
      if (this.have[p]) continue
      const a = this.asked.get(p)
      if (a && now - a.at < this.timeoutMs) continue
      this.asked.set(p, { peer, at: now })
      return p
    }
    return null
  }

  /** A peer rejected our request, or went away: its pieces may go to others. */
  onReject(peer: string, piece: number): void {
    if (this.asked.get(piece)?.peer === peer) this.asked.delete(piece)
  }

  peerGone(peer: string): void {
    for (const [p, a] of [...this.asked]) if (a.peer === peer) this.asked.delete(p)
  }

  async onData(peer: string, piece: number, totalSize: number, data: Uint8Array): Promise<AssembleResult> {
    if (this.finished || this.verifying) return { status: 'ignored' }
    // Nothing kept yet: trust the size of real data over a handshake claim that may have lied.
    if (this.buf && this.haveCount === 0 && totalSize !== this.buf.length) this.buf = null
    if (!this.setSize(totalSize) || !this.buf || !this.have) return { status: 'ignored' }
    if (piece < 0 || piece >= this.have.length || this.have[piece]) return { status: 'ignored' }
    if (data.length !== metadataPieceLength(this.buf.length, piece)) return { status: 'ignored' }
    this.buf.set(data, piece * METADATA_PIECE_SIZE)
    this.have[piece] = 1
    this.from[piece] = peer
    this.haveCount++
    this.asked.delete(piece)
    if (this.haveCount < this.have.length) return { status: 'progress', have: this.haveCount, total: this.have.length }
    this.verifying = true
    const digest = await sha1(this.buf)
    this.verifying = false
    if (bytesEqual(digest, this.infoHash)) {
      this.finished = true
      return { status: 'done', infoBytes: this.buf }
    }
    // Start over, size included: a lying first peer may have set it.
    const peers = [...new Set(this.from)]
    this.buf = null
    this.have = null
    this.from = []
    this.haveCount = 0
    this.asked.clear()
    return { status: 'bad', peers }
  }
}
