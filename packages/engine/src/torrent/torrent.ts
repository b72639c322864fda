import type { FilePriority, TorrentDetail, TorrentStatus, TorrentSummary } from '../api/types.ts'
import type { InfoDictionary } from '../metainfo/parse-info.ts'
import { PEX_REACHABLE, PEX_SEED, type PexPeer } from '../extension/ut-pex.ts'
import { PeerPool } from '../pool/peer-pool.ts'
import type { PeerSource, TorrentPeer } from '../pool/torrent-peer.ts'
import type { TcpSocket } from '../platform/ports.ts'
import { IoError } from '../platform/ports.ts'
import type { TimerHandle } from '../util/clock.ts'
import { fromHex } from '../util/hex.ts'
import { buildDisplayPeers, type DisplayPeer } from './display-peers.ts'
import { Downloader } from './downloader.ts'
import { MetadataFetch } from './metadata-fetch.ts'
import { describeConductDrop, type ConductDrop } from './peer-conduct.ts'
import type { Handshake } from '../wire/handshake.ts'
import type { PeerConnection } from '../wire/peer-connection.ts'
import { PeerSession } from './peer-session.ts'
import { RateMeter } from '../wire/rate-meter.ts'
import type { TorrentContext } from './torrent-context.ts'
import { torrentDetail, torrentSummary } from './torrent-rows.ts'
import { TorrentTrackers } from './torrent-trackers.ts'

export interface TorrentInit {
  infoHash: string
  /** Known metadata (.torrent), or null for a magnet until it is fetched. */
  info: InfoDictionary | null
  announceTiers: string[][]
  /** Peers to try first (magnet x.pe, manual). */
  initialPeers?: Array<{ ip: string; port: number }>
  name?: string
  savePath: string
  addedAt: number
  filePriorities?: FilePriority[]
  /** Magnet: file indices to download once the metadata is known (all when absent). */
  selectedFiles?: number[]
  /** Verify existing data instead of trusting resume state. */
  recheck?: boolean
}

const MAINTENANCE_MS = 1000
/** BEP 11: a PEX message to a peer at most once a minute. */
const PEX_ROUND_TICKS = 60

/**
 * One torrent: owns its peer pool (the only peer list), trackers, downloader (picker + storage)
 * and the live peer sessions. Scheduling runs on a 1 s maintenance timer; the byte path is
 * event-driven in PeerSession/Downloader.
 */
export class Torrent {
  readonly infoHash: string
  readonly infoHashBytes: Uint8Array
  readonly addedAt: number
  readonly savePath: string
  info: InfoDictionary | null
  name: string
  status: TorrentStatus = 'paused'
  error?: string
  /** Some peer completed a handshake with us at some point. */
  everConnected = false
  hashFailures = 0

  readonly pool: PeerPool
  readonly trackers: TorrentTrackers
  private readonly completionWaiters: Array<() => void> = []
  downloader: Downloader | null = null
  private metadata: MetadataFetch | null = null
  /** Handshaken connections by peer key. */
  readonly sessions = new Map<string, PeerSession>()
  /** Outgoing attempts from connect issued until handshake done. */
  private readonly connecting = new Map<string, { peer: TorrentPeer; socket: TcpSocket | null }>()
  readonly down: RateMeter
  readonly up: RateMeter
  /** All payload bytes received, including wasted ones. */
  downloadedTotal = 0
  uploadedTotal = 0
  private timer: TimerHandle | null = null
  private running = false
  private ticks = 0
  private initPriorities?: FilePriority[]
  private readonly selectedFiles?: number[]
  private readonly recheckOnStart: boolean
  private recheckNext = false
  private externalIp = ''
  private externalPort = 0

  constructor(
    readonly ctx: TorrentContext,
    init: TorrentInit,
  ) {
    this.infoHash = init.infoHash
    this.infoHashBytes = fromHex(init.infoHash)
    this.info = init.info
    this.name = init.info?.name ?? init.name ?? init.infoHash
    this.savePath = init.savePath
    this.addedAt = init.addedAt
    this.initPriorities = init.filePriorities
    this.selectedFiles = init.selectedFiles
    this.recheckOnStart = !!init.recheck
    const now = () => ctx.clock.now()
    this.down = new RateMeter(now, 5)
    this.up = new RateMeter(now, 5)
    this.pool = new PeerPool({
      config: { maxActiveConnections: ctx.settings().maxPeersPerTorrent },
      connect: (peer) => this.dial(peer),
      disconnect: (peer, reason) => this.dropPeer(peer.key, reason),
      onSlotFreed: () => this.requestSlots(),
      now,
    })
    if (init.initialPeers) this.pool.addPeers(init.initialPeers, 'manual')
    this.trackers = new TorrentTrackers(this, init.announceTiers)
  }

