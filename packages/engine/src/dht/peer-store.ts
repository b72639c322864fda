/**
 * Peers announced to us with announce_peer, per info-hash: bounded per info-hash and in total (a
 * flood of announces for made-up hashes must not grow memory), each entry expiring PEER_TTL_MS after
 * its last announce, and a random sample for get_peers replies.
 */
import type { Clock } from '../util/clock.ts'
import { peerKey } from '../util/peer-address.ts'
import type { PeerAddress } from '../util/peer-address.ts'
import { idToHex } from './node-id.ts'
import type { NodeId, Random } from './node-id.ts'

export const PEER_TTL_MS = 30 * 60_000
/**
 * 50 IPv4 values are 400 bytes of a reply, which with 8 nodes, a token and the rest stays well under
 * a 1500-byte datagram; IPv6 values are 21 bytes each, so fewer of them.
 */
export const MAX_VALUES_V4 = 50
export const MAX_VALUES_V6 = 32

export interface PeerStoreLimits {
  perInfoHash: number
  total: number
}

export const DEFAULT_PEER_STORE_LIMITS: PeerStoreLimits = { perInfoHash: 500, total: 20_000 }

interface Entry {
  peer: PeerAddress
  expires: number
}

export class PeerStore {
  // Per info-hash, entries in order of their last announce (a Map keeps insertion order), oldest first.
  private readonly byHash = new Map<string, Map<string, Entry>>()
  private count = 0

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly limits: PeerStoreLimits = DEFAULT_PEER_STORE_LIMITS,
  ) {}

  get size(): number {
    return this.count
  }

  get infoHashes(): number {
    return this.byHash.size
  }

  /** Records an announce. Returns false when the store is full (no expired entry to make room). */
  add(infoHash: NodeId, peer: PeerAddress): boolean {
    const hex = idToHex(infoHash)
    const key = peerKey(peer)
    const now = this.clock.now()
    let peers = this.byHash.get(hex)
    const existing = peers?.get(key)
    if (peers && existing) {
      // Re-announce: move to the back as the newest.
      peers.delete(key)
      peers.set(key, { peer: existing.peer, expires: now + PEER_TTL_MS })
      return true
    }
    if (peers) this.expire(hex, peers, now)
    if (this.count >= this.limits.total) this.prune()
    if (this.count >= this.limits.total) return false
    // Expiry may have removed this hash's (now empty) map.
    peers = this.byHash.get(hex)
    if (!peers) {
      peers = new Map()
      this.byHash.set(hex, peers)
    }
    if (peers.size >= this.limits.perInfoHash) {
      // Full for this hash: the oldest announce makes room.
      const oldest = peers.keys().next().value as string
      peers.delete(oldest)
      this.count--
    }
    peers.set(key, { peer: { ip: peer.ip, port: peer.port }, expires: now + PEER_TTL_MS })
    this.count++
    return true
  }

  /** Up to `max` live peers of `infoHash` in the given family, a uniformly random choice. */
  sample(
    infoHash: NodeId,
    family: 4 | 6,
    max = family === 4 ? MAX_VALUES_V4 : MAX_VALUES_V6,
    rnd: Random = Math.random,
  ): PeerAddress[] {
    const hex = idToHex(infoHash)
    const peers = this.byHash.get(hex)
    if (!peers) return []
    this.expire(hex, peers, this.clock.now())
    const live: PeerAddress[] = []
    for (const e of peers.values()) if (e.peer.ip.includes(':') === (family === 6)) live.push(e.peer)
    // Partial Fisher-Yates: the first `max` places get a random pick each.
    const n = Math.min(max, live.length)
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(rnd() * (live.length - i))
      ;[live[i], live[j]] = [live[j], live[i]]
    }
    return live.slice(0, n)
  }

  private expire(hex: string, peers: Map<string, Entry>, now: number): void {
    // Entries are in announce order, so expired ones are at the front.
    for (const [key, e] of peers) {
      if (e.expires > now) break
      peers.delete(key)
      this.count--
    }
    if (peers.size === 0) this.byHash.delete(hex)
  }

  /** Drops every expired entry (run now and then, and when the store is full). */
  prune(): void {
    const now = this.clock.now()
    for (const [hex, peers] of this.byHash) this.expire(hex, peers, now)
  }
}
