import { encodeBencode, type BDict, type BValue } from '../util/bencode.ts'
import { concatBytes, utf8Encode } from '../util/bytes.ts'
import { sha1 } from '../util/sha1.ts'

export interface CreateTorrentFile {
  /** '/'-separated path inside the torrent. */
  path: string
  /** Contents; when absent, `length` zero bytes. */
  data?: Uint8Array
  length?: number
}

export interface CreateTorrentOptions {
  name: string
  files: CreateTorrentFile[]
  pieceLength: number
  announce?: string | string[][]
  private?: boolean
  /** Force the multi-file layout even for one file. */
  multiFile?: boolean
  /** BEP 19 web seeds. */
  urlList?: string[]
  /** BEP 17 HTTP seeds. */
  httpSeeds?: string[]
}

/**
 * Builds a .torrent from in-memory data (for tests and fixtures). Data is hashed whole in memory,
 * so keep it small.
 */
export async function createTorrent(opts: CreateTorrentOptions): Promise<Uint8Array> {
  const contents = opts.files.map((f) => f.data ?? new Uint8Array(f.length ?? 0))
  const all = concatBytes(contents)
  const hashes: Uint8Array[] = []
  for (let o = 0; o < all.length; o += opts.pieceLength)
    hashes.push(await sha1(all.subarray(o, Math.min(all.length, o + opts.pieceLength))))
  const info: BDict = { name: utf8Encode(opts.name), 'piece length': opts.pieceLength, pieces: concatBytes(hashes) }
  if (opts.files.length === 1 && !opts.multiFile) {
    info.length = contents[0].length
  } else {
    info.files = opts.files.map(
      (f, i): BValue => ({ length: contents[i].length, path: f.path.split('/').map((c) => utf8Encode(c)) }),
    )
  }
  if (opts.private) info.private = 1
  const root: BDict = { info }
  if (typeof opts.announce === 'string') root.announce = utf8Encode(opts.announce)
  else if (opts.announce) {
    root.announce = utf8Encode(opts.announce[0]?.[0] ?? '')
    root['announce-list'] = opts.announce.map((t) => t.map((u) => utf8Encode(u)))
  }
  if (opts.urlList) root['url-list'] = opts.urlList.map((u) => utf8Encode(u))
  if (opts.httpSeeds) root.httpseeds = opts.httpSeeds.map((u) => utf8Encode(u))
  return encodeBencode(root)
}
