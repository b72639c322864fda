import { MAX_SEND_RUN, Op } from '@tidepool/daemon-bridge'
import {
  type DataPlaneTorrentSpec,
  IoError,
  DATA_PLANE_STORE_CAP,
  PieceBufferPool,
  PieceReadCache,
  encodePieceHeader,
  PieceStore,
  type Rc4State,
  StoreBudget,
  specProblem,
} from '@tidepool/engine'
import type { OpResult } from '../file-ops.ts'
import { toIoError } from '../io-errors.ts'
import type { SessionContext } from '../session-context.ts'
import { handleOf, socketOf } from '../tcp-ops.ts'
import type { HashPool } from './hash-pool.ts'
import { TorrentFiles } from './torrent-files.ts'

/** Free piece buffers kept for reuse per client (TorrentFiles keeps nothing once a write settled). */
const PIECE_POOL_BYTES = 32 * 1024 * 1024
/**
 * Whole pieces read for dp.send, shared by a client's torrents: a leecher asks for a piece's blocks
 * one after another, so one file read per piece instead of one per 16 KiB block (bench:seeding 1 GiB:
 * per-block reads served a libtorrent leecher at 193 MiB/s, 4.3 CPU-s/GiB).
 */
const UPLOAD_CACHE_BYTES = 16 * 1024 * 1024
/** Torrents one client may open in the data plane at once. */
const MAX_TORRENTS_PER_CLIENT = 1024
/** Largest block dp.send reads (BitTorrent requests are 16 KiB; clients refuse more than 128 KiB). */
const MAX_SEND_BLOCK = 128 * 1024
/** Bytes of one RC4 direction in tcp.frame's payload: the permutation, then i, then j. */
const RC4_STATE_BYTES = 258

interface DpTorrent {
  store: PieceStore
  files: TorrentFiles
}

/** An op's reply, and what to do once it has gone out (tcp.frame: deliver the framed stream). */
export interface DpResult extends OpResult {
  after?: () => void
}

/**
 * The data plane of one session (capability `data-plane`, docs/daemon-protocol.md §4.8): its
 * torrents' piece stores (one memory budget for all), tcp.frame and dp.send on its sockets.
 * Everything goes with the session.
 */
export class SessionDataPlane {
  private readonly torrents = new Map<number, DpTorrent>()
  readonly budget = new StoreBudget(DATA_PLANE_STORE_CAP, new PieceBufferPool(PIECE_POOL_BYTES))
  /** Keys are `handle/piece`. */
  private readonly uploads = new PieceReadCache<string>((key) => this.readPiece(key), UPLOAD_CACHE_BYTES)

  constructor(
    private readonly ctx: SessionContext,
    private readonly hasher: HashPool,
  ) {}

  run(op: number, meta: Record<string, unknown>, payload: Uint8Array): Promise<DpResult> {
    switch (op) {
      case Op.dpOpen:
        return this.open(meta)
      case Op.dpClose: {
        const h = handleOf(meta)
        this.torrentOf(meta).store.close()
        this.torrents.get(h)?.files.close()
        this.torrents.delete(h)
        this.forgetUploads(h)
        return done({})
      }
      case Op.dpPiece: {
        const t = this.torrentOf(meta)
        const piece = int(meta, 'piece')
        if (typeof meta.open !== 'boolean') throw new IoError('invalid', 'open must be a boolean')
        if (!meta.open) {
          t.store.drop(piece)
          return done({ open: false })
        }
        return done({ open: t.store.open(piece) })
      }
      case Op.dpPut: {
        const r = this.torrentOf(meta).store.put(int(meta, 'piece'), int(meta, 'begin'), payload)
        if (r === 'invalid') throw new IoError('invalid', 'the block does not fit the piece')
        if (r === 'busy') throw new IoError('busy', 'the piece store is full')
        return done({})
      }
      case Op.dpVerify: {
        if (payload.length !== 20) throw new IoError('invalid', 'dp.verify takes the 20-byte SHA-1 as payload')
        return this.torrentOf(meta)
          .store.verify(int(meta, 'piece'), payload.slice())
          .then(
            (verdict) => ({ meta: { verdict } }),
            (e: unknown) => Promise.reject(toIoError(e)),
          )
      }
      case Op.dpFiles: {
        const h = handleOf(meta)
        return this.torrentOf(meta)
          .files.setSpec(specOf(meta))
          .then(() => {
            this.forgetUploads(h) // read from the old paths
            return { meta: {} }
          })
      }
      case Op.tcpFrame:
        return done({}, this.frame(meta, payload))
      case Op.dpSend:
        return this.send(meta)
      default:
        throw new IoError('invalid', `unknown op ${op}`)
    }
  }

