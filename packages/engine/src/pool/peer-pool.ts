/**
 * Per-torrent peer list modelled on libtorrent's peer_list: every peer we learn of, once, within a
 * bounded list; ranked; connected best first; failures backed off and banned.
 * Eligible peers sit in an indexed heap in candidate order and peers waiting out a reconnect delay
 * in a second heap by due time, so connecting one peer costs O(log n) instead of a sort. Every
 * peer not holding a slot sits in a third heap, least useful first, so a full list evicts in O(log n).
 */
import { IndexedHeap } from './indexed-heap.ts'
import type { Transport } from './transport-choice.ts'
import { peerPriorityRaw } from './bep40.ts'
import { isUnusableAddress, isValidPort, newIpScratch, parseIpInto, peerKey } from './ip-address.ts'
import { candidateBefore, computeRank, evictBefore, PeerRecord } from './torrent-peer.ts'
import type { PeerSource, PeerState, TorrentPeer } from './torrent-peer.ts'

export interface PeerPoolConfig {
  /** Peers remembered; 0 = unlimited. */
  maxPeerlistSize: number
  /** connecting + connected, outgoing and incoming. */
  maxActiveConnections: number
  /** Failures (failed attempts + error disconnects) before a ban. */
  maxFailcount: number
  /** Reconnect delay unit: a peer waits minReconnectTimeSec × (failcount + 1) after its last attempt. */
  minReconnectTimeSec: number
  /** Drops for conduct (see dropForConduct) before a ban. */
  maxConductDrops: number
}

export const DEFAULT_PEER_POOL_CONFIG: PeerPoolConfig = {
  maxPeerlistSize: 1000,
  maxActiveConnections: 25,
  maxFailcount: 3,
  minReconnectTimeSec: 60,
  maxConductDrops: 3,
}

/** Shared-piece hash failures that ban a peer (a peer alone on a bad piece is banned at once). */
export const SHARED_HASHFAIL_BAN = 3
const HASH_BANNED_MEMORY = 4096
const DROP_LOG_MEMORY = 256

/** A recently useful peer as saved with the torrent's resume data. */
export interface SavedPeer {
  ip: string
  port: number
  sources: string[]
  downloaded: number
  uploaded: number
  /** ms when we were last connected to it. */
  lastSeen: number
  seed?: boolean
}

/** What a connected peer did that wasted our time (counted on its record, lowering its rank). */
export type PeerCharge = 'reject' | 'snub' | 'violation'

export interface PeerPoolStats {
  total: number
  candidates: number
  connecting: number
  connected: number
  banned: number
  /** Waiting out a reconnect delay. */
  waiting: number
}

export interface PeerPoolOptions {
  config?: Partial<PeerPoolConfig>
  /** Start an outgoing attempt; the outcome comes back through on*(). */
  connect: (peer: TorrentPeer) => void
  /** Close a connection the pool no longer wants (a ban of a connected or connecting peer). */
  disconnect?: (peer: TorrentPeer, reason: string) => void
  /** A connection slot was freed (failure, disconnect, ban): ask the connection queue for more. */
  onSlotFreed?: () => void
  /** A peer was banned (for the log). */
  onBan?: (peer: TorrentPeer, reason: string) => void
  /** Clock in ms. */
  now?: () => number
  /** Our own address as others see it: never connected to, and the other end of BEP 40. */
  selfAddress?: { ip: string; port: number }
}

const isEligible = (s: PeerState) => s === 'discovered' || s === 'candidate'
const isActive = (s: PeerState) => s === 'connecting' || s === 'connected'

