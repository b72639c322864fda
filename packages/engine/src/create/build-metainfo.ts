import { encodeBencode, type BDict, type BValue } from '../util/bencode.ts'
import { utf8Encode } from '../util/bytes.ts'
import type { SourceTree } from './collect-files.ts'

/** What goes into a new .torrent besides the files and their hashes. */
export interface MetainfoExtras {
  /** BEP 12 tiers, in order; empty for a trackerless (DHT-only) torrent. */
  trackers?: string[][]
  /** BEP 19 web seeds. */
  webSeeds?: string[]
  private?: boolean
  comment?: string
  /** `created by`; omitted when absent or empty. */
  createdBy?: string
  /** `creation date` in seconds since the epoch; omitted when absent (keeps output reproducible). */
  creationDate?: number
}

/** The info dictionary (the bytes the info-hash is taken of) for `tree`, its piece length and hashes. */
export function buildInfo(tree: SourceTree, pieceLength: number, pieces: Uint8Array, isPrivate: boolean): BDict {
  const info: BDict = { name: utf8Encode(tree.name), 'piece length': pieceLength, pieces }
  if (tree.single) info.length = tree.files[0]!.length
  else info.files = tree.files.map((f): BValue => ({ length: f.length, path: f.path.map((c) => utf8Encode(c)) }))
  if (isPrivate) info.private = 1
  return info
}

/**
 * The .torrent bytes. Bencode sorts every dictionary's keys, so the same inputs always give the same
 * bytes. Like libtorrent: `announce` is the first tracker and `announce-list` is written only when
 * there is more than one; one web seed is a string, several a list.
 */
export function buildMetainfo(info: BDict, extras: MetainfoExtras): Uint8Array {
  const root: BDict = { info }
  const tiers = (extras.trackers ?? []).map((t) => t.filter((u) => u !== '')).filter((t) => t.length > 0)
  const urls = tiers.flat()
  if (urls.length > 0) root.announce = utf8Encode(urls[0]!)
  if (urls.length > 1) root['announce-list'] = tiers.map((t) => t.map((u) => utf8Encode(u)))
  const seeds = (extras.webSeeds ?? []).filter((u) => u !== '')
  if (seeds.length === 1) root['url-list'] = utf8Encode(seeds[0]!)
  else if (seeds.length > 1) root['url-list'] = seeds.map((u) => utf8Encode(u))
  if (extras.comment) root.comment = utf8Encode(extras.comment)
  if (extras.createdBy) root['created by'] = utf8Encode(extras.createdBy)
  if (extras.creationDate !== undefined) root['creation date'] = Math.floor(extras.creationDate)
  return encodeBencode(root)
}
