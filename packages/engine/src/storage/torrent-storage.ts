/**
 * A torrent's data on disk, through FilePort only.
 *
 * Write design: a piece's blocks are buffered in one piece-sized buffer until the piece is complete,
 * then hashed (a PieceHasher, by default crypto.subtle) and, if it matches, written with one write per
 * file segment. Full-size piece buffers are reused once written (every byte of a piece is overwritten
 * by its blocks before it is hashed), so a download does not allocate and zero one per piece.
 * Compared with write-then-read-back this costs no read round trip through the daemon and never puts
 * unverified bytes on disk. Memory is bounded: only in-flight pieces are buffered, and a block that
 * would start a new piece past `maxBufferedBytes` is refused with IoError('busy') (the caller returns
 * the block to the picker). A piece is marked verified only after its writes completed, so an
 * interrupted download loses at most the pieces in flight.
 *
 * Skipped files are not created; a wanted piece that straddles into a skipped file writes its bytes
 * there anyway (the file is created sparse), which keeps piece verification simple.
 */
import type { FilePriority } from '../api/types.ts'
import { PieceBits } from '../picker/piece-bits.ts'
import { IoError } from '../platform/ports.ts'
import type { FilePort, FileStat, Logger, PieceHasher } from '../platform/ports.ts'
import { HashJobLost, webCryptoHasher } from '../platform/piece-hashers.ts'
import { bytesEqual } from '../util/bytes.ts'
import { errorText } from '../util/log.ts'
import { sha1 } from '../util/sha1.ts'
import { BLOCK_SIZE, checkLayout, pieceHash, pieceSize, segments } from './file-map.ts'
import type { Segment, StorageLayout } from './file-map.ts'
import { HandleCache } from './handle-cache.ts'
import { fileWanted, piecePriorities } from './piece-priorities.ts'

/** Who sent a block (the integrator's peer id); reported back when a piece fails. */
export type PeerTag = string | number

export interface TorrentStorageOptions {
  /** FilePort root the files go under. */
  root: string
  /** Directory inside the root, '' for the root itself. */
  baseDir?: string
  maxOpenFiles?: number
  /** Cap on bytes held for in-flight pieces (at least one piece is always allowed). */
  maxBufferedBytes?: number
  priorities?: readonly FilePriority[]
  /** Hashes complete pieces (default: WebCrypto on this thread). */
  hasher?: PieceHasher
  log?: Logger
}

/** Spare full-size piece buffers kept for reuse. */
const SPARE_BUFFERS = 4

export type BlockWriteResult =
  | { status: 'buffered' }
  | { status: 'ignored'; reason: 'duplicate' | 'have' }
  | { status: 'verified'; piece: number; contributors: PeerTag[] }
  | { status: 'failed'; piece: number; contributors: PeerTag[] }
  /** The hasher lost the piece's data (a hash worker died with it): download it again, blame nobody. */
  | { status: 'lost'; piece: number }

interface PieceBuffer {
  data: Uint8Array
  got: Uint8Array
  missing: number
  contributors: Set<PeerTag>
}

export class TorrentStorage {
  readonly layout: StorageLayout
  /** Verified pieces (on disk). */
  readonly have: PieceBits
  /** Set when a write failed (e.g. 'no-space'); further writes throw it until `clearError()`. */
  error: IoError | null = null
  readonly root: string
  private readonly baseDir: string
  private readonly handles: HandleCache
  private readonly maxBuffered: number
  private readonly buffers = new Map<number, PieceBuffer>()
  private readonly finishing = new Set<number>()
  private readonly dirsMade = new Map<string, Promise<void>>()
  private priorities: FilePriority[]
  private piecePrio: Uint8Array
  private buffered = 0
  private finishingBytes = 0
  private readonly hasher: PieceHasher
  private readonly log?: Logger
  private readonly spare: Uint8Array[] = []

  constructor(
    readonly port: FilePort,
    layout: StorageLayout,
    opts: TorrentStorageOptions,
  ) {
    checkLayout(layout)
    this.layout = layout
    this.root = opts.root
    this.baseDir = opts.baseDir ?? ''
    this.handles = new HandleCache(port, opts.root, opts.maxOpenFiles ?? 16)
    this.hasher = opts.hasher ?? webCryptoHasher
    this.log = opts.log
    this.maxBuffered = opts.maxBufferedBytes ?? 64 * 1024 * 1024
    this.have = new PieceBits(layout.pieceCount)
    this.priorities = layout.files.map((_, i) => opts.priorities?.[i] ?? 'normal')
    this.piecePrio = piecePriorities(layout, this.priorities)
  }

  /** Bytes held in memory for pieces not yet written. */
  get bufferedBytes(): number {
    return this.buffered
  }

  /** Of bufferedBytes, the part held by complete pieces being hashed or written. */
  get settlingBytes(): number {
    return this.finishingBytes
  }

  get openFiles(): number {
    return this.handles.openCount
  }

