import { errorText } from '../util/log.ts'
import { loadSavedProgress, progressOf, type SavedProgress } from '../storage/saved-progress.ts'
import type { RelocatingFiles } from '../storage/relocating-files.ts'
import type { FilePriority, TorrentDetail, TorrentStatus, TorrentSummary, TrackerRow } from '../api/types.ts'
import type { InfoDictionary } from '../metainfo/parse-info.ts'
import { chooseTransport, type Transport, withFirstFailure } from '../pool/transport-choice.ts'
import { PEX_REACHABLE, PEX_SEED, PEX_UTP, type PexPeer } from '../extension/ut-pex.ts'
import { PeerPool } from '../pool/peer-pool.ts'
import type { PeerSource, TorrentPeer } from '../pool/torrent-peer.ts'
import type { TcpSocket } from '../platform/ports.ts'
import { IoError } from '../platform/ports.ts'
import type { TimerHandle } from '../util/clock.ts'
import { fromHex } from '../util/hex.ts'
import { countsAgainstPeer, describeCloseReason, type CloseReason } from '../wire/close-reason.ts'
import type { Handshake } from '../wire/handshake.ts'
import type { PeerConnection } from '../wire/peer-connection.ts'
import { outgoingMse } from '../wire/mse-stage.ts'
import { RateMeter } from '../wire/rate-meter.ts'
import { buildDisplayPeers, type DisplayPeer } from './display-peers.ts'
import { discoveryRows } from './discovery-rows.ts'
import { Downloader, type DownloaderHost } from './downloader.ts'
import { MetadataFetch } from './metadata-fetch.ts'
import { describeConductDrop, type ConductDrop } from './peer-conduct.ts'
import { PeerSession, type SessionHost } from './peer-session.ts'
import type { TorrentContext } from './torrent-context.ts'
import { TorrentLog } from './torrent-log.ts'
import { torrentDetail, torrentSummary } from './torrent-rows.ts'
import { loadSavedPeers, MAX_SAVED_PEERS, saveSavedPeers } from './saved-peers.ts'
import { TorrentDht } from './torrent-dht.ts'
import { TorrentTrackers } from './torrent-trackers.ts'
import { TorrentWebSeeds } from '../webseed/torrent-web-seeds.ts'
import type { WebSeedSource } from '../webseed/webseed-url.ts'
import { TorrentStreaming } from './torrent-streaming.ts'
import { TorrentRateLimits } from '../engine/rate-limiter.ts'

export interface TorrentInit {
  infoHash: string
  /** Known metadata (.torrent), or null for a magnet until it is fetched. */
  info: InfoDictionary | null
  announceTiers: string[][]
  /** Peers to try first (magnet x.pe, manual). */
  initialPeers?: Array<{ ip: string; port: number }>
  name?: string
  savePath: string
  /** Folder inside the savePath root ('' or absent: the root itself). */
  saveDir?: string
  addedAt: number
  filePriorities?: FilePriority[]
  /** Magnet: file indices to download once the metadata is known (all when absent). */
  selectedFiles?: number[]
  /** Verify existing data instead of trusting resume state. */
  recheck?: boolean
  /** Web seeds (BEP 19 url-list and magnet ws=, BEP 17 httpseeds). */
  webSeeds?: WebSeedSource[]
}

const MAINTENANCE_MS = 1000
/** BEP 11: a PEX message to a peer at most once a minute. */
const PEX_ROUND_TICKS = 60
/** Recently useful peers are saved this often (and on stop). */
const SAVE_PEERS_TICKS = 300

/**
 * One torrent, and the only writer of its state: status, metadata, totals, the live sessions. Its
 * helpers (peer sessions, downloader, choker, metadata fetch, trackers) each get a narrow host
 * interface of what they may read and report, never the Torrent. It owns its peer pool (the only
 * peer list). Scheduling runs on a 1 s maintenance timer; the byte path is event-driven in
 * PeerSession/Downloader.
 */
