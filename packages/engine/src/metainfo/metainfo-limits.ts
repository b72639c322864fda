import type { BencodeLimits } from '../util/bencode.ts'

/**
 * What a torrent (a .torrent file or an info dictionary fetched for a magnet link) may hold. Each is
 * far above what real torrents use and is there so a small hostile file cannot cost gigabytes:
 * decoding is refused before objects are built, and the error is a MetainfoError('too-large').
 */

/** Largest .torrent we parse; real ones are at most a few MiB. */
export const MAX_TORRENT_FILE_BYTES = 50 * 1024 * 1024

/**
 * Bencoded values (strings, integers, lists, dictionaries, keys) in one torrent. A file entry is
 * 6-8 values, so this admits ~400,000 files; libtorrent's default decode limit (3,000,000 tokens,
 * end markers included) is of the same size. Each value costs up to ~110 bytes once decoded, so
 * the worst accepted torrent decodes to ~330 MB however it is encoded.
 */
export const MAX_TORRENT_VALUES = 3_000_000

/** Files in one torrent. Large real torrents have tens of thousands. */
export const MAX_FILES = 400_000

/** Components of one file's path; real torrents nest a few folders deep. */
export const MAX_PATH_COMPONENTS = 256

/** Bytes of one file's path, components summed as written; Linux refuses paths over 4096. */
export const MAX_PATH_BYTES = 4096

export interface MetainfoLimits {
  maxValues: number
  maxFiles: number
  maxPathComponents: number
  maxPathBytes: number
}

export const DEFAULT_METAINFO_LIMITS: MetainfoLimits = {
  maxValues: MAX_TORRENT_VALUES,
  maxFiles: MAX_FILES,
  maxPathComponents: MAX_PATH_COMPONENTS,
  maxPathBytes: MAX_PATH_BYTES,
}

export function torrentDecodeLimits(limits: MetainfoLimits): BencodeLimits {
  return { maxDepth: 64, maxElements: limits.maxValues }
}