  /** Path of file `index` inside the root. */
  filePath(index: number): string {
    const p = this.layout.files[index]!.path
    return this.baseDir ? `${this.baseDir}/${p}` : p
  }

  /** A path relative to the storage's base directory, as a path inside the root. */
  dirPath(p: string): string {
    return this.baseDir ? `${this.baseDir}/${p}` : p
  }

  filePriorities(): FilePriority[] {
    return [...this.priorities]
  }

  /** Per-piece priority, 0 skip .. 3 high (feed to the picker). */
  piecePriorities(): Uint8Array {
    return this.piecePrio
  }

  /** Changes file priorities; newly wanted files get their directories and 0-byte files made. */
  async setFilePriorities(priorities: readonly FilePriority[]): Promise<void> {
    this.priorities = this.layout.files.map((_, i) => priorities[i] ?? 'normal')
    this.piecePrio = piecePriorities(this.layout, this.priorities)
    await this.prepare()
  }

  /** Creates the directories of wanted files and the wanted 0-byte files. */
  async prepare(): Promise<void> {
    const wanted = this.layout.files.map((_, i) => i).filter((i) => fileWanted(this.layout, this.priorities, i))
    // Directories one at a time: sibling mkdirs racing on a shared missing parent made the daemon's
    // path guard see a name appear between its realpath and lstat ("dangling symlink").
    for (const i of wanted) await this.ensureDir(i)
    const jobs: Promise<void>[] = []
    for (const i of wanted) {
      if (this.layout.files[i]!.length === 0) jobs.push(this.handles.use(this.filePath(i), true, async () => {}))
    }
    await this.settle(jobs)
  }

  /** Are all wanted pieces verified? */
  isComplete(): boolean {
    for (let p = 0; p < this.layout.pieceCount; p++) if (this.piecePrio[p]! > 0 && !this.have.has(p)) return false
    return true
  }

  clearError(): void {
    this.error = null
  }

  /**
   * Accepts one block. Resolves 'buffered' until the piece is complete; then hashes it and resolves
   * 'verified' (written, marked in `have`) or 'failed' (dropped: download it again, and blame the
   * contributors). Rejects with IoError: 'invalid' for a bad range, 'busy' when the buffer cap is hit,
   * or the write's error (also kept in `error`).
   */
  async writeBlock(piece: number, begin: number, data: Uint8Array, from?: PeerTag): Promise<BlockWriteResult> {
    if (this.error) throw this.error
    const size = pieceSize(this.layout, piece)
    if (begin % BLOCK_SIZE !== 0 || begin >= size || data.length !== Math.min(BLOCK_SIZE, size - begin)) {
      throw new IoError('invalid', `block ${piece}:${begin}+${data.length} is not a block of this torrent`)
    }
    if (this.have.has(piece)) return { status: 'ignored', reason: 'have' }
    if (this.finishing.has(piece)) return { status: 'ignored', reason: 'duplicate' }
    let buf = this.buffers.get(piece)
    if (!buf) {
      if (this.buffered > 0 && this.buffered + size > this.maxBuffered) {
        throw new IoError('busy', `piece buffer full (${this.buffered} bytes in flight)`)
      }
      const blocks = Math.ceil(size / BLOCK_SIZE)
      const data = size === this.layout.pieceLength ? (this.spare.pop() ?? new Uint8Array(size)) : new Uint8Array(size)
      buf = { data, got: new Uint8Array(blocks), missing: blocks, contributors: new Set() }
      this.buffers.set(piece, buf)
      this.buffered += size
      this.openAhead(piece)
    }
    const b = begin / BLOCK_SIZE
    if (buf.got[b]) return { status: 'ignored', reason: 'duplicate' }
    buf.got[b] = 1
    buf.missing--
    buf.data.set(data, begin)
    if (from !== undefined) buf.contributors.add(from)
    if (buf.missing > 0) return { status: 'buffered' }

    this.buffers.delete(piece)
    this.finishing.add(piece)
    this.finishingBytes += size
    const contributors = [...buf.contributors]
    try {
      // a worker that died with the buffer: fetch the piece again (any other hasher error fails the torrent)
      const hashed = await this.hasher.sha1(buf.data).catch((e: unknown) => {
        if (e instanceof HashJobLost) return null
        throw e
      })
      if (!hashed) return { status: 'lost', piece }
      const { digest, data } = hashed
      if (!bytesEqual(digest, pieceHash(this.layout, piece))) {
        this.recycle(data)
        return { status: 'failed', piece, contributors }
      }
      await this.writeSegments(piece, data)
      this.recycle(data) // every write resolved: the FilePort is done with it (not after a failed write)
      this.have.set(piece)
      return { status: 'verified', piece, contributors }
    } finally {
      this.finishing.delete(piece)
      this.finishingBytes -= size
      this.buffered -= size
    }
  }

  private recycle(data: Uint8Array): void {
    if (data.length === this.layout.pieceLength && this.spare.length < SPARE_BUFFERS) this.spare.push(data)
  }