export class PeerPool {
  private config: PeerPoolConfig
  private readonly connectFn: (peer: TorrentPeer) => void
  private readonly disconnectFn?: (peer: TorrentPeer, reason: string) => void
  private readonly onSlotFreed?: () => void
  private readonly onBan?: (peer: TorrentPeer, reason: string) => void
  private readonly now: () => number
  private readonly peers = new Map<string, PeerRecord>()
  private readonly counts: Record<PeerState, number> = {
    discovered: 0,
    candidate: 0,
    connecting: 0,
    connected: 0,
    disconnected: 0,
    banned: 0,
  }
  private readonly ready = new IndexedHeap<PeerRecord>(
    candidateBefore,
    (p) => p.readyIdx,
    (p, i) => (p.readyIdx = i),
  )
  private readonly waiting = new IndexedHeap<PeerRecord>(
    (a, b) => a.nextAttemptAt < b.nextAttemptAt,
    (p) => p.waitIdx,
    (p, i) => (p.waitIdx = i),
  )
  /** Peers that may be evicted when the list is full (not connecting or connected), worst first. */
  private readonly evictable = new IndexedHeap<PeerRecord>(
    evictBefore,
    (p) => p.evictIdx,
    (p, i) => (p.evictIdx = i),
  )
  /** Keys banned for bad data; remembered even after the record is evicted. */
  private readonly hashBanned = new Set<string>()
  /** Peers dropped for their conduct, oldest first; kept after their records are gone. */
  private readonly dropLog: Array<{ peer: string; reason: string }> = []
  private readonly selfKeys = new Set<string>()
  private self: { bytes: Uint8Array; len: number; port: number; key: string } | null = null
  private seeding = false
  private seq = 0
  private lastAddWasNew = false
  private readonly scratch = newIpScratch()

  constructor(opts: PeerPoolOptions) {
    this.config = { ...DEFAULT_PEER_POOL_CONFIG, ...opts.config }
    this.connectFn = opts.connect
    this.disconnectFn = opts.disconnect
    this.onSlotFreed = opts.onSlotFreed
    this.onBan = opts.onBan
    this.now = opts.now ?? (() => Date.now())
    if (opts.selfAddress) this.setSelfAddress(opts.selfAddress.ip, opts.selfAddress.port)
  }

  getConfig(): PeerPoolConfig {
    return { ...this.config }
  }

  /** Changes limits at run time; a smaller list is not trimmed, it just stops growing. */
  setConfig(patch: Partial<PeerPoolConfig>): void {
    this.config = { ...this.config, ...patch }
  }

  /** Our external address (learned later from a tracker or NAT). Recomputes BEP 40 priorities. */
  setSelfAddress(ip: string, port: number): void {
    const key = this.keyOf(ip, port)
    if (!key) return
    const len = this.scratch.family === 4 ? 4 : 16
    this.self = { bytes: this.scratch.bytes.slice(0, len), len, port, key }
    const existing = this.peers.get(key)
    if (existing && !isActive(existing.state)) this.remove(existing)
    for (const p of this.peers.values()) {
      if (parseIpInto(p.ip, this.scratch)) p.priority = this.priorityOf(p.port)
    }
    this.reorderReady()
  }

  /** A connection turned out to be ourselves (our peer id came back): forget it and never retry. */
  markSelf(ip: string, port: number): void {
    const key = this.keyOf(ip, port)
    if (!key) return
    this.selfKeys.add(key)
    const p = this.peers.get(key)
    if (!p) return
    const wasActive = isActive(p.state)
    if (wasActive) this.disconnectFn?.(p, 'connected to ourselves')
    this.remove(p)
    if (wasActive) this.onSlotFreed?.()
  }

  /** While seeding, seeds rank low (they want nothing from us); while downloading they rank high. */
  setSeeding(seeding: boolean): void {
    if (seeding === this.seeding) return
    this.seeding = seeding
    for (const p of this.peers.values()) p.rank = computeRank(p, seeding)
    // Seeds we left only because we were a seed too (both-seeds) are wanted again now: no reconnect wait.
    if (!seeding) {
      const now = this.stamp()
      for (const p of this.peers.values())
        if (p.seed && p.state === 'disconnected' && p.failcount === 0 && p.nextAttemptAt > now) this.wait(p, now)
    }
    this.reorderReady()
    this.evictable.clear()
    for (const p of this.peers.values()) this.touchEvictable(p)
  }

  addPeer(ip: string, port: number, source: PeerSource): TorrentPeer | null {
    return this.add(ip, port, source)
  }

  addPeers(peers: Array<{ ip: string; port: number }>, source: PeerSource): number {
    let added = 0
    for (const x of peers) if (this.add(x.ip, x.port, source) && this.lastAddWasNew) added++
    return added
  }

