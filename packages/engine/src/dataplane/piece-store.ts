/**
 * One torrent's pieces kept by a data plane until the engine says to check them: blocks are copied
 * into a per-piece buffer, a piece is hashed with the SHA-1 the engine gives and written to the
 * files when it matches. Memory is reserved per open piece from a budget all torrents of one client
 * share. Pure: hashing and writing are injected (node:crypto and files in the daemon, memory in tests).
 */

import type { PieceVerdict } from '../platform/ports.ts'

/** Memory all stores of one client may hold in open pieces. */
export const DATA_PLANE_STORE_CAP = 256 * 1024 * 1024

/** Block size of the BitTorrent requests the store accepts (the last block of a piece may be shorter). */
export const DATA_PLANE_BLOCK = 16 * 1024

/**
 * Piece buffers handed back once their piece was written or dropped, for the next piece of the same
 * size. A fresh 1 MiB buffer per piece costs page faults on its first fill and, being external memory,
 * makes V8 collect garbage for "external memory pressure" every few MiB (measured: ~140 collections,
 * 0.5 s of 1 GiB's CPU in the daemon). Only for writers that do not keep the buffer after their write
 * resolved (the daemon's files: the kernel has copied it); buffers come back dirty, which is safe
 * because a piece is verified only once every block of it was copied in.
 */
export class PieceBufferPool {
  private readonly free = new Map<number, Uint8Array[]>()
  /** Bytes held in free buffers. */
  bytes = 0

  constructor(readonly maxBytes: number) {}

  take(size: number): Uint8Array {
    const b = this.free.get(size)?.pop()
    if (!b) return new Uint8Array(size)
    this.bytes -= size
    return b
  }

  /** Keeps `b` if it is a whole, attached buffer and there is room; otherwise leaves it to the GC. */
  give(b: Uint8Array): void {
    if (b.length === 0 || b.byteOffset !== 0 || b.buffer.byteLength !== b.length) return
    if (this.bytes + b.length > this.maxBytes) return
    const list = this.free.get(b.length)
    if (list) list.push(b)
    else this.free.set(b.length, [b])
    this.bytes += b.length
  }
}

/**
 * Memory of one client's open pieces. `open` stays within `cap`; a block the engine puts for a piece
 * it could not open (it came as a plain `piece` message) may go past it, up to `hardCap`. With a
 * `pool`, piece buffers are reused (see PieceBufferPool for when that is safe).
 */
export class StoreBudget {
  used = 0
  readonly hardCap: number

  constructor(
    readonly cap = DATA_PLANE_STORE_CAP,
    readonly pool: PieceBufferPool | null = null,
  ) {
    this.hardCap = cap * 2
  }

  reserve(bytes: number, hard = false): boolean {
    if (this.used + bytes > (hard ? this.hardCap : this.cap)) return false
    this.used += bytes
    return true
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes)
  }
}

export interface PieceStoreIo {
  /** May move `data` (to a worker and back): the store uses only the `data` it resolves with. */
  sha1(data: Uint8Array): Promise<{ digest: Uint8Array; data: Uint8Array }>
  /**
   * Writes a verified piece to its files; rejects with the I/O error (no-space, ...). With a buffer
   * pool it must not keep `data` once it settled.
   */
  write(piece: number, data: Uint8Array): Promise<void>
}

/** What `put` did: 'kept', or why not ('invalid' block, 'busy' over the hard cap). */
export type PutResult = 'kept' | 'invalid' | 'busy'

interface OpenPiece {
  size: number
  /** Allocated at the first block: an opened piece costs its reservation, not yet its memory. */
  data: Uint8Array | null
  have: Uint8Array
  missing: number
}

export class PieceStore {
  private readonly pieces = new Map<number, OpenPiece>()
  private closed = false
  readonly pieceCount: number

  constructor(
    private readonly layout: { pieceLength: number; length: number },
    private readonly budget: StoreBudget,
    private readonly io: PieceStoreIo,
  ) {
    this.pieceCount = Math.ceil(layout.length / layout.pieceLength)
  }

  pieceSize(piece: number): number {
    if (piece < this.pieceCount - 1) return this.layout.pieceLength
    return this.layout.length - this.layout.pieceLength * (this.pieceCount - 1)
  }

