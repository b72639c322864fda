import { decodeBase32 } from '../util/base32.ts'
import { fromHex, toHex } from '../util/hex.ts'
import { parseIPv4, parseIPv6, peerKey, type PeerAddress } from '../util/peer-address.ts'

export interface MagnetLink {
  infoHash: string // 40 hex, lower case
  infoHashBytes: Uint8Array
  name?: string
  trackers: string[]
  peers: PeerAddress[]
  /** BEP 53 `so=`: file indices to download. */
  selectedFiles?: number[]
  webSeeds?: string[]
}

export type MagnetErrorCode = 'not-magnet' | 'no-info-hash' | 'bad-info-hash' | 'v2-only' | 'too-large'

export class MagnetError extends Error {
  readonly code: MagnetErrorCode
  constructor(code: MagnetErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = 'MagnetError'
  }
}

const MAX_URI_LENGTH = 64 * 1024
const MAX_TRACKERS = 200
const MAX_PEERS = 500
const MAX_SELECTED = 100_000

function decodeComponent(s: string): string | null {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return null
  }
}

function hashFromBtih(v: string): Uint8Array {
  if (/^[0-9a-fA-F]{40}$/.test(v)) return fromHex(v)
  if (/^[A-Za-z2-7]{32}$/.test(v)) return decodeBase32(v)
  throw new MagnetError('bad-info-hash', `info-hash '${v.slice(0, 60)}' is neither 40 hex nor 32 base32 characters`)
}

/** x.pe value: "1.2.3.4:6881", "[::1]:6881" or "host.name:6881". */
function parsePeer(v: string): PeerAddress | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(v) ?? /^([^:[\]]+):(\d{1,5})$/.exec(v)
  if (!m) return null
  const port = Number(m[2])
  if (port < 1 || port > 65535) return null
  const host = m[1]
  if (v.startsWith('[')) return parseIPv6(host) ? { ip: host.toLowerCase(), port } : null
  if (/^[\d.]+$/.test(host)) return parseIPv4(host) ? { ip: host, port } : null
  if (/^[A-Za-z0-9]([A-Za-z0-9-]{0,62}\.)*[A-Za-z0-9-]{1,63}$/.test(host)) return { ip: host, port }
  return null
}

/** One `so=` value ("0,2,4-6") as inclusive index ranges; unparseable parts are ignored. */
function selectOnlyRanges(v: string, out: Array<[number, number]>): void {
  for (const part of v.split(',')) {
    const m = /^(\d{1,7})(?:-(\d{1,7}))?$/.exec(part.trim())
    if (!m) continue
    const a = Number(m[1])
    const b = m[2] === undefined ? a : Number(m[2])
    if (a <= b) out.push([a, b])
  }
}

/**
 * Every `so=` of a link together (BEP 53 allows several, as libtorrent reads them): the ranges are
 * sorted and merged once, then the smallest MAX_SELECTED indices are listed. Cost follows the
 * link's length, however many and however wide the ranges are.
 */
function mergeSelectOnly(ranges: Array<[number, number]>): number[] {
  ranges.sort((x, y) => x[0] - y[0])
  const out: number[] = []
  let next = 0 // lowest index not yet listed
  for (const [a, b] of ranges) {
    for (let i = Math.max(a, next); i <= b && out.length < MAX_SELECTED; i++) out.push(i)
    next = Math.max(next, b + 1)
    if (out.length >= MAX_SELECTED) break
  }
  return out
}

/** Parses a BitTorrent magnet link (BEP 9). Throws MagnetError. */
export function parseMagnet(uri: string): MagnetLink {
  if (uri.length > MAX_URI_LENGTH) throw new MagnetError('too-large', `magnet link over ${MAX_URI_LENGTH} characters`)
  const trimmed = uri.trim()
  if (!/^magnet:\?/i.test(trimmed)) throw new MagnetError('not-magnet', 'not a magnet link (expected "magnet:?...")')
  let hash: Uint8Array | null = null
  let sawV2 = false
  let sawOtherXt = false
  const trackers = new Set<string>()
  const selectOnly: Array<[number, number]> = []
  let sawSelectOnly = false
  const peers = new Map<string, PeerAddress>()
  const webSeeds: string[] = []
  const link: Partial<MagnetLink> = {}
  for (const pair of trimmed.slice(8).split('&')) {
    const eq = pair.indexOf('=')
    if (eq <= 0) continue
    const key = pair
      .slice(0, eq)
      .toLowerCase()
      .replace(/\.\d+$/, '') // xt.1, tr.2, ...
    const value = decodeComponent(pair.slice(eq + 1))
    if (value === null) continue
    if (key === 'xt') {
      const m = /^urn:(btih|btmh):(.*)$/i.exec(value)
      if (!m) sawOtherXt = true
      else if (m[1].toLowerCase() === 'btmh') sawV2 = true
      else if (!hash) hash = hashFromBtih(m[2])
    } else if (key === 'dn') {
      if (link.name === undefined && value !== '') link.name = value
    } else if (key === 'tr') {
      if (value && trackers.size < MAX_TRACKERS) trackers.add(value)
    } else if (key === 'x.pe') {
      const p = parsePeer(value)
      if (p && peers.size < MAX_PEERS) peers.set(peerKey(p), p)
    } else if (key === 'ws') {
      if (value && webSeeds.length < MAX_TRACKERS) webSeeds.push(value)
    } else if (key === 'so') {
      sawSelectOnly = true
      selectOnlyRanges(value, selectOnly)
    }
  }
  if (!hash) {
    if (sawV2) throw new MagnetError('v2-only', 'BitTorrent v2-only magnet link (urn:btmh) is not supported')
    throw new MagnetError(
      'no-info-hash',
      sawOtherXt ? 'magnet link is not for BitTorrent (no urn:btih)' : 'magnet link has no info-hash (xt=urn:btih:...)',
    )
  }
  const out: MagnetLink = {
    infoHash: toHex(hash),
    infoHashBytes: hash,
    trackers: [...trackers],
    peers: [...peers.values()],
  }
  if (link.name !== undefined) out.name = link.name
  if (sawSelectOnly) out.selectedFiles = mergeSelectOnly(selectOnly)
  if (webSeeds.length) out.webSeeds = webSeeds
  return out
}

/** Builds a magnet link; the info-hash is written as 40 hex characters. */
export function toMagnet(m: {
  infoHash: string
  name?: string
  trackers?: readonly string[]
  peers?: readonly PeerAddress[]
  selectedFiles?: readonly number[]
}): string {
  if (!/^[0-9a-fA-F]{40}$/.test(m.infoHash))
    throw new MagnetError('bad-info-hash', 'info-hash must be 40 hex characters')
  let s = `magnet:?xt=urn:btih:${m.infoHash.toLowerCase()}`
  if (m.name) s += `&dn=${encodeURIComponent(m.name)}`
  for (const t of m.trackers ?? []) s += `&tr=${encodeURIComponent(t)}`
  for (const p of m.peers ?? []) s += `&x.pe=${encodeURIComponent(peerKey(p))}`
  if (m.selectedFiles?.length) s += `&so=${m.selectedFiles.join(',')}`
  return s
}
