/**
 * Pieces kept by the platform's data plane (DataPlaneTorrent) instead of in engine buffers: the
 * engine only counts which blocks of each piece arrived (a STORED notice, or a block it had to put
 * there itself: a web seed's, a plain `piece` message), asks the platform to check a piece once every
 * block is in, and maps the verdict to what TorrentStorage.writeBlock answers, so the downloader
 * treats both the same. Verified pieces are marked in the storage's `have`; a write error is kept
 * in the storage's `error` (the torrent fails with it, as with local writes). Resume, rechecks and
 * reads for the engine's own uses stay with TorrentStorage.
 */
import { IoError } from '../platform/ports.ts'
import type { DataPlane, DataPlaneTorrent, DataPlaneTorrentSpec, Logger } from '../platform/ports.ts'
import { errorText } from '../util/log.ts'
import { BLOCK_SIZE, pieceHash, pieceSize } from './file-map.ts'
import type { RelocatingFiles } from './relocating-files.ts'
import { RemotePlaces } from './remote-places.ts'
import type { BlockWriteResult, PeerTag, TorrentStorage } from './torrent-storage.ts'

interface RemotePiece {
  /** Per block: 0 missing, 1 in the store, 2 being put there. */
  got: Uint8Array
  missing: number
  contributors: Set<PeerTag>
}

/** The data plane's view of a torrent's files (paths inside the root, padding marked). */
export function dataPlaneSpec(storage: TorrentStorage): DataPlaneTorrentSpec {
  const layout = storage.layout
  return {
    root: storage.root,
    pieceLength: layout.pieceLength,
    files: layout.files.map((f, i) => ({
      path: storage.filePath(i),
      length: f.length,
      ...(f.padding ? { padding: true } : {}),
    })),
  }
}

/** The torrent's pieces on the data plane; null (pieces buffered here) without one or when it refuses. */
export async function openRemotePieces(
  dataPlane: DataPlane | null,
  storage: TorrentStorage,
  places: RelocatingFiles | null,
  log: Logger,
  now: () => number,
): Promise<RemotePieces | null> {
  if (!dataPlane) return null
  try {
    const torrent = await dataPlane.openTorrent(dataPlaneSpec(storage))
    return new RemotePieces(torrent, storage, new RemotePlaces(torrent, storage, places, log), now)
  } catch (err) {
    log.warn(`the data plane refused the torrent (${errorText(err)}); its pieces come here`)
    return null
  }
}

/** After the store refused a piece, new pieces start only one at a time for this long. */
const STORE_FULL_BACKOFF_MS = 1000

export class RemotePieces {
  private readonly pieces = new Map<number, RemotePiece>()
  private readonly checking = new Set<number>()
  private checkingBytes = 0
  /** When openPiece last answered false (ms), or null. */
  private fullAt: number | null = null

