import { view } from '../util/bytes.ts'
import { decodeCompactPeers4, decodeCompactPeers6, type PeerAddress } from '../util/peer-address.ts'
import type { AnnounceEvent, AnnounceParams, ScrapeResult } from './announce-types.ts'

// BEP 15 packet layouts (all big-endian).
const PROTOCOL_ID = 0x41727101980n
export const ACTION_CONNECT = 0
export const ACTION_ANNOUNCE = 1
export const ACTION_SCRAPE = 2
export const ACTION_ERROR = 3
const EVENT_CODES: Record<AnnounceEvent, number> = { completed: 1, started: 2, stopped: 3 }
export const MAX_SCRAPE_HASHES = 74 // keeps a scrape inside one unfragmented datagram

export function encodeConnectRequest(tx: number): Uint8Array {
  const b = new Uint8Array(16)
  const v = view(b)
  v.setBigUint64(0, PROTOCOL_ID)
  v.setUint32(8, ACTION_CONNECT)
  v.setUint32(12, tx >>> 0)
  return b
}

function clampU64(n: number): bigint {
  return BigInt(Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(n))))
}

/**
 * BEP 41 URL data option: the path and query of the tracker URL (e.g. a passkey) in chunks of at
 * most 255 bytes, then an end-of-options byte. Empty for a bare '/announce' or no path.
 */
export function encodeUrlDataOption(pathAndQuery: string): Uint8Array {
  if (pathAndQuery === '' || pathAndQuery === '/' || pathAndQuery === '/announce') return new Uint8Array()
  const data = new TextEncoder().encode(pathAndQuery)
  const out: number[] = []
  for (let o = 0; o < data.length; o += 255) {
    const chunk = data.subarray(o, o + 255)
    out.push(2, chunk.length, ...chunk)
  }
  out.push(0)
  return new Uint8Array(out)
}

export function encodeAnnounceRequest(
  connectionId: Uint8Array,
  tx: number,
  p: AnnounceParams,
  urlData: Uint8Array = new Uint8Array(),
): Uint8Array {
  const b = new Uint8Array(98 + urlData.length)
  b.set(urlData, 98)
  const v = view(b)
  b.set(connectionId.subarray(0, 8), 0)
  v.setUint32(8, ACTION_ANNOUNCE)
  v.setUint32(12, tx >>> 0)
  b.set(p.infoHash.subarray(0, 20), 16)
  b.set(p.peerId.subarray(0, 20), 36)
  v.setBigUint64(56, clampU64(p.downloaded))
  v.setBigUint64(64, clampU64(p.left))
  v.setBigUint64(72, clampU64(p.uploaded))
  v.setUint32(80, p.event ? EVENT_CODES[p.event] : 0)
  v.setUint32(84, 0) // IP: let the tracker use the source address
  v.setUint32(88, (p.key ?? 0) >>> 0)
  v.setInt32(92, p.numwant ?? -1)
  v.setUint16(96, p.port)
  return b
}

export function encodeScrapeRequest(
  connectionId: Uint8Array,
  tx: number,
  infoHashes: readonly Uint8Array[],
): Uint8Array {
  const hashes = infoHashes.slice(0, MAX_SCRAPE_HASHES)
  const b = new Uint8Array(16 + 20 * hashes.length)
  const v = view(b)
  b.set(connectionId.subarray(0, 8), 0)
  v.setUint32(8, ACTION_SCRAPE)
  v.setUint32(12, tx >>> 0)
  for (let i = 0; i < hashes.length; i++) b.set(hashes[i]!.subarray(0, 20), 16 + 20 * i)
  return b
}

export type UdpTrackerResponse =
  | { action: 'connect'; tx: number; connectionId: Uint8Array }
  | { action: 'announce'; tx: number; interval: number; leechers: number; seeders: number; peers: PeerAddress[] }
  | { action: 'scrape'; tx: number; results: ScrapeResult[] }
  | { action: 'error'; tx: number; message: string }

/** Decodes a tracker's datagram; null when too short or of an unknown action. `ipv6` picks 18-byte peers. */
export function decodeUdpResponse(b: Uint8Array, ipv6: boolean): UdpTrackerResponse | null {
  if (b.length < 8) return null
  const v = view(b)
  const action = v.getUint32(0)
  const tx = v.getUint32(4)
  switch (action) {
    case ACTION_CONNECT:
      return b.length >= 16 ? { action: 'connect', tx, connectionId: b.slice(8, 16) } : null
    case ACTION_ANNOUNCE: {
      if (b.length < 20) return null
      const rest = b.subarray(20)
      return {
        action: 'announce',
        tx,
        interval: v.getUint32(8),
        leechers: v.getUint32(12),
        seeders: v.getUint32(16),
        peers: ipv6 ? decodeCompactPeers6(rest) : decodeCompactPeers4(rest),
      }
    }
    case ACTION_SCRAPE: {
      const results: ScrapeResult[] = []
      for (let o = 8; o + 12 <= b.length; o += 12)
        results.push({ complete: v.getUint32(o), downloaded: v.getUint32(o + 4), incomplete: v.getUint32(o + 8) })
      return { action: 'scrape', tx, results }
    }
    case ACTION_ERROR:
      return { action: 'error', tx, message: new TextDecoder().decode(b.subarray(8, 8 + 500)) }
    default:
      return null
  }
}