  /** Drops a partly received piece (its blocks will be downloaded again). */
  discardPiece(piece: number): void {
    const buf = this.buffers.get(piece)
    if (!buf) return
    this.buffers.delete(piece)
    this.buffered -= buf.data.length
    this.recycle(buf.data)
  }

  /** Reads a range of a piece from disk (padding reads as zeros). For uploads and rechecks. */
  async readBlock(piece: number, begin: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length)
    const segs = segments(this.layout, piece, begin, length)
    await this.settle(
      segs.map(async (s) => {
        if (this.layout.files[s.file]!.padding) return
        const bytes = await this.handles.use(this.filePath(s.file), false, (h) => h.read(s.fileOffset, s.length))
        if (bytes.length !== s.length)
          throw new IoError('not-found', `${this.filePath(s.file)} is shorter than expected`)
        out.set(bytes, s.rangeOffset)
      }),
    )
    return out
  }

  /**
   * Hashes a piece already on disk and marks it verified if it matches. A piece inside one file is
   * hashed by the daemon (`files.sha1`, no data crosses the bridge); a piece spanning files is read.
   */
  async verifyOnDisk(piece: number): Promise<boolean> {
    const segs = segments(this.layout, piece)
    let digest: Uint8Array
    const only = segs.length === 1 ? segs[0]! : null
    if (only && !this.layout.files[only.file]!.padding) {
      digest = await this.port.sha1(this.root, this.filePath(only.file), only.fileOffset, only.length)
    } else {
      digest = await sha1(await this.readBlock(piece, 0, pieceSize(this.layout, piece)))
    }
    const ok = bytesEqual(digest, pieceHash(this.layout, piece))
    if (ok) this.have.set(piece)
    else this.have.clear(piece)
    return ok
  }

  /** stat() of every file (null: missing). Padding files are reported as null. */
  async fileStats(concurrency = 8): Promise<Array<FileStat | null>> {
    const out: Array<FileStat | null> = new Array(this.layout.files.length).fill(null)
    let next = 0
    const worker = async () => {
      while (next < out.length) {
        const i = next++
        if (!this.layout.files[i]!.padding) out[i] = await this.port.stat(this.root, this.filePath(i))
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, out.length) }, worker))
    return out
  }

  /** Closes open handles; buffered partial pieces are dropped. */
  async close(): Promise<void> {
    for (const p of [...this.buffers.keys()]) this.discardPiece(p)
    await this.handles.closeAll()
  }

  /** The parts of a piece that land in real files (padding files are never written). */
  private fileSegments(piece: number): Segment[] {
    return segments(this.layout, piece).filter((s) => !this.layout.files[s.file]!.padding)
  }

  private async writeSegments(piece: number, data: Uint8Array): Promise<void> {
    const segs = this.fileSegments(piece)
    try {
      await this.settle(segs.map((s: Segment) => this.writeSegment(s, data)))
    } catch (e) {
      const err = e instanceof IoError ? e : new IoError('io', String(e))
      this.error = err
      throw err
    }
  }

  /**
   * A piece started arriving: make its files' directories and open them now, so those daemon
   * round trips overlap the rest of the download instead of delaying the piece's write (on a busy
   * bridge each one waits behind the socket data already in flight). Errors surface at the write.
   */
  private openAhead(piece: number): void {
    for (const s of this.fileSegments(piece)) {
      const path = this.filePath(s.file)
      if (this.handles.isOpen(path, true)) continue
      this.ensureDir(s.file)
        // not once the piece is gone (close() drops buffered pieces): no handle opened after closeAll
        .then(() => (this.buffers.has(piece) ? this.handles.use(path, true, async () => {}) : undefined))
        // only a head start: the write opens the file again and reports the error
        .catch((err: unknown) => this.log?.debug?.(`opening ${path} ahead of piece ${piece} failed: ${errorText(err)}`))
    }
  }

  private async writeSegment(s: Segment, data: Uint8Array): Promise<void> {
    await this.ensureDir(s.file)
    const chunk = data.subarray(s.rangeOffset, s.rangeOffset + s.length)
    await this.handles.use(this.filePath(s.file), true, (h) => h.write(s.fileOffset, chunk))
  }

  private ensureDir(file: number): Promise<void> {
    const path = this.filePath(file)
    const cut = path.lastIndexOf('/')
    if (cut < 0) return Promise.resolve()
    const dir = path.slice(0, cut)
    let made = this.dirsMade.get(dir)
    if (!made) {
      made = this.port.mkdir(this.root, dir)
      made.catch(() => this.dirsMade.delete(dir))
      this.dirsMade.set(dir, made)
    }
    return made
  }

  /** Like Promise.all, but waits for every job before rethrowing the first error (no stray writes). */
  private async settle(jobs: Promise<unknown>[]): Promise<void> {
    const results = await Promise.allSettled(jobs)
    for (const r of results) if (r.status === 'rejected') throw r.reason
  }
}
