/**
 * Which blocks to request from which peer.
 *
 * Order: blocks of pieces already in progress (finish what was started), then new pieces: a random
 * one until a few pieces are complete (something to trade soon), afterwards rarest first within the
 * highest priority, ties broken at random. A block goes to one peer at a time, except in endgame
 * (every wanted block requested): then blocks still outstanding are requested again from other peers
 * and, when one copy arrives, the others are cancelled.
 *
 * Cost: availability changes and piece moves are O(1) (see PieceBuckets); a pick looks at the
 * in-progress pieces with free blocks, then scans buckets only until it has enough blocks.
 */
import { PieceBits } from './piece-bits.ts'
import type { HasPieces } from './piece-bits.ts'
import { PieceBuckets } from './piece-buckets.ts'
import { PieceDeadlines } from './piece-deadlines.ts'

export const BLOCK_LENGTH = 16 * 1024

export interface PiecePickerOptions {
  pieceCount: number
  pieceLength: number
  totalLength: number
  /** Pieces picked at random before switching to rarest first. */
  randomFirstPieces?: number
  /** Peers that may hold the same block in endgame (1 = no duplicates). */
  endgameDuplicates?: number
  /**
   * Pieces in progress at once (each costs a piece-sized buffer in storage until verified);
   * match it to TorrentStorage's maxBufferedBytes / pieceLength. Default: unlimited. Pieces whose
   * blocks have all arrived (being hashed or written) do not count: they should not stall requests.
   */
  maxInProgress?: number
  /**
   * Asked before a new piece is started (e.g. "storage has room for one more piece buffer"), so
   * memory stays bounded while finished pieces are still hashed or written. Default: always.
   */
  canStartPiece?: () => boolean
  /** A started piece was put back (nothing had arrived for it): whoever kept room for it may free it. */
  onPieceAbandoned?: (piece: number) => void
  /** [0, 1) random source; injectable for tests. */
  random?: () => number
  /** ms clock for piece deadlines (streaming); default Date.now. */
  now?: () => number
}

export interface PickOptions {
  /** The peer is choking us: only `allowedFast` pieces (BEP 6) may be requested. */
  choked?: boolean
  allowedFast?: ReadonlySet<number> | null
  /**
   * false for a slow peer: it gets no endgame duplicates (they would just arrive last), and takes a
   * time-critical piece only after fast peers had a moment to take it.
   */
  peerIsFast?: boolean
}

/** A slow peer may take a time-critical piece nobody faster took within this long. */
const SLOW_PEER_GRACE_MS = 500
/** A late time-critical block is requested from at most this many peers at once. */
const LATE_DUPLICATES = 2

export interface BlockRequest {
  piece: number
  begin: number
  length: number
}

const FREE = 0
const REQUESTED = 1
const RECEIVED = 2

interface Progress<K> {
  state: Uint8Array
  owners: Array<K[] | undefined>
  free: number
  received: number
}

export class PiecePicker<K = string> {
  readonly pieceCount: number
  readonly pieceLength: number
  readonly totalLength: number
  private readonly maxBlocks: number
  private readonly randomFirst: number
  private readonly maxDup: number
  private maxInProgress: number
  private readonly canStartPiece: () => boolean
  private readonly onPieceAbandoned?: (piece: number) => void
  /** In-progress pieces with every block received (waiting for hash/write). */
  private settling = 0
  private readonly random: () => number
  private readonly avail: Uint32Array
  private seeds = 0
  private readonly prio: Uint8Array
  readonly have: PieceBits
  private readonly buckets: PieceBuckets
  private readonly progress = new Map<number, Progress<K>>()
  /** In-progress pieces with at least one free block, oldest first. */
  private readonly partial = new Set<number>()
  private readonly peers = new Map<K, PieceBits | 'all'>()
  private readonly requests = new Map<K, Set<number>>()
  private freeBlocks = 0
  /** Time-critical pieces (streaming): picked first, earliest deadline first. */
  readonly deadlines = new PieceDeadlines()
  private readonly now: () => number
  /** Sequential download: new pieces in index order instead of rarest first. */
  private sequential = false
  /** Lowest piece index that may still be waiting in the buckets (sequential scan start). */
  private seqFrom = 0
  /** Pieces to start before any other (first and last pieces of files), in this order. */
  private preferred: number[] = []