  isActive(): boolean {
    return this.running && this.status !== 'error'
  }

  /** Every selected file complete and verified. */
  isComplete(): boolean {
    return !!this.downloader && this.downloader.isComplete() && this.status !== 'checking'
  }

  /** Calls `fn` once, the moment a download completes (not for a torrent complete when added). */
  onNextCompletion(fn: () => void): void {
    this.completionWaiters.push(fn)
  }

  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    this.error = undefined
    this.timer = this.ctx.clock.setTimeout(() => this.tick(), MAINTENANCE_MS)
    if (this.info) await this.openStorage(this.recheckOnStart || this.recheckNext)
    else this.beginMetadata()
    if (!this.running) return
    this.trackers.start()
    this.requestSlots()
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    if (this.timer !== null) this.ctx.clock.clearTimeout(this.timer)
    this.timer = null
    this.ctx.cancelConnectionRequests(this.infoHash)
    this.closeAllPeers('stopped')
    this.metadata = null
    await Promise.all([this.trackers.stop(), this.downloader?.close()])
    if (this.status !== 'error') this.status = 'paused'
  }

  /** Verifies the data on disk again (from scratch, ignoring resume state). */
  async recheck(): Promise<void> {
    if (!this.info) return
    const wasRunning = this.running
    await this.stop()
    this.recheckNext = true
    if (wasRunning) await this.start()
    else await this.openStorage(true)
  }

  async setFilePriority(index: number, priority: FilePriority): Promise<void> {
    if (!this.downloader) return
    await this.downloader.setFilePriority(index, priority)
    this.ctx.onTorrentChanged(this.infoHash)
    this.updateInterest()
  }

  filePriorities(): FilePriority[] | undefined {
    return this.downloader?.filePriorities() ?? this.initPriorities
  }

  async deleteData(): Promise<void> {
    if (this.downloader) await this.downloader.deleteFiles()
  }

  // ---- connections ----

  /** Peers learned outside the trackers (manual, magnet x.pe): into the pool, then connect soon. */
  addPeer(ip: string, port: number, source: PeerSource = 'manual'): TorrentPeer | null {
    const p = this.pool.addPeer(ip, port, source)
    this.requestSlots()
    return p
  }

  addPeers(peers: Array<{ ip: string; port: number }>, source: PeerSource): number {
    const n = this.pool.addPeers(peers, source)
    if (n > 0) this.requestSlots()
    return n
  }

  /** Called by the engine's connection queue: one grant. */
  connectOnePeer(): TorrentPeer | null {
    if (!this.isActive()) return null
    return this.pool.connectOnePeer()
  }

  /** Free slots we still want filled, minus what is already queued. */
  private requestSlots(): void {
    if (!this.isActive()) return
    const free = this.pool.freeSlots()
    const want = Math.min(free, this.pool.candidates(free).length) - this.ctx.pendingConnectionRequests(this.infoHash)
    if (want > 0) this.ctx.requestConnections(this.infoHash, want)
  }

  private dial(peer: TorrentPeer): void {
    const entry = { peer, socket: null as TcpSocket | null }
    this.connecting.set(peer.key, entry)
    this.ctx.connectStarted()
    // A connect that throws instead of rejecting takes the same way out, so the peer never stays
    // 'connecting' and the engine's in-flight count never leaks.
    let attempt: Promise<TcpSocket>
    try {
      attempt = this.ctx.platform.net.connect({ host: peer.ip, port: peer.port })
    } catch (err) {
      attempt = Promise.reject(err)
    }
    attempt.then(
      (socket) => {
        this.ctx.connectFinished()
        if (this.connecting.get(peer.key) !== entry || !this.running) {
          socket.close()
          return
        }
        entry.socket = socket
        try {
          PeerSession.outgoing(this, peer, socket)
        } catch (err) {
          socket.close()
          this.connecting.delete(peer.key)
          this.pool.onConnectFailed(peer.ip, peer.port, `internal error: ${(err as Error).message}`)
        }
      },
      (err: unknown) => {
        this.ctx.connectFinished()
        if (this.connecting.get(peer.key) !== entry) return
        this.connecting.delete(peer.key)
        this.pool.onConnectFailed(peer.ip, peer.port, err instanceof IoError ? err.code : String(err))
      },
    )
  }

  /** An outgoing session finished its handshake, or failed before it (session null). */
  onOutgoingHandshake(peer: TorrentPeer, session: PeerSession | null, reason?: string, self = false): void {
    this.connecting.delete(peer.key)
    if (!session) {
      if (!self && peer.port === this.ctx.listenPort() && this.ctx.recentSelfConnection()) self = true
      if (self) this.pool.markSelf(peer.ip, peer.port)
      else this.pool.onConnectFailed(peer.ip, peer.port, reason ?? 'handshake failed')
      return
    }
    this.pool.onConnected(peer.ip, peer.port)
    this.addSession(session)
    if (this.hasOtherSession(session)) session.close('duplicate connection')
  }

  /** Another live session has the same peer id (one peer, two connections). */
  private hasOtherSession(s: PeerSession): boolean {
    for (const o of this.sessions.values()) if (o !== s && o.samePeer(s.peerId)) return true
    return false
  }

  /**
   * An incoming connection whose handshake named our info-hash (the engine checked the peer id
   * is not ours). Counts against the pool's limits. Returns false when refused.
   */
  acceptIncoming(conn: PeerConnection, hs: Handshake, ip: string, port: number): boolean {
    if (!this.isActive()) return false
    if (this.info === null && !hs.extended) return false // cannot help us get metadata
    const existing = this.pool.findPeer(ip, port)
    if (existing && this.sessions.has(existing.key)) return false
    for (const o of this.sessions.values()) if (o.samePeer(hs.peerId)) return false // already connected to it
    const peer = this.pool.addIncoming(ip, port)
    if (!peer) return false
    const session = PeerSession.incoming(this, peer, conn, hs)
    this.addSession(session)
    return true
  }

  private addSession(s: PeerSession): void {
    this.sessions.set(s.peer.key, s)
    this.everConnected = true
    this.metadata?.onPeer(s)
    this.downloader?.onPeerAdded(s)
  }

  /** A session ended (after its handshake). */
  onSessionClosed(s: PeerSession, error: boolean, reason: string): void {
    if (this.sessions.get(s.peer.key) !== s) return
    this.sessions.delete(s.peer.key)
    this.flushPeerStats(s)
    this.downloader?.onPeerRemoved(s)
    this.metadata?.onPeerGone(s)
    this.pool.onDisconnected(s.peer.ip, s.peer.port, { error, reason })
  }

  private dropPeer(key: string, reason: string): void {
    const s = this.sessions.get(key)
    if (s) s.close(reason)
    const c = this.connecting.get(key)
    if (c) {
      this.connecting.delete(key)
      c.socket?.close()
    }
  }

  /**
   * The one way a peer is dropped for its conduct (wasted requests, stray messages, a protocol
   * violation): the pool records why and holds it off, then the connection closes.
   */
  dropForConduct(s: PeerSession, why: ConductDrop): void {
    const reason = describeConductDrop(why)
    // a session we no longer track (a duplicate) does not speak for the pool's record of its address
    if (this.sessions.get(s.peer.key) === s) this.pool.dropForConduct(s.peer.ip, s.peer.port, reason)
    s.close(reason)
  }

  private closeAllPeers(reason: string): void {
    for (const s of [...this.sessions.values()]) s.close(reason)
    for (const [key, c] of [...this.connecting]) {
      this.connecting.delete(key)
      c.socket?.close()
      this.pool.onDisconnected(c.peer.ip, c.peer.port, { error: false, reason })
    }
  }

  /** Reports the bytes moved since the last flush to the pool (ranking). */
  flushPeerStats(s: PeerSession): void {
    const { down, up } = s.takeStatDeltas()
    if (down || up) this.pool.updatePeerStats(s.peer.ip, s.peer.port, down, up)
  }

  getDisplayPeers(): DisplayPeer[] {
    return buildDisplayPeers(
      [...this.connecting.values()].map((c) => c.peer),
      this.sessions.values(),
    )
  }

  /** ip:port keys the pool banned. */
  bannedPeers(): string[] {
    return this.pool.allPeers().filter((p) => p.state === 'banned').map((p) => p.key)
  }

  /** Peers dropped for their conduct, oldest first, with why. */
  droppedPeers(): Array<{ peer: string; reason: string }> {
    return this.pool.droppedPeers()
  }

  connectingCount(): number {
    return this.connecting.size
  }

  /** A peer told us our address (BEP 10 yourip): the pool breaks rank ties by BEP 40 against it. */
  onExternalAddress(ip: string): void {
    const port = this.ctx.listenPort()
    if (port <= 0 || (ip === this.externalIp && port === this.externalPort)) return // recomputing is O(peers)
    this.externalIp = ip
    this.externalPort = port
    this.pool.setSelfAddress(ip, port)
  }

  // ---- metadata & storage ----

  onExtensionHandshake(s: PeerSession): void {
    this.metadata?.onPeer(s)
  }

  onMetadataData(s: PeerSession, piece: number, data: Uint8Array, totalSize: number): void {
    void this.metadata?.onData(s, piece, data, totalSize)
  }

  onMetadataReject(s: PeerSession, piece: number): void {
    this.metadata?.onReject(s, piece)
  }

  private beginMetadata(): void {
    this.status = 'fetching-metadata'
    this.metadata = new MetadataFetch(this, (info: InfoDictionary) => void this.onMetadata(info))
    for (const s of this.sessions.values()) this.metadata.onPeer(s)
  }

  private async onMetadata(info: InfoDictionary): Promise<void> {
    if (this.info || !this.running) return
    this.info = info
    this.name = info.name
    this.metadata = null
    if (this.selectedFiles && !this.initPriorities) {
      const keep = new Set(this.selectedFiles)
      this.initPriorities = info.files.map((_, i) => (keep.has(i) ? 'normal' : 'skip'))
    }
    this.ctx.onTorrentChanged(this.infoHash)
    for (const s of this.sessions.values()) s.onMetadata(info)
    await this.openStorage(false)
    this.trackers.updateLeft()
  }

  /** Opens storage (resume state or a full recheck); while stopped it only checks and shows. */
  private async openStorage(recheck: boolean): Promise<void> {
    const info = this.info!
    this.status = 'checking'
    try {
      await this.downloader?.close()
      const d = new Downloader(this, info, this.savePath, this.initPriorities)
      this.downloader = d
      await d.open(recheck)
      this.recheckNext = false
      if (!this.running) {
        await d.close()
        if (this.status === 'checking') this.status = 'paused'
        return
      }
      this.status = d.isComplete() ? 'seeding' : 'downloading'
      this.pool.setSeeding(d.isComplete())
      for (const s of this.sessions.values()) d.onPeerAdded(s)
    } catch (err) {
      this.fail(err)
    }
  }

  /** The downloader verified a piece and every selected piece is now verified. */
  onDownloadComplete(): void {
    if (this.status !== 'downloading') return
    this.status = 'seeding'
    this.pool.setSeeding(true)
    this.trackers.completed()
    this.ctx.onTorrentChanged(this.infoHash)
    for (const fn of this.completionWaiters.splice(0)) fn()
    // Seeds have nothing for us; drop connections to other seeds.
    for (const s of [...this.sessions.values()]) if (s.isSeed()) s.close('both seeds')
  }

  /** A peer sent bad data (alone: proven, banned at once; shared: one of several suspects). */
  blamePeer(key: string, shared: boolean): void {
    const peer = this.sessions.get(key)?.peer ?? this.pool.allPeers().find((p) => p.key === key)
    if (peer) this.pool.markHashFailure(peer.ip, peer.port, { shared })
  }

  updateInterest(): void {
    for (const s of this.sessions.values()) s.updateInterest()
  }

  fail(err: unknown): void {
    const msg = err instanceof IoError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err)
    this.status = 'error'
    this.error = msg
    this.ctx.cancelConnectionRequests(this.infoHash)
    this.closeAllPeers('error')
  }

  // ---- maintenance ----

  private tick(): void {
    if (!this.running) return
    this.ticks++
    if (this.ticks % 5 === 0) for (const s of this.sessions.values()) this.flushPeerStats(s)
    this.downloader?.tick(this.ticks)
    this.metadata?.tick()
    this.requestSlots()
    if (this.ticks % PEX_ROUND_TICKS === 0) this.pexRound()
    this.timer = this.ctx.clock.setTimeout(() => this.tick(), MAINTENANCE_MS)
  }

  /**
   * BEP 11: tell every peer that takes PEX which peers we are connected to now (where they listen:
   * the address we dialled, or an incoming peer's advertised port), as changes since the last round.
   */
  private pexRound(): void {
    if (this.info?.private) return
    const connected: PexPeer[] = []
    for (const s of this.sessions.values()) {
      const port = s.listenPort()
      if (port === null) continue // an incoming peer that never told us where it listens
      connected.push({ ip: s.peer.ip, port, flags: (s.isSeed() ? PEX_SEED : 0) | (s.incoming ? 0 : PEX_REACHABLE) })
    }
    for (const s of this.sessions.values()) s.ext.sendPex(connected)
  }

  summary(): TorrentSummary {
    return torrentSummary(this)
  }

  detail(parts: Array<keyof TorrentDetail>): Partial<TorrentDetail> {
    return torrentDetail(this, parts)
  }
}
