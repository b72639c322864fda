import type { NetPort } from '../platform/ports.ts'
import { BencodeError, decodeBencode, getBytes, getField, getInt, isDict, type BValue } from '../util/bencode.ts'
import { utf8Decode } from '../util/bytes.ts'
import { percentEncodeBytes } from '../util/percent-encode.ts'
import {
  decodeCompactPeers4,
  decodeCompactPeers6,
  parseIPv4,
  parseIPv6,
  type PeerAddress,
} from '../util/peer-address.ts'
import type { AnnounceParams, AnnounceResult } from './announce-types.ts'
import { httpGet, type HttpGetOptions } from './http-client.ts'
import { TrackerError } from './tracker-error.ts'

const MAX_PEERS = 2000

/** The announce URL with our query appended (keeps any query the tracker URL already has, e.g. a passkey). */
export function buildAnnounceUrl(announceUrl: string, p: AnnounceParams): string {
  const q = [
    `info_hash=${percentEncodeBytes(p.infoHash)}`,
    `peer_id=${percentEncodeBytes(p.peerId)}`,
    `port=${p.port}`,
    `uploaded=${Math.max(0, Math.floor(p.uploaded))}`,
    `downloaded=${Math.max(0, Math.floor(p.downloaded))}`,
    `left=${Math.max(0, Math.floor(p.left))}`,
    'compact=1',
    'no_peer_id=1',
  ]
  if (p.numwant !== undefined) q.push(`numwant=${p.numwant}`)
  if (p.event) q.push(`event=${p.event}`)
  if (p.key !== undefined) q.push(`key=${(p.key >>> 0).toString(16).padStart(8, '0')}`)
  if (p.trackerId) q.push(`trackerid=${encodeURIComponent(p.trackerId)}`)
  if (p.ipv6) q.push(`ipv6=${encodeURIComponent(p.ipv6)}`)
  const hash = announceUrl.indexOf('#')
  const base = hash >= 0 ? announceUrl.slice(0, hash) : announceUrl
  return base + (base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?') + q.join('&')
}

function dictPeers(list: BValue[]): PeerAddress[] {
  const out: PeerAddress[] = []
  for (const item of list) {
    if (!isDict(item)) continue
    const ip = getBytes(item, 'ip')
    const port = getInt(item, 'port')
    if (!ip || port === undefined || port < 1 || port > 65535) continue
    const text = utf8Decode(ip)
    if (parseIPv4(text) || parseIPv6(text) || /^[A-Za-z0-9.-]{1,253}$/.test(text))
      out.push({ ip: text.toLowerCase(), port })
    if (out.length >= MAX_PEERS) break
  }
  return out
}

/** Parses a bencoded announce response. A 'failure reason' throws TrackerError('failure'). */
export function parseAnnounceResponse(body: Uint8Array): AnnounceResult {
  let root: BValue
  try {
    root = decodeBencode(body)
  } catch (e) {
    if (e instanceof BencodeError)
      throw new TrackerError('bad-response', `tracker response is not bencoded: ${e.message}`)
    throw e
  }
  if (!isDict(root)) throw new TrackerError('bad-response', 'tracker response is not a dictionary')
  const failure = getBytes(root, 'failure reason')
  if (failure) throw new TrackerError('failure', utf8Decode(failure).slice(0, 500))
  const interval = getInt(root, 'interval')
  if (interval === undefined) throw new TrackerError('bad-response', "tracker response has no 'interval'")
  const peers: PeerAddress[] = []
  const p4 = getField(root, 'peers')
  if (p4 instanceof Uint8Array) peers.push(...decodeCompactPeers4(p4))
  else if (Array.isArray(p4)) peers.push(...dictPeers(p4))
  const p6 = getBytes(root, 'peers6')
  if (p6) peers.push(...decodeCompactPeers6(p6))
  const res: AnnounceResult = { interval: Math.max(0, interval), peers: peers.slice(0, MAX_PEERS) }
  const minInterval = getInt(root, 'min interval')
  if (minInterval !== undefined && minInterval >= 0) res.minInterval = minInterval
  const trackerId = getBytes(root, 'tracker id')
  if (trackerId) res.trackerId = utf8Decode(trackerId)
  const complete = getInt(root, 'complete')
  if (complete !== undefined && complete >= 0) res.complete = complete
  const incomplete = getInt(root, 'incomplete')
  if (incomplete !== undefined && incomplete >= 0) res.incomplete = incomplete
  const warning = getBytes(root, 'warning message')
  if (warning) res.warning = utf8Decode(warning).slice(0, 500)
  return res
}

/** Announces to an http(s) tracker through NetPort TCP. Throws TrackerError. */
export async function httpAnnounce(
  net: NetPort,
  announceUrl: string,
  params: AnnounceParams,
  opts: HttpGetOptions = {},
): Promise<AnnounceResult> {
  const res = await httpGet(net, buildAnnounceUrl(announceUrl, params), opts)
  if (res.status !== 200) {
    // Some trackers send a bencoded failure with a 4xx/5xx status: prefer its message.
    try {
      parseAnnounceResponse(res.body)
    } catch (e) {
      if (e instanceof TrackerError && e.code === 'failure') throw e
    }
    throw new TrackerError('bad-response', `tracker answered HTTP ${res.status}`)
  }
  return parseAnnounceResponse(res.body)
}