export class Torrent {
  readonly infoHash: string
  readonly infoHashBytes: Uint8Array
  readonly addedAt: number
  /** Where the data is: a root and a folder in it. Changed only by `relocate` (a finished move). */
  savePath: string
  saveDir: string
  readonly pool: PeerPool
  readonly trackers: TorrentTrackers
  /** The user's limits for this torrent alone, within the engine's. */
  readonly rateLimits: TorrentRateLimits
  readonly dht: TorrentDht
  readonly webSeeds: TorrentWebSeeds
  readonly log: TorrentLog
  readonly down: RateMeter
  readonly up: RateMeter
  private meta: InfoDictionary | null
  private displayName: string
  private current: TorrentStatus = 'paused'
  private failure?: string
  private connectedOnce = false
  private readonly totals = { downloaded: 0, uploaded: 0, hashFailures: 0 }
  private readonly completionWaiters: Array<() => void> = []
  private dl: Downloader | null = null
  /** Size and progress from the resume record, until the storage opens (loadSavedProgress). */
  private saved: SavedProgress | null = null
  /** Sequential / first-last options and open streams (play while downloading). */
  readonly streaming: TorrentStreaming
  private metadata: MetadataFetch | null = null
  /** Handshaken connections by peer key. */
  private readonly live = new Map<string, PeerSession>()
  /** Outgoing attempts from connect issued until handshake done. */
  private readonly connecting = new Map<
    string,
    { peer: TorrentPeer; socket: TcpSocket | null; mse: boolean; connectedAt: number; transport: Transport }
  >()
  private savedPeersLoaded = false
  private readonly sessionHost: SessionHost
  private readonly downloaderHost: DownloaderHost
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
    private readonly ctx: TorrentContext,
    init: TorrentInit,
  ) {
    this.infoHash = init.infoHash
    this.infoHashBytes = fromHex(init.infoHash)
    this.meta = init.info
    this.displayName = init.info?.name ?? init.name ?? init.infoHash
    this.savePath = init.savePath
    this.saveDir = init.saveDir ?? ''
    this.addedAt = init.addedAt
    this.initPriorities = init.filePriorities
    this.selectedFiles = init.selectedFiles
    this.recheckOnStart = !!init.recheck
    const now = () => ctx.clock.now()
    this.down = new RateMeter(now, 5)
    this.up = new RateMeter(now, 5)
    this.log = new TorrentLog(init.infoHash, ctx.platform.log, now)
    this.pool = new PeerPool({
      config: { maxActiveConnections: ctx.settings().maxPeersPerTorrent },
      connect: (peer) => this.dial(peer),
      disconnect: (peer, reason) => this.dropPeer(peer.key, { kind: 'banned', detail: reason }),
      onSlotFreed: () => this.requestSlots(),
      onBan: (peer, reason) => this.log.pool.info(`banned ${peer.key}: ${reason}`),
      now,
    })
    if (init.initialPeers) this.pool.addPeers(init.initialPeers, 'manual')
    this.rateLimits = new TorrentRateLimits(now, { download: ctx.downloadBucket, upload: ctx.uploadBucket })
    this.trackers = new TorrentTrackers(
      {
        infoHash: this.infoHashBytes,
        peerId: ctx.peerId,
        net: ctx.platform.net,
        clock: ctx.clock,
        log: this.log.tracker,
        listenPort: () => ctx.listenPort(),
        announceIpv6: () => ctx.announceIpv6(),
        stats: () => ({ uploaded: this.totals.uploaded, downloaded: this.totals.downloaded, left: this.bytesLeft() }),
        onPeers: (peers) => void this.addPeers(peers, 'tracker'),
        isPrivate: () => !!this.meta?.private,
      },
      init.announceTiers,
    )
    this.dht = new TorrentDht({
      infoHash: this.infoHashBytes,
      log: this.log.dht,
      now,
      dht: () => ctx.dht(),
      isPrivate: () => !!this.meta?.private,
      listenPort: () => ctx.listenPort(),
      knownPeers: () => this.pool.getStats().total,
      onPeers: (peers) => void this.addPeers(peers, 'dht'),
    })
    this.webSeeds = new TorrentWebSeeds(
      {
        net: ctx.platform.net,
        clock: ctx.clock,
        log: this.log.webseed,
        downloadBucket: ctx.downloadBucket,
        enabled: () => ctx.settings().webSeeds && this.isActive() && this.current === 'downloading',
      },
      init.webSeeds ?? [],
    )
    this.sessionHost = {
      infoHash: this.infoHashBytes,
      peerId: ctx.peerId,
      clock: ctx.clock,
      info: () => this.meta,
      listenPort: () => ctx.listenPort(),
      onOutgoingHandshake: (peer, session, reason) => this.onOutgoingHandshake(peer, session, reason),
      onSessionClosed: (s, reason) => this.onSessionClosed(s, reason),
      onPeerSeed: (peer) => this.pool.markPeerSeed(peer.ip, peer.port),
      onExternalAddress: (ip) => this.onExternalAddress(ip),
      onExtensionHandshake: (s) => this.metadata?.onPeer(s),
      onMetadataData: (s, piece, data, totalSize) => void this.metadata?.onData(s, piece, data, totalSize),
      onMetadataReject: (s, piece) => this.metadata?.onReject(s, piece),
      addPeers: (peers, source) => void this.addPeers(peers, source),
      chargePeer: (peer, charge) => this.pool.chargePeer(peer.ip, peer.port, charge),
      dropForConduct: (s, why) => this.dropForConduct(s, why),
      dhtPort: () => this.dhtPort(),
      dataPlaneTorrent: () => this.dl?.dataPlaneTorrent ?? null,
      onDhtPort: (ip, port) => {
        if (this.dhtPort() === null) return
        this.log.dht.debug?.(`${ip}: PORT ${port}, pinging its DHT node`)
        ctx.dht()?.addNode(ip, port)
      },
    }
    this.downloaderHost = {
      infoHash: this.infoHash,
      files: ctx.platform.files,
      state: ctx.platform.state,
      hasher: ctx.platform.hasher,
      dataPlane: () => (ctx.settings().dataPlane ? (ctx.platform.dataPlane ?? null) : null),
      clock: ctx.clock,
      downloadBucket: this.rateLimits.download,
      uploadBucket: this.rateLimits.upload,
      choker: ctx.choker,
      log: this.log.storage,
      sessions: () => this.live.values(),
      session: (key) => this.live.get(key),
      isActive: () => this.isActive(),
      onDownloaded: (bytes) => {
        this.totals.downloaded += bytes
        this.down.add(bytes)
      },
      onUploaded: (bytes) => {
        this.totals.uploaded += bytes
        this.up.add(bytes)
      },
      onHashFailure: (piece, contributors) => {
        this.totals.hashFailures++
        this.log.storage.warn(`piece ${piece} failed verification (blocks from ${contributors.join(', ')})`)
      },
      onComplete: () => this.onDownloadComplete(),
      onPieceVerified: (piece) => this.streaming.onPieceVerified(piece),
      blamePeer: (key, shared) => this.blamePeer(key, shared),
      updateInterest: () => this.updateInterest(),
      fail: (err) => this.fail(err),
    }
    this.streaming = new TorrentStreaming({
      clock: ctx.clock,
      log: this.log.storage,
      streams: ctx.platform.streams,
      info: () => this.meta,
      data: () => {
        const d = this.dl
        if (!d || !this.running) return null
        return {
          picker: d.picker,
          have: d.have,
          root: d.storage.root,
          filePath: (i) => d.storage.filePath(i),
          preempt: () => d.preemptForDeadlines(),
        }
      },
      selectFile: async (i) => {
        if (this.filePriorities()?.[i] === 'skip') await this.setFilePriority(i, 'normal')
      },
      changed: () => ctx.onTorrentChanged(this.infoHash),
    })
  }

  // ---- state, read only outside ----

  get status(): TorrentStatus {
    return this.current
  }

  get error(): string | undefined {
    return this.failure
  }

  /** The info dictionary (null for a magnet until fetched). */
  get info(): InfoDictionary | null {
    return this.meta
  }

  get name(): string {
    return this.displayName
  }

  /** Some peer completed a handshake with us at some point. */
  get everConnected(): boolean {
    return this.connectedOnce
  }

  get hashFailures(): number {
    return this.totals.hashFailures
  }

  /** All payload bytes received, including wasted ones. */
  get downloadedTotal(): number {
    return this.totals.downloaded
  }

  get uploadedTotal(): number {
    return this.totals.uploaded
  }

  /** Picker, storage and upload serving, once the metadata is known and storage opened. */
  get downloader(): Downloader | null {
    return this.dl
  }

  /**
   * Reads what its resume record says of its size and progress, for the list to show while its storage
   * has not been opened (restored paused or queued). Nothing when it has no metadata or is open already.
   */
  async loadSavedProgress(): Promise<void> {
    if (!this.meta || this.dl) return
    this.saved = await loadSavedProgress(this.ctx.platform.state, this.infoHash, this.meta, this.initPriorities).catch(
      (err: unknown) => {
        this.log.storage.debug?.(`reading the saved progress failed: ${errorText(err)}`)
        return null
      },
    )
  }

  /**
   * While the storage has never been opened: the resume record's size and progress, or without one
   * (added while the queue was full) its size and nothing verified. Null once open, or without metadata.
   */
  savedProgress(): SavedProgress | null {
    if (this.dl || !this.meta) return null
    return this.saved ?? progressOf(this.meta, this.initPriorities ?? [])
  }

  /** Handshaken connections by peer key. */
  get sessions(): ReadonlyMap<string, PeerSession> {
    return this.live
  }

  isActive(): boolean {
    return this.running && this.current !== 'error'
  }

  /** Started and not stopped (whatever its status, error included). */
  isRunning(): boolean {
    return this.running
  }

  /** Every selected file complete and verified. */
  isComplete(): boolean {
    return !!this.dl && this.dl.isComplete() && this.current !== 'checking'
  }

  /** Calls `fn` once, the moment a download completes (not for a torrent complete when added). */
  onNextCompletion(fn: () => void): void {
    this.completionWaiters.push(fn)
  }

  /**
   * The one place the status changes. What depends on it follows here: the pool ranks seeds low
   * only while we seed, the choker fills slots by upload only while we seed, and the trackers hear
   * of a finished download ('completed') or, as soon as their minimum interval allows, that a seed
   * wants data again (many trackers list no seeds to a seed).
   */
  private setStatus(next: TorrentStatus, cause?: 'download-complete'): void {
    const prev = this.current
    if (next === prev) return
    this.current = next
    this.log.torrent.info(`${prev} → ${next}`)
    if (next !== 'seeding' && next !== 'downloading') return
    const seeding = next === 'seeding'
    this.pool.setSeeding(seeding)
    this.dl?.choker.setSeeding(seeding)
    if (cause === 'download-complete') this.trackers.completed()
    else if (prev === 'seeding') this.trackers.updateLeft()
  }

  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    this.failure = undefined
    this.timer = this.ctx.clock.setTimeout(() => this.tick(), MAINTENANCE_MS)
    await this.restoreSavedPeers()
    if (!this.running) return
    if (this.meta) await this.openStorage(this.recheckOnStart || this.recheckNext)
    else this.beginMetadata()
    if (!this.running) return
    this.trackers.start()
    this.dht.start()
    this.requestSlots()
  }

  /** Stops it; `then` is the status it shows afterwards (`queued` when the engine's queue stopped it). */
  async stop(then: 'paused' | 'queued' = 'paused'): Promise<void> {
    if (!this.running) {
      if (this.current === 'queued') this.setStatus(then) // a queued torrent the user pauses
      return
    }
    this.running = false
    if (this.timer !== null) this.ctx.clock.clearTimeout(this.timer)
    this.timer = null
    this.ctx.cancelConnectionRequests(this.infoHash)
    this.dht.stop()
    // before the connections close, so the connected peers count as recently useful
    await this.savePeers()
    this.closeAllPeers({ kind: 'stopped' })
    this.webSeeds.detach()
    this.streaming.closeAll()
    this.metadata = null
    await Promise.all([this.trackers.stop(), this.dl?.close()])
    // A paused row shows 0 B/s at once, not a rate fading over the meter's window.
    this.down.clearRate()
    this.up.clearRate()
    if (this.current !== 'error') this.setStatus(then)
  }

  /** Waits in the engine's queue without running; clears an error, which a Start asked to retry. */
  markQueued(): void {
    if (this.running) return
    this.failure = undefined
    this.setStatus('queued')
  }

  /** Transfer totals of earlier runs (the saved session), added to this run's. */
  restoreTotals(saved: { downloaded?: number; uploaded?: number }): void {
    const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0)
    this.totals.downloaded += n(saved.downloaded)
    this.totals.uploaded += n(saved.uploaded)
  }

  /** While it runs with its storage open: the files as storage sees them, movable under its feet. */
  liveFiles(): RelocatingFiles | null {
    const live = this.running && (this.current === 'seeding' || this.current === 'downloading')
    return live && this.dl ? this.dl.places : null
  }

  /** A move finished while running: storage already finds every file there; the folder is the new one. */
  adopt(root: string, dir: string): void {
    this.dl?.places.setBase(this.savePath, this.saveDir, root, dir)
    this.savePath = root
    this.saveDir = dir
    this.ctx.onTorrentChanged(this.infoHash)
  }

  /**
   * The data now lives in another folder (a move finished while the torrent was stopped). A stopped
   * torrent with metadata opens its storage there to show what it has; a running one must not move.
   */
  async relocate(root: string, dir: string): Promise<void> {
    if (this.running) throw new Error('stop the torrent before relocating its data')
    this.savePath = root
    this.saveDir = dir
    if (this.meta) await this.openStorage(false)
    this.ctx.onTorrentChanged(this.infoHash)
  }

  /** Verifies the data on disk again (from scratch, ignoring resume state). */
  async recheck(): Promise<void> {
    if (!this.meta) return
    const wasRunning = this.running
    await this.stop()
    this.recheckNext = true
    if (wasRunning) await this.start()
    else await this.openStorage(true)
  }

  async setFilePriority(index: number, priority: FilePriority): Promise<void> {
    await this.setFilePriorities([index], priority)
  }

  async setFilePriorities(indices: readonly number[], priority: FilePriority): Promise<void> {
    const d = this.dl
    if (!d) return
    await d.setFilePriorities(indices, priority)
    // What "complete" means changed: a seed that wants a file again downloads it, and a download
    // whose missing files were all skipped has nothing left to fetch.
    if (this.current === 'seeding' && !d.isComplete()) this.setStatus('downloading')
    else if (this.current === 'downloading' && d.isComplete()) this.setStatus('seeding')
    this.ctx.onTorrentChanged(this.infoHash)
    this.updateInterest()
  }

  /** Trackers learnt after adding (the torrent was added again with other trackers); how many were new. */
  addTrackers(urls: readonly string[]): number {
    const n = this.trackers.add(urls)
    if (n > 0) this.log.tracker.info(`${n} tracker${n === 1 ? '' : 's'} added`)
    return n
  }

  filePriorities(): FilePriority[] | undefined {
    return this.dl?.filePriorities() ?? this.initPriorities
  }

  async deleteData(): Promise<void> {
    if (this.dl) await this.dl.deleteFiles()
  }

  // ---- connections ----

  /** Peers learned outside the trackers (manual, magnet x.pe): into the pool, then connect soon. */
  addPeer(ip: string, port: number, source: PeerSource = 'manual'): TorrentPeer | null {
    const p = this.pool.addPeer(ip, port, source)
    this.requestSlots()
    return p
  }

  addPeers(peers: Array<{ ip: string; port: number; flags?: number }>, source: PeerSource): number {
    const n = this.pool.addPeers(peers, source)
    for (const p of peers) if (p.flags !== undefined && p.flags & PEX_UTP) this.pool.markUtp(p.ip, p.port)
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

  /** Once per torrent: the peers saved by the last run go into the pool first (source `resume`). */
  private async restoreSavedPeers(): Promise<void> {
    if (this.savedPeersLoaded) return
    this.savedPeersLoaded = true
    try {
      const saved = await loadSavedPeers(this.ctx.platform.state, this.infoHash, this.ctx.clock.now())
      const n = this.pool.restorePeers(saved)
      if (n > 0) this.log.pool.info(`${n} saved peers from the last run`)
    } catch (err) {
      // only costs waiting for trackers and the DHT
      this.log.pool.warn(`loading saved peers failed: ${(err as Error).message}`)
    }
  }

  private async savePeers(): Promise<void> {
    if (!this.connectedOnce) return // nothing learned this run: keep what the last run saved
    for (const s of this.live.values()) this.flushPeerStats(s)
    await saveSavedPeers(this.ctx.platform.state, this.infoHash, this.pool.usefulPeers(MAX_SAVED_PEERS)).catch(
      (err: unknown) => this.log.pool.warn(`saving peers failed: ${(err as Error).message}`),
    )
  }

  private dial(peer: TorrentPeer): void {
    const mse = outgoingMse(this.ctx.settings().encryption, peer.mseRefused)
    const net = this.ctx.platform.net
    const transport = chooseTransport(peer, this.ctx.settings().utp && net.utp === true)
    // connectedAt: the TCP connect's end, so the handshake's round trip can be measured
    const entry = { peer, socket: null as TcpSocket | null, mse: mse !== null, connectedAt: 0, transport }
    this.connecting.set(peer.key, entry)
    this.ctx.connectStarted()
    // A connect that throws instead of rejecting takes the same way out, so the peer never stays
    // 'connecting' and the engine's in-flight count never leaks.
    let attempt: Promise<TcpSocket>
    try {
      const framable = this.dl?.dataPlaneTorrent ? { framable: true } : {}
      attempt = net.connect(
        transport === 'utp'
          ? { host: peer.ip, port: peer.port, transport, ...framable }
          : { host: peer.ip, port: peer.port, ...framable },
      )
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
        entry.connectedAt = this.ctx.clock.now()
        try {
          PeerSession.outgoing(this.sessionHost, peer, socket, this.dl, mse)
        } catch (err) {
          socket.close()
          this.connecting.delete(peer.key)
          const reason = describeCloseReason({ kind: 'internal', detail: (err as Error).message })
          this.log.peer.error(`${peer.key}: starting the session failed: ${reason}`)
          this.pool.onConnectFailed(peer.ip, peer.port, reason)
        }
      },
      (err: unknown) => {
        this.ctx.connectFinished()
        if (this.connecting.get(peer.key) !== entry) return
        this.connecting.delete(peer.key)
        const reason = describeCloseReason({
          kind: 'connect-failed',
          detail: err instanceof IoError ? err.code : String(err),
        })
        this.log.peer.debug?.(`${peer.key}: connect failed over ${transport}: ${reason}`)
        if (!this.retryOtherTransport(peer, transport, reason))
          this.pool.onConnectFailed(peer.ip, peer.port, withFirstFailure(peer, transport, reason))
      },
    )
  }

  /** libtorrent's fallback: a peer that failed on one transport is dialled once on the other. */
  private retryOtherTransport(peer: TorrentPeer, failed: Transport, reason: string): boolean {
    if (!this.ctx.settings().utp || this.ctx.platform.net.utp !== true) return false
    if (!this.pool.onTransportFailed(peer.ip, peer.port, failed, reason)) return false
    this.log.peer.debug?.(`${peer.key}: retrying over ${failed === 'utp' ? 'TCP' : 'uTP'}`)
    return true
  }

  /** An outgoing session finished its handshake, or failed before it (session null). */
  private onOutgoingHandshake(peer: TorrentPeer, session: PeerSession | null, reason?: CloseReason): void {
    const attempt = this.connecting.get(peer.key)
    this.connecting.delete(peer.key)
    if (!session) {
      // trackers hand us our own address: never dial it again
      const self = reason?.kind === 'self' || (peer.port === this.ctx.listenPort() && this.ctx.recentSelfConnection())
      const text = reason ? describeCloseReason(reason) : 'handshake failed'
      this.log.peer.debug?.(`${peer.key}: ${self ? 'is ourselves' : `handshake failed: ${text}`}`)
      if (self) this.pool.markSelf(peer.ip, peer.port)
      else if (
        reason?.kind === 'encryption-failed' &&
        attempt?.mse &&
        this.ctx.settings().encryption === 'prefer' &&
        !peer.mseRefused
      ) {
        // libtorrent's fallback: a peer that drops our MSE opening is dialled again at once, plain
        this.log.peer.debug?.(`${peer.key}: retrying plain`)
        this.pool.onEncryptionRefused(peer.ip, peer.port, text)
      } else if (!attempt || !this.retryOtherTransport(peer, attempt.transport, text))
        this.pool.onConnectFailed(peer.ip, peer.port, attempt ? withFirstFailure(peer, attempt.transport, text) : text)
      return
    }
    this.log.peer.debug?.(`${peer.key}: connected (${session.client || 'unknown client'})`)
    this.pool.onConnected(peer.ip, peer.port)
    if (attempt && attempt.connectedAt > 0)
      this.pool.recordMeasures(peer.ip, peer.port, { rttMs: this.ctx.clock.now() - attempt.connectedAt })
    this.addSession(session)
    if (this.hasOtherSession(session)) session.close({ kind: 'duplicate' })
  }

  /** Another live session has the same peer id (one peer, two connections). */
  private hasOtherSession(s: PeerSession): boolean {
    for (const o of this.live.values()) if (o !== s && o.samePeer(s.peerId)) return true
    return false
  }

  /**
   * An incoming connection whose handshake named our info-hash (the engine checked the peer id
   * is not ours). Counts against the pool's limits. Returns false when refused.
   */
  acceptIncoming(conn: PeerConnection, hs: Handshake, ip: string, port: number): boolean {
    if (!this.isActive()) return false
    if (this.meta === null && !hs.extended) return false // cannot help us get metadata
    const existing = this.pool.findPeer(ip, port)
    if (existing && this.live.has(existing.key)) return false
    for (const o of this.live.values()) if (o.samePeer(hs.peerId)) return false // already connected to it
    const peer = this.pool.addIncoming(ip, port)
    if (!peer) return false
    if (conn.socket.transport === 'utp') this.pool.markUtp(ip, port)
    const session = PeerSession.incoming(this.sessionHost, peer, conn, hs, this.dl)
    this.log.peer.debug?.(`${peer.key}: accepted incoming (${session.client || 'unknown client'})`)
    this.addSession(session)
    return true
  }

  private addSession(s: PeerSession): void {
    this.live.set(s.peer.key, s)
    this.connectedOnce = true
    this.metadata?.onPeer(s)
    if (this.dl) s.attach(this.dl)
  }

  /** A session ended (after its handshake). */
  private onSessionClosed(s: PeerSession, reason: CloseReason): void {
    if (this.live.get(s.peer.key) !== s) return
    this.live.delete(s.peer.key)
    this.log.peer.debug?.(`${s.peer.key}: closed: ${describeCloseReason(reason)}`)
    this.flushPeerStats(s)
    this.pool.recordMeasures(s.peer.ip, s.peer.port, { diversity: this.piecesWeLack(s) })
    this.dl?.onPeerRemoved(s)
    this.metadata?.onPeerGone(s)
    this.pool.onDisconnected(s.peer.ip, s.peer.port, {
      error: countsAgainstPeer(reason),
      reason: describeCloseReason(reason),
      // we closed it for our own reasons (a Stop, a recheck, our disk failing): a Start may dial it at once
      retryNow: reason.kind === 'stopped' || reason.kind === 'torrent-error',
    })
  }

  private dropPeer(key: string, reason: CloseReason): void {
    const s = this.live.get(key)
    if (s) s.close(reason)
    const c = this.connecting.get(key)
    if (c) {
      this.connecting.delete(key)
      c.socket?.close()
    }
  }

  /**
   * The one way a peer is dropped for its conduct (wasted requests, stray messages, a protocol
   * violation): the pool records why and holds it off (or bans it), then the connection closes.
   */
  private dropForConduct(s: PeerSession, why: ConductDrop): void {
    const text = describeConductDrop(why)
    this.log.peer.info(`${s.peer.key}: dropped for its conduct: ${text}`)
    // a session we no longer track (a duplicate) does not speak for the pool's record of its address
    if (this.live.get(s.peer.key) === s) this.pool.dropForConduct(s.peer.ip, s.peer.port, text)
    // a protocol violation has closed the connection already, with its own reason
    s.close({ kind: 'wasteful', detail: text })
  }

  private closeAllPeers(reason: CloseReason): void {
    for (const s of [...this.live.values()]) s.close(reason)
    for (const [key, c] of [...this.connecting]) {
      this.connecting.delete(key)
      c.socket?.close()
      this.pool.onDisconnected(c.peer.ip, c.peer.port, { error: false, reason: describeCloseReason(reason) })
    }
  }

  /** Pieces the peer has that we still want (0 before the metadata or its availability). */
  private piecesWeLack(s: PeerSession): number {
    const d = this.dl
    const pieces = s.conn.peerPieces
    if (!d || !pieces) return 0
    let n = 0
    for (let p = 0; p < pieces.size; p++) if (pieces.has(p) && d.wants(p)) n++
    return n
  }

  /** Reports the bytes moved since the last flush to the pool (ranking). */
  private flushPeerStats(s: PeerSession): void {
    const { down, up } = s.takeStatDeltas()
    if (down || up) this.pool.updatePeerStats(s.peer.ip, s.peer.port, down, up)
  }

  getDisplayPeers(): DisplayPeer[] {
    return buildDisplayPeers(
      [...this.connecting.values()].map((c) => c.peer),
      this.live.values(),
    )
  }

  /** ip:port keys the pool banned. */
  bannedPeers(): string[] {
    return this.pool
      .allPeers()
      .filter((p) => p.state === 'banned')
      .map((p) => p.key)
  }

  /** Peers dropped for their conduct, oldest first, with why. */
  droppedPeers(): Array<{ peer: string; reason: string }> {
    return this.pool.droppedPeers()
  }

  /** The DHT port to tell peers in PORT messages: null when the DHT is off or the torrent private. */
  private dhtPort(): number | null {
    const port = this.ctx.dht()?.udpPort ?? 0
    return port > 0 && !this.meta?.private ? port : null
  }

  connectingCount(): number {
    return this.connecting.size
  }

  /** A peer told us our address (BEP 10 yourip): the pool breaks rank ties by BEP 40 against it. */
  private onExternalAddress(ip: string): void {
    const port = this.ctx.listenPort()
    if (port <= 0 || (ip === this.externalIp && port === this.externalPort)) return // recomputing is O(peers)
    this.externalIp = ip
    this.externalPort = port
    this.ctx.noteExternalAddress(ip)
    this.pool.setSelfAddress(ip, port)
  }

  // ---- metadata & storage ----

  private beginMetadata(): void {
    this.setStatus('fetching-metadata')
    this.metadata = new MetadataFetch({
      infoHash: this.infoHashBytes,
      now: () => this.ctx.clock.now(),
      peers: () => this.live.values(),
      onMetadata: (info) => void this.onMetadata(info),
      onUnusable: (err) => this.fail(err),
    })
    for (const s of this.live.values()) this.metadata.onPeer(s)
  }

  private async onMetadata(info: InfoDictionary): Promise<void> {
    if (this.meta || !this.running) return
    this.meta = info
    this.displayName = info.name
    this.metadata = null
    this.log.metadata.info(`metadata received: ${info.name}, ${info.pieceCount} pieces`)
    if (this.selectedFiles && !this.initPriorities) {
      const keep = new Set(this.selectedFiles)
      this.initPriorities = info.files.map((_, i) => (keep.has(i) ? 'normal' : 'skip'))
    }
    this.ctx.onTorrentChanged(this.infoHash)
    for (const s of this.live.values()) s.onMetadata(info)
    await this.openStorage(false)
    this.trackers.updateLeft()
  }

  /**
   * `left` as announced: what the whole torrent lacks, skipped files included (BEP 3; libtorrent and
   * qBittorrent say the same), so a partial download is not listed as a seed. A guess before the metadata.
   */
  private bytesLeft(): number {
    const d = this.dl
    return d ? d.missingBytes() : this.meta ? this.meta.length : 16384
  }

  /** Opens storage (resume state or a full recheck); while stopped it only checks and shows. */
  private async openStorage(recheck: boolean): Promise<void> {
    const info = this.meta!
    this.setStatus('checking')
    try {
      this.webSeeds.detach()
      await this.dl?.close()
      // Once storage has been open, its priorities (changed since adding, perhaps) are the ones to keep:
      // the selection made when adding applies to the first open only.
      const d = new Downloader(
        this.downloaderHost,
        info,
        { root: this.savePath, dir: this.saveDir },
        this.dl?.filePriorities() ?? this.initPriorities,
      )
      this.dl = d
      await d.open(recheck)
      this.recheckNext = false
      if (!this.running) {
        await d.close()
        if (this.current === 'checking') this.setStatus('paused')
        return
      }
      this.setStatus(d.isComplete() ? 'seeding' : 'downloading')
      this.streaming.apply()
      for (const s of this.live.values()) s.attach(d)
      this.webSeeds.attach(d)
    } catch (err) {
      this.fail(err)
    }
  }

  /** The downloader verified a piece and every selected piece is now verified. */
  private onDownloadComplete(): void {
    if (this.current !== 'downloading') return
    // 'completed' only once the whole torrent is here: with files skipped, `left` is still above 0
    this.setStatus('seeding', this.dl?.missingBytes() === 0 ? 'download-complete' : undefined)
    this.ctx.onTorrentChanged(this.infoHash)
    for (const fn of this.completionWaiters.splice(0)) fn()
    // Seeds have nothing for us; drop connections to other seeds.
    for (const s of [...this.live.values()]) if (s.isSeed()) s.close({ kind: 'both-seeds' })
  }

  /** A peer sent bad data (alone: proven, banned at once; shared: one of several suspects). */
  private blamePeer(key: string, shared: boolean): void {
    if (this.webSeeds.blame(key, shared)) return
    const peer = this.live.get(key)?.peer ?? this.pool.allPeers().find((p) => p.key === key)
    if (peer) this.pool.markHashFailure(peer.ip, peer.port, { shared })
  }

  private updateInterest(): void {
    for (const s of this.live.values()) s.updateInterest()
  }

  private fail(err: unknown): void {
    const msg =
      err instanceof IoError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err)
    this.failure = msg
    this.setStatus('error')
    this.log.torrent.error(msg)
    this.ctx.cancelConnectionRequests(this.infoHash)
    this.closeAllPeers({ kind: 'torrent-error' })
    this.webSeeds.detach()
    // An errored torrent is stopped (no announces, no lookups, no timer), so Start can run it again
    // once the user has fixed the cause; stop() keeps the error status for the UI.
    void this.stop().catch((e: unknown) =>
      this.log.torrent.warn(`stopping after an error failed: ${(e as Error).message}`),
    )
  }

  // ---- maintenance ----

  /**
   * Once a second: every 5 s the sessions' byte counts go to the pool (ranking); the downloader
   * rechokes when due and refills every pipeline (requests freed by timeouts, a raised rate limit);
   * timed-out metadata requests are asked again; free connection slots are requested from the
   * engine's queue; every minute a PEX round.
   */
  private tick(): void {
    if (!this.running) return
    this.ticks++
    if (this.ticks % 5 === 0) for (const s of this.live.values()) this.flushPeerStats(s)
    this.dl?.tick(this.ticks)
    this.metadata?.tick()
    this.dht.tick()
    this.webSeeds.tick()
    this.requestSlots()
    if (this.ticks % PEX_ROUND_TICKS === 0) this.pexRound()
    if (this.ticks % SAVE_PEERS_TICKS === 0) void this.savePeers()
    this.timer = this.ctx.clock.setTimeout(() => this.tick(), MAINTENANCE_MS)
  }

  /**
   * BEP 11: tell every peer that takes PEX which peers we are connected to now (where they listen:
   * the address we dialled, or an incoming peer's advertised port), as changes since the last round.
   */
  private pexRound(): void {
    if (this.meta?.private) return
    const connected: PexPeer[] = []
    for (const s of this.live.values()) {
      const port = s.listenPort()
      if (port === null) continue // an incoming peer that never told us where it listens
      const utp = s.conn.socket.transport === 'utp' ? PEX_UTP : 0
      connected.push({
        ip: s.peer.ip,
        port,
        flags: (s.isSeed() ? PEX_SEED : 0) | (s.incoming ? 0 : PEX_REACHABLE) | utp,
      })
    }
    for (const s of this.live.values()) s.ext.sendPex(connected)
  }

  summary(): TorrentSummary {
    return torrentSummary(this)
  }

  discoveryRows(): TrackerRow[] {
    return discoveryRows({
      isPrivate: !!this.meta?.private,
      running: this.isActive(),
      lsdEnabled: this.ctx.settings().localPeerDiscovery,
      found: (source) => this.pool.allPeers().filter((p) => p.sources.has(source)).length,
    })
  }

  detail(parts: Array<keyof TorrentDetail>): Partial<TorrentDetail> {
    return torrentDetail(this, parts)
  }
}