  /**
   * A peer connected to us. Counts against the same limits as outgoing connections.
   * Returns the peer, now 'connected', or null when refused (banned, ourselves, already
   * connected, no free slot, or the list is full of connecting and connected peers).
   */
  addIncoming(ip: string, port: number): TorrentPeer | null {
    const key = this.keyOf(ip, port)
    if (!key || this.isRefusedKey(key)) return null
    const existing = this.peers.get(key)
    if (existing && (existing.state === 'banned' || isActive(existing.state))) return null
    if (this.freeSlots() <= 0) return null
    const p = existing ?? this.add(ip, port, 'incoming')
    if (!p) return null
    if (!existing) p.connectable = false // an incoming port is usually ephemeral
    p.addSource('incoming')
    p.incoming = true
    p.lastConnected = this.stamp()
    p.failcount = 0
    p.rank = computeRank(p, this.seeding)
    this.setState(p, 'connected')
    return p
  }

  findPeer(ip: string, port: number): TorrentPeer | undefined {
    return this.lookup(ip, port)
  }

  /** Forgets a peer. Refused (false) while it is connecting or connected. */
  erasePeer(ip: string, port: number): boolean {
    const p = this.lookup(ip, port)
    if (!p || isActive(p.state)) return false
    this.remove(p)
    return true
  }

  /** Every peer the pool knows (for the UI's swarm view). */
  allPeers(): TorrentPeer[] {
    return [...this.peers.values()]
  }

  /** Peers that may be tried now, best first. No side effects on peers' records. */
  candidates(max = Infinity): TorrentPeer[] {
    this.promoteDue()
    const out: TorrentPeer[] = []
    if (max <= 0) return out
    if (max >= this.ready.size / 8) {
      // Most of the list: one native sort beats walking the heap.
      const all = this.ready.toArray().sort((a, b) => (candidateBefore(a, b) ? -1 : candidateBefore(b, a) ? 1 : 0))
      return all.length > max ? all.slice(0, max) : all
    }
    this.ready.walk((p) => {
      out.push(p)
      return out.length < max
    })
    return out
  }

  /** Connection slots left: maxActiveConnections minus connecting and connected. */
  freeSlots(): number {
    return Math.max(0, this.config.maxActiveConnections - this.counts.connecting - this.counts.connected)
  }

  /** Best candidate → 'connecting', and calls `connect`. Null when no slot or no candidate. */
  connectOnePeer(): TorrentPeer | null {
    if (this.freeSlots() <= 0) return null
    this.promoteDue()
    const p = this.ready.peek()
    if (!p) return null
    p.incoming = false
    p.lastConnected = this.stamp()
    this.setState(p, 'connecting')
    try {
      this.connectFn(p)
    } catch (err) {
      // the attempt failed as it started: count it like any failed connect, never leave it 'connecting'
      this.onConnectFailed(p.ip, p.port, `connect threw: ${err instanceof Error ? err.message : String(err)}`)
    }
    return p
  }

  /** Fills free slots directly (without the engine's queue); returns attempts started. */
  connectToPeers(): number {
    let started = 0
    const limit = this.freeSlots()
    while (started < limit && this.connectOnePeer()) started++
    return started
  }

  onConnected(ip: string, port: number): void {
    const p = this.lookup(ip, port)
    if (p?.state !== 'connecting') return
    p.failcount = 0
    p.lastError = undefined
    p.rank = computeRank(p, this.seeding)
    this.setState(p, 'connected')
  }

  onConnectFailed(ip: string, port: number, reason?: string): void {
    const p = this.lookup(ip, port)
    if (p?.state !== 'connecting') return
    p.lastError = reason ?? 'connect failed'
    this.fail(p)
    this.onSlotFreed?.()
  }

  /**
   * An outgoing MSE attempt failed where a plain one is allowed: like libtorrent, remember that the
   * peer wants plain and make it a candidate again at once, without counting a failure. A peer that
   * then fails plain as well is charged as usual, so this cannot loop.
   */
  onEncryptionRefused(ip: string, port: number, reason: string): void {
    const p = this.lookup(ip, port)
    if (p?.state !== 'connecting' || p.mseRefused) return
    p.mseRefused = true
    p.lastError = reason
    this.setState(p, 'candidate')
    this.onSlotFreed?.()
  }

