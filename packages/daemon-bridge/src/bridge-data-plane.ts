import {
  type DataPlane,
  type DataPlaneTorrent,
  type DataPlaneTorrentSpec,
  IoError,
  type PieceVerdict,
  StoreBudget,
} from '@tidepool/engine'
import { Op } from './protocol.ts'

/** What the data plane needs of its connection (BridgeClient). */
export interface DataPlaneHost {
  request(op: number, meta: object, payload?: Uint8Array): Promise<{ meta: Record<string, unknown> }>
  fireAndForget(op: number, meta: object): void
}

/**
 * The daemon's piece store (capability `data-plane`, docs/daemon-protocol.md §4.8) as the engine's
 * DataPlane. openPiece answers from a count kept here against the same cap the daemon applies (no
 * round trip): this count reserves before the daemon does and releases after it, so a piece this
 * side opens is open in the daemon too.
 */
export class BridgeDataPlane implements DataPlane {
  /** One budget for all torrents of this connection, as the daemon keeps one per client. */
  readonly budget = new StoreBudget()

  constructor(private readonly host: DataPlaneHost) {}

  async openTorrent(spec: DataPlaneTorrentSpec): Promise<DataPlaneTorrent> {
    const r = await this.host.request(Op.dpOpen, specMeta(spec))
    const handle = r.meta.handle
    if (typeof handle !== 'number') throw new IoError('invalid', 'dp.open reply without a handle')
    return new BridgeDataPlaneTorrent(this.host, handle, spec, this.budget)
  }
}

export class BridgeDataPlaneTorrent implements DataPlaneTorrent {
  /** Open pieces and the bytes each reserves. */
  private readonly open = new Map<number, number>()
  private readonly pieceLength: number
  private readonly length: number
  private closed = false

  constructor(
    private readonly host: DataPlaneHost,
    /** The daemon's handle of this torrent (tcp.frame and dp.send name it). */
    readonly handle: number,
    spec: DataPlaneTorrentSpec,
    private readonly budget: StoreBudget,
  ) {
    this.pieceLength = spec.pieceLength
    this.length = spec.files.reduce((n, f) => n + f.length, 0)
  }

  private pieceSize(piece: number): number {
    const count = Math.ceil(this.length / this.pieceLength)
    if (!Number.isInteger(piece) || piece < 0 || piece >= count) return 0
    return piece < count - 1 ? this.pieceLength : this.length - this.pieceLength * (count - 1)
  }

  openPiece(piece: number): boolean {
    if (this.closed) return false
    if (this.open.has(piece)) return true
    const size = this.pieceSize(piece)
    if (size === 0 || !this.budget.reserve(size)) return false
    this.open.set(piece, size)
    this.host.fireAndForget(Op.dpPiece, { handle: this.handle, piece, open: true })
    return true
  }

  dropPiece(piece: number): void {
    const size = this.open.get(piece)
    if (size === undefined) return
    this.open.delete(piece)
    this.budget.release(size)
    if (!this.closed) this.host.fireAndForget(Op.dpPiece, { handle: this.handle, piece, open: false })
  }

  async putBlock(piece: number, begin: number, data: Uint8Array): Promise<void> {
    if (this.closed) throw new IoError('closed', 'the data-plane torrent is closed')
    // The daemon opens the piece for it (past the soft cap if it must): count it the same way.
    let reserved = 0
    if (!this.open.has(piece)) {
      const size = this.pieceSize(piece)
      if (size > 0 && this.budget.reserve(size, true)) {
        this.open.set(piece, size)
        reserved = size
      }
    }
    try {
      await this.host.request(Op.dpPut, { handle: this.handle, piece, begin }, data)
    } catch (e) {
      if (reserved > 0 && this.open.get(piece) === reserved) this.dropLocal(piece)
      throw e
    }
  }

  async verifyPiece(piece: number, sha1: Uint8Array): Promise<PieceVerdict> {
    // The daemon takes the piece out of its store when it starts hashing: an openPiece meanwhile is
    // a fresh piece on both sides. The reservation lasts until the answer, as the daemon's does.
    const size = this.open.get(piece)
    this.open.delete(piece)
    let verdict: PieceVerdict | undefined
    try {
      const r = await this.host.request(Op.dpVerify, { handle: this.handle, piece }, sha1)
      const v = r.meta.verdict
      if (v !== 'verified' && v !== 'hash-failed' && v !== 'incomplete')
        throw new IoError('invalid', `dp.verify answered ${String(v)}`)
      verdict = v
      return v
    } finally {
      if (size !== undefined) {
        if (verdict === 'incomplete' && !this.open.has(piece) && !this.closed) this.open.set(piece, size)
        else this.budget.release(size)
      }
    }
  }

  async setFiles(spec: DataPlaneTorrentSpec): Promise<void> {
    await this.host.request(Op.dpFiles, { handle: this.handle, ...specMeta(spec) })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const piece of [...this.open.keys()]) this.dropLocal(piece)
    // Only `closed` can come back (the handle or the connection is gone), which is what was asked.
    await this.host.request(Op.dpClose, { handle: this.handle }).catch(() => undefined)
  }

  private dropLocal(piece: number): void {
    const size = this.open.get(piece)
    if (size === undefined) return
    this.open.delete(piece)
    this.budget.release(size)
  }
}

function specMeta(spec: DataPlaneTorrentSpec): object {
  return {
    root: spec.root,
    pieceLength: spec.pieceLength,
    files: spec.files.map((f) =>
      f.padding ? { path: f.path, length: f.length, padding: true } : { path: f.path, length: f.length },
    ),
  }
}