  constructor(
    readonly torrent: DataPlaneTorrent,
    private readonly storage: TorrentStorage,
    /** Where the files are while a move runs (null: they stay put). */
    private readonly places: RemotePlaces | null = null,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Bytes of complete pieces the platform is checking or writing. */
  get settlingBytes(): number {
    return this.checkingBytes
  }

  /** Before the first request of a block of `piece`: the platform keeps its blocks from now on. */
  beforeRequest(piece: number): void {
    if (this.pieces.has(piece) || this.checking.has(piece) || this.storage.have.has(piece)) return
    // false (store full): the blocks come as plain `piece` messages and writeBlock puts them there
    if (!this.torrent.openPiece(piece)) this.fullAt = this.now()
    this.entry(piece)
  }

  /** The store refused a piece lately: start no more pieces than needed to keep going. */
  storeFull(): boolean {
    return this.fullAt !== null && this.now() - this.fullAt < STORE_FULL_BACKOFF_MS
  }

  /** A block with its bytes (web seed, plain `piece` message): put into the platform's store. */
  async writeBlock(piece: number, begin: number, data: Uint8Array, from?: PeerTag): Promise<BlockWriteResult> {
    const skip = this.check(piece, begin, data.length)
    if (skip) return skip
    const p = this.entry(piece)
    const b = begin / BLOCK_SIZE
    if (p.got[b]) return { status: 'ignored', reason: 'duplicate' }
    p.got[b] = 2
    try {
      await this.torrent.putBlock(piece, begin, data)
    } catch (e) {
      p.got[b] = 0
      // refused (store over its hard cap): the caller returns the block to the picker
      throw e instanceof IoError ? e : new IoError('busy', String(e))
    }
    if (this.pieces.get(piece) !== p) return { status: 'ignored', reason: 'duplicate' } // dropped meanwhile
    return this.received(piece, p, b, from)
  }

  /** The platform kept a block from a framed socket (STORED). */
  async markStored(piece: number, begin: number, length: number, from?: PeerTag): Promise<BlockWriteResult> {
    const skip = this.check(piece, begin, length)
    if (skip) return skip
    const p = this.entry(piece)
    const b = begin / BLOCK_SIZE
    if (p.got[b]) return { status: 'ignored', reason: 'duplicate' }
    return this.received(piece, p, b, from)
  }

  /** `from` put a block of `piece` in the store unasked (overwriting, perhaps): it shares the verdict. */
  suspect(piece: number, from: PeerTag): void {
    this.pieces.get(piece)?.contributors.add(from)
  }

  /** The piece is no longer wanted from anyone (abandoned by the picker): the platform forgets it. */
  discardPiece(piece: number): void {
    if (!this.pieces.delete(piece)) return
    this.torrent.dropPiece(piece)
  }

  async close(): Promise<void> {
    this.pieces.clear()
    this.places?.close()
    await this.torrent.close()
  }

  /** 'invalid' throws; a piece we have or are checking answers at once. */
  private check(piece: number, begin: number, length: number): BlockWriteResult | null {
    if (this.storage.error) throw this.storage.error
    const layout = this.storage.layout
    if (piece < 0 || piece >= layout.pieceCount) throw new IoError('invalid', `piece ${piece} is not in this torrent`)
    const size = pieceSize(layout, piece)
    if (begin % BLOCK_SIZE !== 0 || begin >= size || length !== Math.min(BLOCK_SIZE, size - begin)) {
      throw new IoError('invalid', `block ${piece}:${begin}+${length} is not a block of this torrent`)
    }
    if (this.storage.have.has(piece)) return { status: 'ignored', reason: 'have' }
    if (this.checking.has(piece)) return { status: 'ignored', reason: 'duplicate' }
    return null
  }

  private entry(piece: number): RemotePiece {
    let p = this.pieces.get(piece)
    if (!p) {
      const blocks = Math.ceil(pieceSize(this.storage.layout, piece) / BLOCK_SIZE)
      p = { got: new Uint8Array(blocks), missing: blocks, contributors: new Set() }
      this.pieces.set(piece, p)
    }
    return p
  }

  private async received(piece: number, p: RemotePiece, b: number, from?: PeerTag): Promise<BlockWriteResult> {
    p.got[b] = 1
    p.missing--
    if (from !== undefined) p.contributors.add(from)
    if (p.missing > 0) return { status: 'buffered' }
    this.pieces.delete(piece)
    this.checking.add(piece)
    const size = pieceSize(this.storage.layout, piece)
    this.checkingBytes += size
    const contributors = [...p.contributors]
    try {
      const hash = pieceHash(this.storage.layout, piece)
      const check = () => this.torrent.verifyPiece(piece, hash)
      const verdict = await (this.places ? this.places.around(piece, check) : check()).catch((e: unknown) => {
        const err = e instanceof IoError ? e : new IoError('io', String(e))
        this.storage.error = err
        throw err
      })
      if (verdict === 'verified') {
        this.storage.have.set(piece)
        return { status: 'verified', piece, contributors }
      }
      if (verdict === 'hash-failed') return { status: 'failed', piece, contributors }
      // the platform lacks a block we counted (it was closed or dropped it), or the piece's files
      // stayed split between two roots: fetch the piece again
      this.torrent.dropPiece(piece)
      return { status: 'lost', piece }
    } finally {
      this.checking.delete(piece)
      this.checkingBytes -= size
    }
  }
}