  constructor(opts: PiecePickerOptions) {
    this.pieceCount = opts.pieceCount
    this.pieceLength = opts.pieceLength
    this.totalLength = opts.totalLength
    if (this.pieceCount !== Math.ceil(this.totalLength / this.pieceLength))
      throw new RangeError('piece count does not match length')
    this.maxBlocks = Math.ceil(this.pieceLength / BLOCK_LENGTH)
    this.randomFirst = opts.randomFirstPieces ?? 4
    this.maxDup = Math.max(1, opts.endgameDuplicates ?? 3)
    this.random = opts.random ?? Math.random
    this.maxInProgress = Math.max(1, opts.maxInProgress ?? Number.POSITIVE_INFINITY)
    this.canStartPiece = opts.canStartPiece ?? (() => true)
    this.onPieceAbandoned = opts.onPieceAbandoned
    this.now = opts.now ?? Date.now
    this.avail = new Uint32Array(this.pieceCount)
    this.prio = new Uint8Array(this.pieceCount).fill(2)
    this.have = new PieceBits(this.pieceCount)
    this.buckets = new PieceBuckets(this.pieceCount, this.random)
    for (let p = 0; p < this.pieceCount; p++) this.buckets.insert(p, 2, 0)
  }

  // ---- geometry ----

  pieceSize(piece: number): number {
    return piece === this.pieceCount - 1 ? this.totalLength - piece * this.pieceLength : this.pieceLength
  }

  blockCount(piece: number): number {
    return Math.ceil(this.pieceSize(piece) / BLOCK_LENGTH)
  }

  // ---- availability ----

