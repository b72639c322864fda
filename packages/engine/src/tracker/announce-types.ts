import type { PeerAddress } from '../util/peer-address.ts'

export type AnnounceEvent = 'started' | 'completed' | 'stopped'

export interface AnnounceParams {
  infoHash: Uint8Array // 20 bytes
  peerId: Uint8Array // 20 bytes
  port: number
  uploaded: number
  downloaded: number
  left: number
  event?: AnnounceEvent
  numwant?: number
  /** Random 32-bit value identifying us across IP changes. */
  key?: number
  trackerId?: string
  /** Our IPv6 address, told to HTTP trackers as `ipv6=` (BEP 7) so IPv4 announces reach IPv6 peers too. */
  ipv6?: string
}

export interface AnnounceResult {
  /** Seconds until the next regular announce. */
  interval: number
  minInterval?: number
  trackerId?: string
  complete?: number // seeders
  incomplete?: number // leechers
  peers: PeerAddress[]
  warning?: string
}

export interface ScrapeResult {
  complete: number
  downloaded: number
  incomplete: number
}
