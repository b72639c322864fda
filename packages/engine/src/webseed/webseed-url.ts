import type { InfoDictionary } from '../metainfo/parse-info.ts'
import { percentEncodeBytes } from '../util/percent-encode.ts'

/** A web seed as the torrent names it: BEP 19 (`url-list`, magnet `ws=`) or BEP 17 (`httpseeds`). */
export interface WebSeedSource {
  url: string
  kind: 'url-list' | 'httpseeds'
}

/** Web seeds we can use (http and https), each once, in the order given. */
export function webSeedSources(urlList: readonly string[] = [], httpSeeds: readonly string[] = []): WebSeedSource[] {
  const out: WebSeedSource[] = []
  const seen = new Set<string>()
  const add = (url: string, kind: WebSeedSource['kind']) => {
    if (!/^https?:\/\//i.test(url) || seen.has(url) || out.length >= MAX_WEB_SEEDS) return
    try {
      new URL(url)
    } catch {
      return
    }
    seen.add(url)
    out.push({ url, kind })
  }
  for (const u of urlList) add(u, 'url-list')
  for (const u of httpSeeds) add(u, 'httpseeds')
  return out
}

/** Torrents listing hundreds of mirrors gain nothing past a handful at once. */
export const MAX_WEB_SEEDS = 16

/** One path segment, percent-encoded as UTF-8 (spaces, '#', '%', '?' and non-ASCII included). */
export function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** Whether the torrent is a single file (its one file named as the torrent, no folder). */
export function isSingleFile(info: Pick<InfoDictionary, 'files' | 'name'>): boolean {
  return info.files.length === 1 && info.files[0]!.pathComponents.length === 1
}

/**
 * BEP 19: the URL of file `index`. A single-file torrent's URL is the file itself, unless it ends
 * in '/', when the name is appended; a multi-file torrent's URL is a folder holding the torrent's
 * name, then the file's path, each segment percent-encoded.
 */
export function bep19FileUrl(base: string, info: Pick<InfoDictionary, 'files' | 'name'>, index: number): string {
  const file = info.files[index]!
  // the names as the torrent writes them (what the server has), not as sanitized for our disk
  const path = file.urlPath ?? file.pathComponents
  if (isSingleFile(info)) return base.endsWith('/') ? base + encodeSegment(path[0]!) : base
  const dir = base.endsWith('/') ? base : `${base}/`
  // the path starts with the torrent's name
  return dir + path.map(encodeSegment).join('/')
}

/**
 * BEP 17: `<url>?info_hash=..&piece=N&ranges=a-b,...` with inclusive byte ranges inside the piece
 * (none asks for the whole piece). An existing query string is kept.
 */
export function bep17Url(
  base: string,
  infoHash: Uint8Array,
  piece: number,
  ranges: ReadonlyArray<{ begin: number; length: number }> = [],
): string {
  let url = `${base}${base.includes('?') ? '&' : '?'}info_hash=${percentEncodeBytes(infoHash)}&piece=${piece}`
  if (ranges.length) url += `&ranges=${ranges.map((r) => `${r.begin}-${r.begin + r.length - 1}`).join(',')}`
  return url
}