  isOpen(piece: number): boolean {
    return this.pieces.has(piece)
  }

  /** Number of open pieces (tests, stats). */
  get openCount(): number {
    return this.pieces.size
  }

  /** Blocks of `piece` are kept from now on. False when the budget is spent (or the index is bad). */
  open(piece: number): boolean {
    if (this.pieces.has(piece)) return true
    return this.create(piece, false) !== null
  }

  drop(piece: number): void {
    const p = this.pieces.get(piece)
    if (!p) return
    this.pieces.delete(piece)
    this.budget.release(p.size)
    if (p.data) this.budget.pool?.give(p.data)
  }

  /**
   * A block from a framed socket: kept only when its piece is open and it fits the piece's block
   * grid. The bytes are copied (`block` may be a view into a reused buffer).
   */
  keep(piece: number, begin: number, block: Uint8Array): boolean {
    const p = this.pieces.get(piece)
    if (!p || !fits(p.size, begin, block.length)) return false
    copyIn(p, begin, block, this.budget.pool)
    return true
  }

  /** A block that came another way: opens the piece if needed, past the soft cap if it must. */
  put(piece: number, begin: number, block: Uint8Array): PutResult {
    if (this.closed || !isIndex(piece, this.pieceCount)) return 'invalid'
    let p = this.pieces.get(piece)
    if (!p) {
      if (!fits(this.pieceSize(piece), begin, block.length)) return 'invalid'
      p = this.create(piece, true) ?? undefined
      if (!p) return 'busy'
    }
    if (!fits(p.size, begin, block.length)) return 'invalid'
    copyIn(p, begin, block, this.budget.pool)
    return 'kept'
  }

  /**
   * 'incomplete' (nothing changes) while a block is missing; otherwise the piece leaves the store
   * and is hashed: a match is written and resolves 'verified' once written, a mismatch is dropped.
   * A write failure rejects with the writer's error (the piece is dropped too).
   */
  async verify(piece: number, sha1: Uint8Array): Promise<PieceVerdict> {
    const p = this.pieces.get(piece)
    if (!p || p.missing > 0 || !p.data) return 'incomplete'
    this.pieces.delete(piece)
    let back: Uint8Array | null = null // the buffer once the hasher handed it back
    try {
      const { digest, data } = await this.io.sha1(p.data)
      back = data
      if (!sameBytes(digest, sha1)) return 'hash-failed'
      await this.io.write(piece, data)
      return 'verified'
    } finally {
      this.budget.release(p.size)
      if (back) this.budget.pool?.give(back)
    }
  }

  /** Forgets every piece and refuses later blocks; checks in progress finish on their own. */
  close(): void {
    this.closed = true
    for (const piece of [...this.pieces.keys()]) this.drop(piece)
  }

  private create(piece: number, hard: boolean): OpenPiece | null {
    if (this.closed || !isIndex(piece, this.pieceCount)) return null
    const size = this.pieceSize(piece)
    if (!this.budget.reserve(size, hard)) return null
    const blocks = Math.ceil(size / DATA_PLANE_BLOCK)
    const p: OpenPiece = { size, data: null, have: new Uint8Array(blocks), missing: blocks }
    this.pieces.set(piece, p)
    return p
  }
}

/** A block starts on the 16 KiB grid, lies inside the piece and covers whole blocks (or the tail). */
function fits(size: number, begin: number, length: number): boolean {
  if (begin % DATA_PLANE_BLOCK !== 0 || length <= 0 || begin + length > size) return false
  return length % DATA_PLANE_BLOCK === 0 || begin + length === size
}

function copyIn(p: OpenPiece, begin: number, block: Uint8Array, pool: PieceBufferPool | null): void {
  if (!p.data) p.data = pool ? pool.take(p.size) : new Uint8Array(p.size)
  p.data.set(block, begin)
  const first = begin / DATA_PLANE_BLOCK
  const end = Math.ceil((begin + block.length) / DATA_PLANE_BLOCK)
  for (let b = first; b < end; b++) {
    if (p.have[b] === 0) {
      p.have[b] = 1
      p.missing--
    }
  }
}

function isIndex(piece: number, count: number): boolean {
  return Number.isInteger(piece) && piece >= 0 && piece < count
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false
  return true
}
