/**
 * An in-memory data plane for tests, over any FilePort (a MemoryFilePort): the same pure parts the
 * daemon uses (dataplane/: PieceStore, FramedReader, OrderedSender), so whole engines on a
 * MemoryNetwork exercise framed sockets, STORED, platform hashing/writes and sendBlock uploads.
 * MemoryNetwork's sockets frame themselves through `MemoryFraming` below.
 */
import {
  FramedReader,
  OrderedSender,
  PieceStore,
  StoreBudget,
  blockMessage,
  pieceSpans,
  specLayout,
  specProblem,
} from '../dataplane/index.ts'
import type { StorageLayout } from '../storage/file-map.ts'
import { sha1 } from '../util/sha1.ts'
import { IoError } from './ports.ts'
import type {
  DataPlane,
  DataPlaneTorrent,
  DataPlaneTorrentSpec,
  FilePort,
  FrameOptions,
  PieceVerdict,
} from './ports.ts'

export class MemoryDataPlane implements DataPlane {
  readonly budget: StoreBudget
  /** Counters for tests: blocks kept from framed sockets, blocks sent from the files. */
  readonly stats = { stored: 0, sent: 0, verified: 0, hashFailed: 0 }

  constructor(
    readonly files: FilePort,
    opts: { capBytes?: number } = {},
  ) {
    this.budget = new StoreBudget(opts.capBytes)
  }

  async openTorrent(spec: DataPlaneTorrentSpec): Promise<MemoryDataPlaneTorrent> {
    const problem = specProblem(spec)
    if (problem) throw new IoError('invalid', problem)
    if (!this.files.roots().includes(spec.root)) throw new IoError('bad-path', `unknown root ${spec.root}`)
    return new MemoryDataPlaneTorrent(this, spec)
  }
}

export class MemoryDataPlaneTorrent implements DataPlaneTorrent {
  private spec: DataPlaneTorrentSpec
  private layout: StorageLayout
  private readonly store: PieceStore
  private closed = false

  constructor(
    private readonly plane: MemoryDataPlane,
    spec: DataPlaneTorrentSpec,
  ) {
    this.spec = spec
    this.layout = specLayout(spec)
    this.store = new PieceStore(this.layout, plane.budget, {
      sha1: async (data) => ({ digest: await sha1(data), data }),
      write: (piece, data) => this.writePiece(piece, data),
    })
  }

  openPiece(piece: number): boolean {
    return this.store.open(piece)
  }

  dropPiece(piece: number): void {
    this.store.drop(piece)
  }

  async putBlock(piece: number, begin: number, data: Uint8Array): Promise<void> {
    const r = this.store.put(piece, begin, data)
    if (r === 'invalid') throw new IoError('invalid', `block ${piece}:${begin}+${data.length} does not fit`)
    if (r === 'busy') throw new IoError('busy', 'the piece store is full')
  }

  async verifyPiece(piece: number, hash: Uint8Array): Promise<PieceVerdict> {
    const v = await this.store.verify(piece, hash)
    if (v === 'verified') this.plane.stats.verified++
    if (v === 'hash-failed') this.plane.stats.hashFailed++
    return v
  }

  async setFiles(spec: DataPlaneTorrentSpec): Promise<void> {
    const problem = specProblem(spec)
    if (problem) throw new IoError('invalid', problem)
    this.spec = spec
    this.layout = specLayout(spec)
  }

  async close(): Promise<void> {
    this.closed = true
    this.store.close()
  }

  /** A framed socket's `piece` message: kept when its piece is open. */
  keep(index: number, begin: number, block: Uint8Array): boolean {
    if (this.closed || !this.store.keep(index, begin, block)) return false
    this.plane.stats.stored++
    return true
  }

  /** A whole `piece` message for sendBlock, its block read from the files (padding as zeros). */
  async pieceMessage(piece: number, begin: number, length: number): Promise<Uint8Array> {
    if (this.closed) throw new IoError('closed', 'the torrent is closed')
    if (piece < 0 || piece >= this.layout.pieceCount) throw new IoError('invalid', `no piece ${piece}`)
    const { message, block } = blockMessage(piece, begin, length)
    const files = this.plane.files
    for (const s of pieceSpans(this.layout, piece, begin, length)) {
      if (s.padding) continue
      const h = await files.open(this.spec.root, s.path)
      try {
        const bytes = await h.read(s.fileOffset, s.length)
        if (bytes.length !== s.length) throw new IoError('not-found', `${s.path} is shorter than expected`)
        block.set(bytes, s.rangeOffset)
      } finally {
        await h.close()
      }
    }
    this.plane.stats.sent++
    return message
  }

  private async writePiece(piece: number, data: Uint8Array): Promise<void> {
    const files = this.plane.files
    for (const s of pieceSpans(this.layout, piece)) {
      if (s.padding) continue
      const cut = s.path.lastIndexOf('/')
      if (cut > 0) await files.mkdir(this.spec.root, s.path.slice(0, cut))
      const h = await files.open(this.spec.root, s.path, { write: true, create: true })
      try {
        await h.write(s.fileOffset, data.subarray(s.rangeOffset, s.rangeOffset + s.length))
      } finally {
        await h.close()
      }
    }
  }
}

/** What a framable MemorySocket keeps of what it delivered, until it is framed. */
export const FRAMABLE_KEEP_BYTES = 256 * 1024

/**
 * One framed in-memory socket: raw bytes from the peer go through a FramedReader (decrypting, STORED
 * for kept blocks), our plaintext writes and sendBlock messages through an OrderedSender (encrypting)
 * to the peer.
 */
export class MemoryFraming {
  private readonly reader: FramedReader
  private readonly sender: OrderedSender
  private readonly encrypts: boolean

  constructor(
    readonly torrent: MemoryDataPlaneTorrent,
    opts: FrameOptions,
    sink: (bytes: Uint8Array) => void,
  ) {
    this.reader = new FramedReader({
      ...(opts.cipher ? { decrypt: opts.cipher.decrypt } : {}),
      store: (index, begin, block) => torrent.keep(index, begin, block),
    })
    this.encrypts = opts.cipher !== undefined
    this.sender = new OrderedSender(sink, opts.cipher?.encrypt)
  }

  /** The peer sent a message over the reader's limit: the socket must close. */
  get failed(): boolean {
    return this.reader.error !== null
  }

  /** Raw bytes in (the reader may decrypt them in place: pass a copy you own), framed bytes out. */
  receive(raw: Uint8Array): Uint8Array {
    return this.reader.push(raw)
  }

  /** A write of the engine's (its buffers may be shared constants: encrypted only as a copy). */
  write(data: Uint8Array): void {
    this.sender.write(this.encrypts ? data.slice() : data)
  }

  sendBlock(
    torrent: DataPlaneTorrent,
    piece: number,
    begin: number,
    length: number,
    onError?: (e: IoError) => void,
  ): void {
    if (!(torrent instanceof MemoryDataPlaneTorrent)) {
      onError?.(new IoError('invalid', 'not a torrent of this data plane'))
      return
    }
    this.sender.writeLater(
      torrent.pieceMessage(piece, begin, length).catch((e: unknown) => {
        onError?.(e instanceof IoError ? e : new IoError('io', String(e)))
        return null
      }),
    )
  }

  close(): void {
    this.sender.close()
  }
}