  /**
   * An outgoing attempt over `transport` failed (connect or handshake). The first time, like
   * libtorrent, the peer becomes a candidate again at once, without a failure, to be dialled over the
   * other transport; returns false when the other one was tried already (the caller charges the failure).
   */
  onTransportFailed(ip: string, port: number, transport: Transport, reason: string): boolean {
    const p = this.lookup(ip, port)
    if (p?.state !== 'connecting' || p.failedTransport !== undefined) return false
    p.failedTransport = transport
    p.failedTransportReason = reason
    // what the other transport reaches may be another program (a TCP port closed by one that speaks
    // only uTP): its encryption is learned afresh
    p.mseRefused = false
    p.lastError = reason
    this.setState(p, 'candidate')
    this.onSlotFreed?.()
    return true
  }

  /** The peer takes uTP (the PEX flag, or it connected to us over uTP). */
  markUtp(ip: string, port: number): void {
    const p = this.lookup(ip, port)
    if (p) p.utp = true
  }

  /**
   * `retryNow`: we closed it only because the torrent stopped (a Stop, a recheck): the peer did
   * nothing to wait for, so a Start may dial it again at once instead of after minReconnectTimeSec.
   */
  onDisconnected(ip: string, port: number, opts: { error: boolean; reason?: string; retryNow?: boolean }): void {
    const p = this.lookup(ip, port)
    if (!p || !isActive(p.state)) return
    p.lastConnected = this.stamp()
    if (opts.reason) p.lastError = opts.reason
    if (!p.connectable) {
      this.remove(p) // known only by an ephemeral incoming port: nothing to reconnect to
    } else if (opts.error) {
      if (!opts.reason) p.lastError = 'disconnected with an error'
      this.fail(p)
    } else {
      this.wait(p, opts.retryNow ? p.lastConnected : p.lastConnected + this.config.minReconnectTimeSec * 1000)
    }
    this.onSlotFreed?.()
  }

  /**
   * What we measured of a peer: the handshake round trip of a connection, and how many pieces it
   * has that we lack. Ties in the candidate order go to the quicker, then the more useful peer.
   */
  recordMeasures(ip: string, port: number, m: { rttMs?: number; diversity?: number }): void {
    const p = this.lookup(ip, port)
    if (!p) return
    if (m.rttMs !== undefined && m.rttMs >= 0) p.rttMs = Math.max(1, Math.round(m.rttMs))
    if (m.diversity !== undefined && m.diversity >= 0) p.diversity = m.diversity
    this.ready.update(p)
  }

  /**
   * Peers worth dialling first after a restart: those that moved data, or connected, most useful
   * first (never banned ones, never ourselves).
   */
  usefulPeers(max: number): SavedPeer[] {
    const out: PeerRecord[] = []
    for (const p of this.peers.values()) {
      if (p.state === 'banned' || !p.connectable) continue
      if (p.downloaded + p.uploaded > 0 || p.state === 'connected' || (p.lastConnected > 0 && p.failcount === 0))
        out.push(p)
    }
    out.sort((a, b) => b.downloaded + b.uploaded - (a.downloaded + a.uploaded) || b.lastConnected - a.lastConnected)
    const now = this.now()
    return out.slice(0, max).map((p) => ({
      ip: p.ip,
      port: p.port,
      sources: [...p.sources],
      downloaded: p.downloaded,
      uploaded: p.uploaded,
      lastSeen: p.state === 'connected' ? now : p.lastConnected,
      ...(p.seed ? { seed: true } : {}),
    }))
  }

  /** Saved peers back into the pool (source `resume`), with their transfer totals for ranking. */
  restorePeers(saved: readonly SavedPeer[]): number {
    let added = 0
    for (const s of saved) {
      const p = this.add(s.ip, s.port, 'resume')
      if (!p || !this.lastAddWasNew) continue
      added++
      const rec = p as PeerRecord
      rec.downloaded = s.downloaded
      rec.uploaded = s.uploaded
      this.rerank(rec)
    }
    return added
  }

  /** Adds transferred payload bytes (deltas) and re-ranks. */
  updatePeerStats(ip: string, port: number, bytesDownloaded: number, bytesUploaded: number): void {
    const p = this.lookup(ip, port)
    if (!p) return
    p.downloaded += bytesDownloaded
    p.uploaded += bytesUploaded
    this.rerank(p)
  }

