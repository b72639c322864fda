import type { NetPort } from '../platform/ports.ts'
import { BencodeError, decodeBencode, dictEntries, getInt, isDict, skipBencode } from '../util/bencode.ts'
import { utf8Decode } from '../util/bytes.ts'
import { toHex } from '../util/hex.ts'
import { percentEncodeBytes } from '../util/percent-encode.ts'
import type { ScrapeResult } from './announce-types.ts'
import { httpGet, type HttpGetOptions } from './http-client.ts'
import { TrackerError } from './tracker-error.ts'

/** BEP 48: the scrape URL replaces a last path segment starting with 'announce'; null when there is none. */
export function scrapeUrlFor(announceUrl: string): string | null {
  const q = announceUrl.indexOf('?')
  const path = q < 0 ? announceUrl : announceUrl.slice(0, q)
  const slash = path.lastIndexOf('/')
  if (slash < 0 || !path.slice(slash + 1).startsWith('announce')) return null
  return (
    path.slice(0, slash + 1) +
    'scrape' +
    path.slice(slash + 1 + 'announce'.length) +
    (q < 0 ? '' : announceUrl.slice(q))
  )
}

/**
 * Parses a scrape response into results keyed by info-hash hex. The 'files' keys are raw 20-byte
 * hashes, so they are read from the bytes (a generic decoder would turn them into text).
 */
export function parseScrapeResponse(body: Uint8Array): Map<string, ScrapeResult> {
  try {
    skipBencode(body)
  } catch (e) {
    if (e instanceof BencodeError)
      throw new TrackerError('bad-response', `scrape response is not bencoded: ${e.message}`)
    throw e
  }
  if (body[0] !== 0x64) throw new TrackerError('bad-response', 'scrape response is not a dictionary')
  const out = new Map<string, ScrapeResult>()
  for (const top of dictEntries(body, 0)) {
    const key = utf8Decode(top.key)
    if (key === 'failure reason') {
      const v = decodeBencode(body.subarray(top.valueStart, top.valueEnd))
      throw new TrackerError('failure', v instanceof Uint8Array ? utf8Decode(v).slice(0, 500) : 'scrape failed')
    }
    if (key !== 'files' || body[top.valueStart] !== 0x64) continue
    for (const f of dictEntries(body, top.valueStart)) {
      if (f.key.length !== 20) continue
      const v = decodeBencode(body.subarray(f.valueStart, f.valueEnd))
      if (!isDict(v)) continue
      out.set(toHex(f.key), {
        complete: getInt(v, 'complete') ?? 0,
        downloaded: getInt(v, 'downloaded') ?? 0,
        incomplete: getInt(v, 'incomplete') ?? 0,
      })
    }
  }
  return out
}

/** Scrapes an http(s) tracker for the given info-hashes. Throws TrackerError. */
export async function httpScrape(
  net: NetPort,
  announceUrl: string,
  infoHashes: readonly Uint8Array[],
  opts: HttpGetOptions = {},
): Promise<Map<string, ScrapeResult>> {
  const base = scrapeUrlFor(announceUrl)
  if (!base) throw new TrackerError('unsupported', 'this tracker has no scrape URL')
  const q = infoHashes.map((h) => `info_hash=${percentEncodeBytes(h)}`).join('&')
  const res = await httpGet(net, base + (base.includes('?') ? '&' : '?') + q, opts)
  if (res.status !== 200) throw new TrackerError('bad-response', `tracker answered HTTP ${res.status}`)
  return parseScrapeResponse(res.body)
}