  private async open(meta: Record<string, unknown>): Promise<DpResult> {
    const spec = specOf(meta)
    await TorrentFiles.check(this.ctx.guard, spec)
    if (this.torrents.size >= MAX_TORRENTS_PER_CLIENT)
      throw new IoError('busy', `at most ${MAX_TORRENTS_PER_CLIENT} data-plane torrents per client`)
    if (this.ctx.closed) throw new IoError('closed', 'session closed')
    const files = new TorrentFiles(this.ctx.guard, spec, this.ctx.counters)
    const handle = this.ctx.newHandle()
    const store = new PieceStore(files.layout, this.budget, {
      sha1: (data) => this.hasher.sha1(data),
      // a piece written again (downloaded after a recheck found it bad) must not be uploaded from the
      // cache's old copy: forgotten before the write, and after it (a read that raced the write)
      write: async (piece, data) => {
        this.uploads.drop(`${handle}/${piece}`)
        try {
          await files.writePiece(piece, data)
        } finally {
          this.uploads.drop(`${handle}/${piece}`)
        }
      },
    })
    this.torrents.set(handle, { store, files })
    return { meta: { handle } }
  }

  private frame(meta: Record<string, unknown>, payload: Uint8Array): () => void {
    const sock = socketOf(this.ctx, meta)
    const t = this.torrentByHandle(meta.torrent)
    let cipher: { decrypt: Rc4State; encrypt: Rc4State } | undefined
    if (meta.cipher === true) {
      if (payload.length !== 2 * RC4_STATE_BYTES)
        throw new IoError('invalid', `a cipher takes ${2 * RC4_STATE_BYTES} payload bytes`)
      cipher = { decrypt: rc4State(payload, 0), encrypt: rc4State(payload, RC4_STATE_BYTES) }
    } else if (meta.cipher !== undefined && meta.cipher !== false)
      throw new IoError('invalid', 'cipher must be a boolean')
    return sock.frameWith({
      at: int(meta, 'at'),
      cipher,
      store: (index, begin, block) => t.store.keep(index, begin, block),
    })
  }

  private send(meta: Record<string, unknown>): Promise<DpResult> {
    const sock = socketOf(this.ctx, meta)
    const t = this.torrentByHandle(meta.torrent)
    const sender = sock.tap?.sender
    if (!sender) throw new IoError('invalid', 'dp.send needs a framed socket')
    const piece = int(meta, 'piece')
    const begin = int(meta, 'begin')
    const length = int(meta, 'length')
    if (length === 0 || length > MAX_SEND_BLOCK) throw new IoError('invalid', `length must be 1..${MAX_SEND_BLOCK}`)
    const count = meta.count === undefined ? 1 : int(meta, 'count')
    if (count === 0 || count > MAX_SEND_RUN) throw new IoError('invalid', `count must be 1..${MAX_SEND_RUN}`)
    if (piece >= t.store.pieceCount || begin + count * length > t.store.pieceSize(piece))
      throw new IoError('invalid', 'the block is outside the piece')
    const read = this.uploads.get(`${meta.torrent}/${piece}`)
    // Queued now, so they keep their place among the socket's writes; nothing is sent if the read
    // fails. Each block is a view of the cached piece, sent without a copy (the cache never changes
    // a piece it read).
    for (let k = 0; k < count; k++) {
      const at = begin + k * length
      sender.writePieceLater(
        encodePieceHeader(piece, at, length),
        read.then(
          (data) => data.subarray(at, at + length),
          () => null,
        ),
      )
    }
    return read.then(
      () => ({ meta: {} }),
      (e: unknown) => Promise.reject(toIoError(e)),
    )
  }

  /** A whole piece for the upload cache (key `handle/piece`). */
  private async readPiece(key: string): Promise<Uint8Array> {
    const [h, p] = key.split('/').map(Number)
    const t = this.torrentByHandle(h)
    const data = Buffer.allocUnsafe(t.store.pieceSize(p!)) // every byte is read into it
    await t.files.readBlock(p!, 0, data)
    return data
  }

  private forgetUploads(handle: number): void {
    const prefix = `${handle}/`
    this.uploads.dropWhere((key) => key.startsWith(prefix))
  }

  private torrentOf(meta: Record<string, unknown>): DpTorrent {
    return this.torrentByHandle(meta.handle)
  }

  private torrentByHandle(h: unknown): DpTorrent {
    const t = typeof h === 'number' ? this.torrents.get(h) : undefined
    if (!t) throw new IoError('closed', 'no such data-plane torrent')
    return t
  }

  /** Client gone: every piece is forgotten, every file closed. */
  dispose(): void {
    for (const t of this.torrents.values()) {
      t.store.close()
      t.files.close()
    }
    this.torrents.clear()
    this.uploads.dropWhere(() => true)
  }
}

function done(meta: object, after?: () => void): Promise<DpResult> {
  return Promise.resolve({ meta, after })
}

function int(meta: Record<string, unknown>, key: string): number {
  const v = meta[key]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new IoError('invalid', `${key} must be a non-negative integer`)
  return v
}

function specOf(meta: Record<string, unknown>): DataPlaneTorrentSpec {
  const { root, files, pieceLength } = meta
  if (typeof root !== 'string') throw new IoError('invalid', 'root must be a string')
  const spec = { root, files, pieceLength } as DataPlaneTorrentSpec
  const problem = specProblem(spec)
  if (problem) throw new IoError('invalid', problem)
  return {
    root,
    pieceLength: spec.pieceLength,
    files: spec.files.map((f) => ({ path: f.path, length: f.length, padding: f.padding === true })),
  }
}

function rc4State(payload: Uint8Array, at: number): Rc4State {
  return { s: payload.slice(at, at + 256), i: payload[at + 256]!, j: payload[at + 257]! }
}