  /** A peer's bitfield (or nothing yet: pass null). Replaces what was known about this peer. */
  addPeer(key: K, bits: HasPieces | null): void {
    this.forgetPieces(key)
    const own = new PieceBits(this.pieceCount)
    this.peers.set(key, own)
    if (!bits) return
    const bytes = (bits as { bytes?: unknown }).bytes
    if (bytes instanceof Uint8Array && bytes.length === own.bytes.length) {
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 0) continue // sparse bitfields cost little
        for (let p = i * 8; p < Math.min(i * 8 + 8, this.pieceCount); p++) if (bits.has(p)) this.countHave(own, p)
      }
    } else {
      for (let p = 0; p < this.pieceCount; p++) if (bits.has(p)) this.countHave(own, p)
    }
  }

  /** BEP 6 have-all: counted once for all pieces, O(1). */
  addSeed(key: K): void {
    this.forgetPieces(key)
    this.peers.set(key, 'all')
    this.seeds++
  }

  /** A `have` message; repeats are ignored. */
  peerHave(key: K, piece: number): void {
    if (piece < 0 || piece >= this.pieceCount) return
    let own = this.peers.get(key)
    if (own === 'all') return
    if (!own) {
      own = new PieceBits(this.pieceCount)
      this.peers.set(key, own)
    }
    this.countHave(own, piece)
  }

  /** A peer left: its pieces no longer count and its outstanding requests become free again. */
  removePeer(key: K, _bits?: unknown): void {
    this.forgetPieces(key)
    const reqs = this.requests.get(key)
    if (reqs)
      for (const id of [...reqs])
        this.releaseBlock(key, Math.floor(id / this.maxBlocks), (id % this.maxBlocks) * BLOCK_LENGTH)
    this.requests.delete(key)
  }

  /** Takes a peer's pieces out of the availability counts (its requests stay). */
  private forgetPieces(key: K): void {
    const own = this.peers.get(key)
    if (own === 'all') this.seeds--
    else if (own) {
      const bytes = own.bytes
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 0) continue
        for (let p = i * 8; p < Math.min(i * 8 + 8, this.pieceCount); p++) {
          if (own.has(p)) {
            this.avail[p]!--
            this.buckets.update(p, this.prio[p]!, this.avail[p]!)
          }
        }
      }
    }
    this.peers.delete(key)
  }

  availability(piece: number): number {
    return this.avail[piece]! + this.seeds
  }

  private countHave(own: PieceBits, p: number): void {
    if (!own.set(p)) return
    this.avail[p]!++
    this.buckets.update(p, this.prio[p]!, this.avail[p]!)
  }

  // ---- priorities and piece state ----

  /** One byte per piece: 0 skip (never picked), 1 low, 2 normal, 3 high. */
  setPiecePriorities(prios: Uint8Array): void {
    this.seqFrom = 0
    for (let p = 0; p < this.pieceCount; p++) {
      const v = Math.min(3, prios[p] ?? 2)
      if (v === this.prio[p]) continue
      this.prio[p] = v
      if (this.have.has(p) || this.progress.has(p)) continue
      if (v === 0) this.buckets.remove(p)
      else if (this.buckets.has(p)) this.buckets.update(p, v, this.avail[p]!)
      else this.buckets.insert(p, v, this.avail[p]!)
    }
  }

  /** We have this piece (from resume or recheck). */
  markHave(piece: number): void {
    this.deadlines.delete(piece)
    this.dropProgress(piece)
    this.buckets.remove(piece)
    this.have.set(piece)
  }

  onPieceVerified(piece: number): void {
    this.markHave(piece)
  }

  /** The piece's hash did not match: all its blocks are wanted again. */
  onPieceFailed(piece: number): void {
    this.dropProgress(piece)
    this.have.clear(piece)
    this.seqFrom = Math.min(this.seqFrom, piece)
    if (this.prio[piece]! > 0) this.buckets.insert(piece, this.prio[piece]!, this.avail[piece]!)
  }

  /** Changes how many started pieces may wait for blocks (a budget that depends on where they are kept). */
  setMaxInProgress(n: number): void {
    this.maxInProgress = Math.max(1, n)
  }

  /** Started pieces that still wait for blocks (the ones maxInProgress limits). */
  downloadingCount(): number {
    return this.progress.size - this.settling
  }

  isInProgress(piece: number): boolean {
    return this.progress.has(piece)
  }

  /** Every wanted block is requested or received. */
  isEndgame(): boolean {
    return this.buckets.size === 0 && this.freeBlocks === 0 && this.progress.size > 0
  }

  /** All wanted pieces verified. */
  isComplete(): boolean {
    return this.buckets.size === 0 && this.progress.size === 0
  }

  /** Outstanding requests of a peer, as {piece, begin, length}. */
  requestsOf(key: K): BlockRequest[] {
    const out: BlockRequest[] = []
    for (const id of this.requests.get(key) ?? [])
      out.push(this.blockOf(Math.floor(id / this.maxBlocks), id % this.maxBlocks))
    return out
  }

  // ---- picking ----

  pickBlocks(key: K, peerHas: HasPieces, count: number, opts: PickOptions = {}): BlockRequest[] {
    const out: BlockRequest[] = []
    if (count <= 0) return out
    const allowed = opts.choked ? opts.allowedFast : null
    if (opts.choked && (!allowed || allowed.size === 0)) return out
    const usable = (p: number) => peerHas.has(p) && (!allowed || allowed.has(p))

    // 0. time-critical pieces (streaming deadlines), earliest first
    if (this.deadlines.size > 0) this.pickTimeCritical(key, count, out, usable, opts.peerIsFast !== false)
    if (out.length >= count) return out
    // 1. finish pieces already started
    for (const p of this.partial) {
      if (usable(p)) this.takeFree(key, p, count, out)
      if (out.length >= count) return out
    }
    const room = () => this.canStartPiece() && (this.downloadingCount() < this.maxInProgress || this.abandonIdlePiece())
    // 1b. first and last pieces of files (container headers and indexes), then sequential order
    for (const p of this.preferred) {
      if (out.length >= count || !room()) break
      if (this.buckets.has(p) && usable(p)) this.startAndTake(key, p, count, out)
    }
    if (this.sequential) this.pickSequential(key, count, out, usable, room)
    // 2. a random piece while we have almost nothing
    if (!this.sequential && this.have.count() < this.randomFirst && this.buckets.size > 0) {
      for (let tries = 0; tries < 32 && out.length < count && room(); tries++) {
        const p = Math.floor(this.random() * this.pieceCount)
        if (this.buckets.has(p) && usable(p)) {
          this.buckets.remove(p)
          this.start(p)
          this.takeFree(key, p, count, out)
        }
      }
    }
    // 3. rarest first, highest priority first
    const own = this.peers.get(key)
    if (out.length < count && own instanceof PieceBits && own.count() * 8 < this.buckets.size) {
      this.pickSparse(key, own, count, out, usable, room)
    } else if (out.length < count && this.buckets.size > 0 && room()) {
      this.buckets.scan(
        (p) => {
          if (!usable(p) || !room()) return false
          this.start(p)
          this.takeFree(key, p, count, out)
          return true
        },
        () => out.length >= count || !room(),
      )
    }
    // 4. endgame: duplicate blocks still outstanding elsewhere, least duplicated first
    if (out.length < count && opts.peerIsFast !== false && this.isEndgame()) this.takeEndgame(key, count, out, usable)
    return out
  }

  /**
   * A block arrived from `key`. Returns the other peers that were sent the same request (endgame):
   * send them a cancel. Late or duplicate blocks return [].
   */
  onBlockReceived(key: K, piece: number, begin: number): K[] {
    const b = begin / BLOCK_LENGTH
    this.requests.get(key)?.delete(this.id(piece, b))
    const pr = this.progress.get(piece)
    if (!pr || !Number.isInteger(b) || b >= pr.state.length || pr.state[b] === RECEIVED) return []
    if (pr.state[b] === FREE) this.changeFree(piece, pr, -1)
    pr.state[b] = RECEIVED
    pr.received++
    if (pr.received === pr.state.length) this.settling++
    const others = (pr.owners[b] ?? []).filter((o) => o !== key)
    for (const o of others) this.requests.get(o)?.delete(this.id(piece, b))
    pr.owners[b] = undefined
    return others
  }

  /** `key` will not deliver this block (rejected, timed out, choked, disconnected): free it for others. */
  releaseBlock(key: K, piece: number, begin: number): void {
    const b = begin / BLOCK_LENGTH
    this.requests.get(key)?.delete(this.id(piece, b))
    const pr = this.progress.get(piece)
    if (!pr || pr.state[b] !== REQUESTED) return
    const owners = pr.owners[b]
    const i = owners ? owners.indexOf(key) : -1
    if (i < 0) return
    owners!.splice(i, 1)
    if (owners!.length === 0) {
      pr.owners[b] = undefined
      pr.state[b] = FREE
      this.changeFree(piece, pr, +1)
    }
  }

  /**
   * A block counted as received could not be kept (storage refused it): make it free again so the
   * piece can still complete. Without this the piece would wait forever for a block nobody fetches.
   */
  unreceiveBlock(piece: number, begin: number): void {
    const b = begin / BLOCK_LENGTH
    const pr = this.progress.get(piece)
    if (!pr || !Number.isInteger(b) || b >= pr.state.length || pr.state[b] !== RECEIVED) return
    if (pr.received === pr.state.length) this.settling--
    pr.received--
    pr.state[b] = FREE
    this.changeFree(piece, pr, +1)
  }

  /** The peer choked us: all its outstanding requests become free again. Returns them. */
  releasePeerRequests(key: K): BlockRequest[] {
    const out = this.requestsOf(key)
    for (const b of out) this.releaseBlock(key, b.piece, b.begin)
    return out
  }

  // ---- sequential, first/last, deadlines ----

  /** Sequential download: new pieces lowest index first (the in-progress cap still applies). */
  setSequential(on: boolean): void {
    this.sequential = on
    this.seqFrom = 0
  }

  get isSequential(): boolean {
    return this.sequential
  }

  /** Pieces to start before all others, in order (qBittorrent's "first and last pieces first"). */
  setPreferredPieces(pieces: readonly number[]): void {
    this.preferred = [...pieces]
  }

  private startAndTake(key: K, p: number, count: number, out: BlockRequest[]): void {
    this.buckets.remove(p)
    this.start(p)
    this.takeFree(key, p, count, out)
  }

  private pickSequential(
    key: K,
    count: number,
    out: BlockRequest[],
    usable: (p: number) => boolean,
    room: () => boolean,
  ): void {
    while (this.seqFrom < this.pieceCount && !this.buckets.has(this.seqFrom)) {
      // only pieces that can never come back to the buckets may be skipped for good
      if (!this.have.has(this.seqFrom) && this.progress.has(this.seqFrom)) break
      this.seqFrom++
    }
    for (let p = this.seqFrom; p < this.pieceCount && out.length < count && room(); p++)
      if (this.buckets.has(p) && usable(p)) this.startAndTake(key, p, count, out)
  }

  /**
   * Deadline pieces, earliest first: free blocks of started ones, new ones started past the
   * in-progress cap (a stream must not wait behind rarest-first pieces). A fast peer also gets
   * duplicates of blocks of late pieces (deadline passed) held by one other peer, endgame-like.
   */
  private pickTimeCritical(
    key: K,
    count: number,
    out: BlockRequest[],
    usable: (p: number) => boolean,
    fast: boolean,
  ): void {
    const now = this.now()
    for (const p of this.deadlines.ordered()) {
      if (out.length >= count) return
      if (!usable(p)) continue
      const d = this.deadlines.get(p)!
      if (!fast && now - d.setAt < SLOW_PEER_GRACE_MS) continue
      if (this.buckets.has(p)) {
        if (!this.canStartPiece() && !this.abandonIdlePiece()) continue
        this.startAndTake(key, p, count, out)
        continue
      }
      const pr = this.progress.get(p)
      if (!pr) continue
      if (pr.free > 0) this.takeFree(key, p, count, out)
      if (!fast || d.due > now) continue
      const mine = this.requests.get(key)
      for (let b = 0; b < pr.state.length && out.length < count; b++) {
        const owners = pr.owners[b]
        if (pr.state[b] !== REQUESTED || !owners || owners.length >= LATE_DUPLICATES) continue
        if (mine?.has(this.id(p, b))) continue
        this.assign(key, p, pr, b, out)
      }
    }
  }

  // ---- internals ----

  /** At the in-progress cap: put back one started piece that nobody is fetching and nothing arrived for. */
  private abandonIdlePiece(): boolean {
    for (const [p, pr] of this.progress) {
      if (pr.received === 0 && pr.free === pr.state.length) {
        this.dropProgress(p)
        if (this.prio[p]! > 0 && !this.have.has(p)) this.buckets.insert(p, this.prio[p]!, this.avail[p]!)
        this.onPieceAbandoned?.(p)
        return true
      }
    }
    return false
  }

  private id(piece: number, block: number): number {
    return piece * this.maxBlocks + block
  }

  private blockOf(piece: number, block: number): BlockRequest {
    const begin = block * BLOCK_LENGTH
    return { piece, begin, length: Math.min(BLOCK_LENGTH, this.pieceSize(piece) - begin) }
  }

  private start(p: number): void {
    const n = this.blockCount(p)
    this.progress.set(p, { state: new Uint8Array(n), owners: new Array(n), free: n, received: 0 })
    this.partial.add(p)
    this.freeBlocks += n
  }

  private changeFree(p: number, pr: Progress<K>, delta: number): void {
    pr.free += delta
    this.freeBlocks += delta
    if (pr.free === 0) this.partial.delete(p)
    else if (delta > 0 && pr.free === 1) this.partial.add(p)
  }

  private assign(key: K, p: number, pr: Progress<K>, b: number, out: BlockRequest[]): void {
    let reqs = this.requests.get(key)
    if (!reqs) {
      reqs = new Set()
      this.requests.set(key, reqs)
    }
    reqs.add(this.id(p, b))
    const owners = pr.owners[b]
    if (owners) owners.push(key)
    else pr.owners[b] = [key]
    out.push(this.blockOf(p, b))
  }

  private takeFree(key: K, p: number, count: number, out: BlockRequest[]): void {
    const pr = this.progress.get(p)!
    for (let b = 0; b < pr.state.length && out.length < count && pr.free > 0; b++) {
      if (pr.state[b] !== FREE) continue
      pr.state[b] = REQUESTED
      this.changeFree(p, pr, -1)
      this.assign(key, p, pr, b, out)
    }
  }

  /**
   * For a peer with few pieces, ranking its own pieces is cheaper than scanning every bucket:
   * O(m log m) in the peer's piece count instead of O(pieces we still need).
   */
  private pickSparse(
    key: K,
    own: PieceBits,
    count: number,
    out: BlockRequest[],
    usable: (p: number) => boolean,
    room: () => boolean,
  ): void {
    const ranked: Array<{ p: number; rank: number }> = []
    const bytes = own.bytes
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) continue
      for (let p = i * 8; p < Math.min(i * 8 + 8, this.pieceCount); p++) {
        if (own.has(p) && this.buckets.has(p) && usable(p))
          ranked.push({ p, rank: this.buckets.keyOf(p) + this.random() })
      }
    }
    ranked.sort((a, b) => a.rank - b.rank)
    for (const { p } of ranked) {
      if (out.length >= count || !room()) return
      this.buckets.remove(p)
      this.start(p)
      this.takeFree(key, p, count, out)
    }
  }

  private takeEndgame(key: K, count: number, out: BlockRequest[], usable: (p: number) => boolean): void {
    for (let level = 1; level < this.maxDup && out.length < count; level++) {
      for (const [p, pr] of this.progress) {
        if (!usable(p)) continue
        for (let b = 0; b < pr.state.length && out.length < count; b++) {
          if (pr.state[b] !== REQUESTED || pr.owners[b]?.length !== level) continue
          if (this.requests.get(key)?.has(this.id(p, b))) continue
          this.assign(key, p, pr, b, out)
        }
        if (out.length >= count) return
      }
    }
  }

  private dropProgress(p: number): void {
    const pr = this.progress.get(p)
    if (!pr) return
    for (let b = 0; b < pr.owners.length; b++)
      for (const o of pr.owners[b] ?? []) this.requests.get(o)?.delete(this.id(p, b))
    this.freeBlocks -= pr.free
    if (pr.received === pr.state.length) this.settling--
    this.progress.delete(p)
    this.partial.delete(p)
  }
}
