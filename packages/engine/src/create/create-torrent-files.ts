import type { FilePort, PieceHasher } from '../platform/ports.ts'
import { encodeBencode } from '../util/bencode.ts'
import { toHex } from '../util/hex.ts'
import { sha1 } from '../util/sha1.ts'
import { buildInfo, buildMetainfo, type MetainfoExtras } from './build-metainfo.ts'
import { collectFiles, CreateTorrentError, statAll } from './collect-files.ts'
import { hashPieces, type HashPiecesOptions } from './hash-pieces.ts'
import { autoPieceLength, isValidPieceLength } from './piece-length.ts'

/** A torrent to create from a file or folder under one of the FilePort's roots. */
export interface CreateTorrentRequest extends MetainfoExtras {
  root: string
  /** The file or folder inside the root, '/'-separated. */
  path: string
  /** Bytes per piece, a power of two from 16 KiB to 16 MiB; absent or 0 = automatic. */
  pieceLength?: number
}

export interface CreatedTorrent {
  torrentFile: Uint8Array
  infoHash: string
  name: string
  totalBytes: number
  pieceLength: number
  pieceCount: number
  /** Each file where it was read and its size and mtime then: proof for seeding without a recheck. */
  files: Array<{ rootPath: string; length: number; mtimeMs: number }>
}

const TRACKER_SCHEMES = /^(https?|udp|wss?):\/\/[^/\s]/i
const WEB_SEED_SCHEMES = /^https?:\/\/[^/\s]/i

/** Refuses what would make a broken torrent before any byte is read. */
function validate(req: CreateTorrentRequest): void {
  if (req.pieceLength && !isValidPieceLength(req.pieceLength))
    throw new CreateTorrentError(`piece size ${req.pieceLength}: want a power of two from 16 KiB to 16 MiB`)
  for (const url of (req.trackers ?? []).flat())
    if (!TRACKER_SCHEMES.test(url)) throw new CreateTorrentError(`tracker ${url}: want an http, https or udp URL`)
  for (const url of req.webSeeds ?? [])
    if (!WEB_SEED_SCHEMES.test(url)) throw new CreateTorrentError(`web seed ${url}: want an http or https URL`)
}

/**
 * Creates a v1 .torrent: walks the file or folder, hashes its pieces through `hasher` with progress
 * and cancellation (`opts.signal`), and checks afterwards that no file changed while it was read, so
 * the hashes describe the data now on disk and it can be seeded at once.
 */
export async function createTorrentFromFiles(
  port: FilePort,
  hasher: PieceHasher,
  req: CreateTorrentRequest,
  opts: HashPiecesOptions = {},
): Promise<CreatedTorrent> {
  validate(req)
  const tree = await collectFiles(port, req.root, req.path)
  if (tree.totalBytes === 0) throw new CreateTorrentError(`${req.path} holds no data (only empty files or none)`)
  const pieceLength = req.pieceLength || autoPieceLength(tree.totalBytes)
  const pieces = await hashPieces(port, req.root, tree.files, pieceLength, hasher, opts)
  const after = await statAll(
    port,
    req.root,
    tree.files.map((f) => f.rootPath),
  )
  tree.files.forEach((f, i) => {
    const now = after[i]
    if (!now || now.size !== f.length || now.mtimeMs !== f.mtimeMs)
      throw new CreateTorrentError(`${f.rootPath} changed while hashing: create the torrent again`)
  })
  const info = buildInfo(tree, pieceLength, pieces, !!req.private)
  const torrentFile = buildMetainfo(info, req)
  return {
    torrentFile,
    infoHash: toHex(await sha1(encodeBencode(info))),
    name: tree.name,
    totalBytes: tree.totalBytes,
    pieceLength,
    pieceCount: pieces.length / 20,
    files: tree.files.map((f) => ({ rootPath: f.rootPath, length: f.length, mtimeMs: f.mtimeMs })),
  }
}
