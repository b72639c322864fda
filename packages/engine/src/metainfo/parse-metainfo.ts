import {
  BencodeError,
  decodeBencodePrefix,
  dictEntries,
  getField,
  getInt,
  isDict,
  type BDict,
  type BValue,
} from '../util/bencode.ts'
import { utf8Decode } from '../util/bytes.ts'
import { MetainfoError, metainfoErrorFromBencode } from './metainfo-error.ts'
import {
  DEFAULT_METAINFO_LIMITS,
  MAX_TORRENT_FILE_BYTES,
  torrentDecodeLimits,
  type MetainfoLimits,
} from './metainfo-limits.ts'
import { parseInfoValue, type InfoDictionary } from './parse-info.ts'

export interface Metainfo extends InfoDictionary {
  /** BEP 12 tiers; a lone 'announce' is one tier. URLs de-duplicated across tiers. */
  announceTiers: string[][]
  comment?: string
  createdBy?: string
  creationDate?: number // seconds since the epoch
  urlList?: string[] // BEP 19 web seeds
  httpSeeds?: string[] // BEP 17 HTTP seeds
}

function text(v: BValue | undefined): string | undefined {
  return v instanceof Uint8Array ? utf8Decode(v).trim() : undefined
}

function textField(d: BDict, key: string): string | undefined {
  return text(getField(d, `${key}.utf-8`)) ?? text(getField(d, key))
}

function announceTiersOf(d: BDict): string[][] {
  const seen = new Set<string>()
  const tiers: string[][] = []
  const list = getField(d, 'announce-list')
  if (Array.isArray(list)) {
    for (const tier of list) {
      // Some creators write a flat list of strings: treat each as its own tier.
      const urls = Array.isArray(tier) ? tier : [tier]
      const out: string[] = []
      for (const u of urls) {
        const s = text(u)
        if (s && !seen.has(s)) {
          seen.add(s)
          out.push(s)
        }
      }
      if (out.length > 0) tiers.push(out)
    }
  }
  // BEP 12: with a usable announce-list, 'announce' is ignored.
  if (tiers.length === 0) {
    const a = text(getField(d, 'announce'))
    if (a) tiers.push([a])
  }
  return tiers
}

function urlListOf(d: BDict, key = 'url-list'): string[] | undefined {
  const v = getField(d, key)
  const items = Array.isArray(v) ? v : v === undefined ? [] : [v]
  const urls = items.map(text).filter((s): s is string => !!s)
  return urls.length > 0 ? urls : undefined
}

/** Parses a BitTorrent v1 (or hybrid) .torrent file. Throws MetainfoError. */
export async function parseMetainfo(
  torrent: Uint8Array,
  limits: MetainfoLimits = DEFAULT_METAINFO_LIMITS,
): Promise<Metainfo> {
  if (torrent.length > MAX_TORRENT_FILE_BYTES)
    throw new MetainfoError('too-large', `torrent file is ${torrent.length} bytes (cap ${MAX_TORRENT_FILE_BYTES})`)
  let root: BValue
  try {
    // Trailing bytes after the root (a stray newline from a download) are ignored, as libtorrent does.
    root = decodeBencodePrefix(torrent, torrentDecodeLimits(limits)).value
  } catch (e) {
    if (e instanceof BencodeError) throw metainfoErrorFromBencode(e, 'not a torrent file')
    throw e
  }
  if (!isDict(root)) throw new MetainfoError('bad-type', 'not a torrent file: top level is not a dictionary')
  // The info-hash covers the info dictionary's bytes exactly as written, so take its span from
  // the file rather than re-encoding (re-encoding would "fix" unsorted keys and change the hash).
  const spans = dictEntries(torrent, 0).filter((e) => e.key.length === 4 && utf8Decode(e.key) === 'info')
  if (spans.length > 1) throw new MetainfoError('bad-value', "torrent has more than one 'info' key")
  const span = spans[0]
  const infoValue = getField(root, 'info')
  if (!span || infoValue === undefined)
    throw new MetainfoError('missing-key', "not a torrent file: no 'info' dictionary")
  const infoBytes = torrent.slice(span.valueStart, span.valueEnd)
  const info = await parseInfoValue(infoValue, infoBytes, limits)

  const meta: Metainfo = { ...info, announceTiers: announceTiersOf(root) }
  const comment = textField(root, 'comment')
  if (comment) meta.comment = comment
  const createdBy = textField(root, 'created by')
  if (createdBy) meta.createdBy = createdBy
  const date = getInt(root, 'creation date')
  if (date !== undefined) meta.creationDate = date
  const urls = urlListOf(root)
  if (urls) meta.urlList = urls
  const httpSeeds = urlListOf(root, 'httpseeds')
  if (httpSeeds) meta.httpSeeds = httpSeeds
  return meta
}