  /**
   * A piece this peer contributed to failed verification. `shared`: other peers sent blocks of it
   * too. Alone → banned at once; shared → banned at the third such failure.
   */
  markHashFailure(ip: string, port: number, opts: { shared?: boolean } = {}): void {
    const p = this.lookup(ip, port)
    if (!p) return
    p.hashfails++
    if (!opts.shared) this.ban(p, 'sent a piece that failed verification')
    else if (p.hashfails >= SHARED_HASHFAIL_BAN) this.ban(p, `shared in ${p.hashfails} pieces that failed verification`)
    else this.rerank(p)
  }

  /** Convenience for the piece picker: every peer that sent blocks of a failed piece. */
  markPieceHashFailure(contributors: Array<{ ip: string; port: number }>): void {
    const shared = contributors.length > 1
    for (const c of contributors) this.markHashFailure(c.ip, c.port, { shared })
  }

  /** The peer wasted our time once more (see PeerCharge). */
  chargePeer(ip: string, port: number, charge: PeerCharge): void {
    const p = this.lookup(ip, port)
    if (!p) return
    if (charge === 'reject') p.rejects++
    else if (charge === 'snub') p.snubs++
    else p.violations++
    this.rerank(p)
  }

  /**
   * We are closing this connected peer for its conduct (wasted requests, stray messages, a protocol
   * violation): an error disconnect whose reconnect delay also doubles with each such drop, and
   * since a good connection resets failcount but not drops, the `maxConductDrops`th bans it.
   */
  dropForConduct(ip: string, port: number, reason: string): void {
    const p = this.lookup(ip, port)
    if (!p || !isActive(p.state)) return
    p.drops++
    p.dropReason = reason
    this.dropLog.push({ peer: p.key, reason })
    if (this.dropLog.length > DROP_LOG_MEMORY) this.dropLog.shift()
    if (p.drops >= this.config.maxConductDrops) return this.ban(p, `dropped ${p.drops} times (last: ${reason})`)
    p.lastConnected = this.stamp()
    p.lastError = reason
    if (!p.connectable)
      this.remove(p) // known only by an ephemeral incoming port: nothing to reconnect to
    else this.fail(p, 2 ** (p.drops - 1))
    this.onSlotFreed?.()
  }

  /** Every drop for conduct, oldest first (at most the last 256). */
  droppedPeers(): Array<{ peer: string; reason: string }> {
    return this.dropLog.map((d) => ({ ...d }))
  }

  markPeerSeed(ip: string, port: number): void {
    const p = this.lookup(ip, port)
    if (!p || p.seed) return
    p.seed = true
    this.rerank(p)
  }

  getStats(): PeerPoolStats {
    this.promoteDue()
    const c = this.counts
    return {
      total: this.peers.size,
      candidates: c.discovered + c.candidate,
      connecting: c.connecting,
      connected: c.connected,
      banned: c.banned,
      waiting: c.disconnected,
    }
  }

  // ---- internals ----

  /** A time for lastConnected, where 0 means "never": a clock starting at 0 still records a try. */
  private stamp(): number {
    return Math.max(1, this.now())
  }

  /** Parses into this.scratch and returns the key, or null when invalid. */
  private keyOf(ip: string, port: number): string | null {
    if (!isValidPort(port) || !parseIpInto(ip, this.scratch)) return null
    return peerKey(this.scratch, port)
  }

  private lookup(ip: string, port: number): PeerRecord | undefined {
    const key = this.keyOf(ip, port)
    return key ? this.peers.get(key) : undefined
  }

  /** BEP 40 priority of the address in this.scratch against ours. */
  private priorityOf(port: number): number {
    const s = this.self
    if (!s) return 0
    return peerPriorityRaw(this.scratch.bytes, this.scratch.family === 4 ? 4 : 16, port, s.bytes, s.len, s.port)
  }

  private isRefusedKey(key: string): boolean {
    return this.hashBanned.has(key) || this.selfKeys.has(key) || this.self?.key === key
  }

