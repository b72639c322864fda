import { BencodeError, decodeBencodePrefix, encodeBencode, getInt, isDict, type BDict } from '../util/bencode.ts'
import { concatBytes } from '../util/bytes.ts'
import { ExtensionError } from './extension-error.ts'

/** BEP 9: metadata moves in 16 KiB pieces (the last one may be shorter). */
export const METADATA_PIECE_SIZE = 16 * 1024
/**
 * Largest info dictionary we accept or serve: 8 MiB holds 400,000 piece hashes, or ~100,000 files
 * with their paths. libtorrent's default is lower (3-4 MiB) and refuses the metadata of some huge
 * collection torrents. Memory stays bounded above this size too: the assembled bytes are decoded
 * with the metainfo value budget (MAX_TORRENT_VALUES), so a dictionary of millions of tiny values
 * is refused before it is built.
 */
export const MAX_METADATA_SIZE = 8 * 1024 * 1024

export type MetadataMessage =
  | { type: 'request'; piece: number }
  | { type: 'data'; piece: number; totalSize: number; data: Uint8Array }
  | { type: 'reject'; piece: number }

const TYPE_CODES = { request: 0, data: 1, reject: 2 } as const

export function metadataPieceCount(size: number): number {
  return Math.ceil(size / METADATA_PIECE_SIZE)
}

/** Expected byte length of piece `piece` of metadata of `size` bytes. */
export function metadataPieceLength(size: number, piece: number): number {
  return Math.min(METADATA_PIECE_SIZE, size - piece * METADATA_PIECE_SIZE)
}

export function encodeMetadataMessage(msg: MetadataMessage): Uint8Array {
  const d: BDict = { msg_type: TYPE_CODES[msg.type], piece: msg.piece }
  if (msg.type !== 'data') return encodeBencode(d)
  d.total_size = msg.totalSize
  return concatBytes([encodeBencode(d), msg.data])
}

/**
 * Decodes a ut_metadata payload: a bencoded dictionary, followed (for data) by the piece bytes.
 * Unknown msg_type values throw, as do data messages with an impossible size or piece.
 */
export function decodeMetadataMessage(payload: Uint8Array): MetadataMessage {
  let value: ReturnType<typeof decodeBencodePrefix>['value']
  let end: number
  try {
    ;({ value, end } = decodeBencodePrefix(payload, { maxDepth: 4, maxElements: 64 }))
  } catch (e) {
    if (e instanceof BencodeError) throw new ExtensionError(`ut_metadata: ${e.message}`)
    throw e
  }
  if (!isDict(value)) throw new ExtensionError('ut_metadata: not a dictionary')
  const type = getInt(value, 'msg_type')
  const piece = getInt(value, 'piece')
  if (piece === undefined || piece < 0 || piece >= metadataPieceCount(MAX_METADATA_SIZE))
    throw new ExtensionError('ut_metadata: missing or bad piece')
  const rest = payload.subarray(end)
  if (type === 0 || type === 2) {
    if (rest.length !== 0) throw new ExtensionError('ut_metadata: bytes after a request/reject')
    return { type: type === 0 ? 'request' : 'reject', piece }
  }
  if (type !== 1) throw new ExtensionError(`ut_metadata: unknown msg_type ${String(type)}`)
  const totalSize = getInt(value, 'total_size')
  if (totalSize === undefined || totalSize <= 0 || totalSize > MAX_METADATA_SIZE)
    throw new ExtensionError('ut_metadata: bad total_size')
  if (piece >= metadataPieceCount(totalSize)) throw new ExtensionError('ut_metadata: piece beyond total_size')
  if (rest.length !== metadataPieceLength(totalSize, piece))
    throw new ExtensionError(`ut_metadata: piece ${piece} has ${rest.length} bytes`)
  return { type: 'data', piece, totalSize, data: rest }
}

/** Our answer to a peer's request: the piece of our info dictionary, or a reject if we have none. */
export function serveMetadataRequest(infoBytes: Uint8Array | null, piece: number): MetadataMessage {
  if (!infoBytes || infoBytes.length > MAX_METADATA_SIZE || piece < 0 || piece >= metadataPieceCount(infoBytes.length))
    return { type: 'reject', piece }
  const start = piece * METADATA_PIECE_SIZE
  return {
    type: 'data',
    piece,
    totalSize: infoBytes.length,
    data: infoBytes.subarray(start, start + METADATA_PIECE_SIZE),
  }
}