  /** Adds or finds a peer; `lastAddWasNew` tells which (no result object per call: it runs 100k times). */
  private add(ip: string, port: number, source: PeerSource): PeerRecord | null {
    this.lastAddWasNew = false
    const key = this.keyOf(ip, port)
    if (!key || isUnusableAddress(this.scratch) || this.isRefusedKey(key)) return null
    const existing = this.peers.get(key)
    if (existing) {
      existing.addSource(source)
      if (source !== 'incoming' && !existing.connectable) {
        existing.connectable = true
        this.touchEvictable(existing)
      }
      return existing
    }
    const max = this.config.maxPeerlistSize
    const { family, text } = this.scratch
    const priority = this.priorityOf(port) // before eviction: nothing else may touch the scratch
    if (max > 0 && this.peers.size >= max && !this.evictOne()) return null
    const p = new PeerRecord(key, text, port, family, this.now(), this.seq++)
    p.addSource(source)
    p.priority = priority
    p.rank = computeRank(p, this.seeding)
    this.peers.set(key, p)
    this.counts.discovered++
    this.ready.push(p)
    this.evictable.push(p)
    this.lastAddWasNew = true
    return p
  }

  /** Evicts the least useful peer not connecting or connected (see evictBefore). */
  private evictOne(): boolean {
    const worst = this.evictable.peek()
    if (!worst) return false
    this.remove(worst)
    return true
  }

  private touchEvictable(p: PeerRecord): void {
    if (isActive(p.state)) this.evictable.remove(p)
    else this.evictable.push(p) // re-positions it when already there
  }

  /** The one place a state changes: keeps counts and heap membership right. */
  private setState(p: PeerRecord, s: PeerState): void {
    this.counts[p.state]--
    this.counts[s]++
    p.state = s
    if (isEligible(s)) this.ready.push(p)
    else this.ready.remove(p)
    if (s === 'disconnected') this.waiting.push(p)
    else this.waiting.remove(p)
    this.touchEvictable(p)
  }

  private remove(p: PeerRecord): void {
    this.counts[p.state]--
    this.ready.remove(p)
    this.waiting.remove(p)
    this.evictable.remove(p)
    this.peers.delete(p.key)
  }

  /** One more failure: banned at maxFailcount, else waits (failcount + 1) × `slower` delay units. */
  private fail(p: PeerRecord, slower = 1): void {
    p.failcount++
    p.rank = computeRank(p, this.seeding)
    if (p.failcount >= this.config.maxFailcount) {
      this.ban(p, `failed ${p.failcount} times${p.lastError ? ` (last: ${p.lastError})` : ''}`)
      return
    }
    this.wait(p, p.lastConnected + this.config.minReconnectTimeSec * 1000 * (p.failcount + 1) * slower)
  }

  private wait(p: PeerRecord, until: number): void {
    p.nextAttemptAt = until
    if (p.state === 'disconnected') this.waiting.update(p)
    else this.setState(p, 'disconnected')
  }

  private ban(p: PeerRecord, reason: string): void {
    if (p.state === 'banned') return
    const wasActive = isActive(p.state)
    p.banReason = reason
    p.rank = computeRank(p, this.seeding)
    this.setState(p, 'banned')
    if (p.hashfails > 0) this.rememberHashBan(p.key)
    this.onBan?.(p, reason)
    if (wasActive) {
      this.disconnectFn?.(p, reason)
      this.onSlotFreed?.()
    }
  }

  private rememberHashBan(key: string): void {
    this.hashBanned.add(key)
    if (this.hashBanned.size > HASH_BANNED_MEMORY) {
      const oldest = this.hashBanned.values().next().value as string
      this.hashBanned.delete(oldest)
    }
  }

  private rerank(p: PeerRecord): void {
    const rank = computeRank(p, this.seeding)
    if (rank === p.rank) return
    p.rank = rank
    this.ready.update(p)
    this.evictable.update(p)
  }

  private reorderReady(): void {
    this.ready.clear()
    for (const p of this.peers.values()) if (isEligible(p.state)) this.ready.push(p)
  }

  /** Moves peers whose reconnect delay has passed into the candidate heap. */
  private promoteDue(): void {
    const now = this.now()
    for (let p = this.waiting.peek(); p && p.nextAttemptAt <= now; p = this.waiting.peek()) {
      this.setState(p, 'candidate')
    }
  }
}
