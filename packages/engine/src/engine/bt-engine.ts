import type {
  AddReport,
  AddTorrentInput,
  EngineSettings,
  EngineStatus,
  FilePriority,
  LogEntry,
  TorrentDetail,
  TorrentSummary,
} from '../api/types.ts'
import type { ChokerConfig } from '../choke/choker.ts'
import { parseMagnet } from '../magnet/parse-magnet.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import type { Logger, Platform, TcpListener } from '../platform/ports.ts'
import { ConnectionQueue } from '../queue/connection-queue.ts'
import { Torrent, type TorrentInit } from '../torrent/torrent.ts'
import type { TorrentContext } from '../torrent/torrent-context.ts'
import { realClock, type Clock } from '../util/clock.ts'
import { createLogger, errorText } from '../util/log.ts'
import { generatePeerId } from '../wire/peer-id.ts'
import { ByteBucket } from './bandwidth.ts'
import type { EngineApiHost } from './engine-api.ts'
import { IncomingRouter, type IncomingLimits } from './incoming-router.ts'
import { SessionStore, type SessionEntry } from './session-store.ts'
import { DEFAULT_SETTINGS, mergeSettings } from './settings.ts'

export interface BtEngineOptions {
  platform: Platform
  settings?: Partial<EngineSettings>
  clock?: Clock
  /** Add the torrents saved in the session on start (default true; the CLI turns it off). */
  restoreSession?: boolean
  /** Accept incoming peers (default true). */
  listen?: boolean
  peerId?: Uint8Array
  /** Caps on incoming connections still handshaking (default 32 at once, 10 s each). */
  incoming?: Partial<IncomingLimits>
  /** Upload slots and rechoke timing for every torrent (default 4 regular + 1 optimistic). */
  choker?: Partial<ChokerConfig>
}

export interface AddOptions extends AddTorrentInput {
  /** Verify data on disk instead of trusting resume state (the `seed` command). */
  recheck?: boolean
}

/**
 * The engine: torrents by info-hash, one fair connection queue, one listener for incoming peers,
 * engine-wide limits, persistence. Platform-neutral: everything goes through `platform`.
 */
export class BtEngine implements EngineApiHost {
  readonly platform: Platform
  readonly clock: Clock
  readonly peerId: Uint8Array
  private settings: EngineSettings
  private readonly torrents = new Map<string, Torrent>()
  private readonly queue: ConnectionQueue
  private readonly session: SessionStore
  private readonly downloadBucket: ByteBucket
  private readonly uploadBucket: ByteBucket
  private listener: TcpListener | null = null
  private readonly router: IncomingRouter
  private started = false
  private connectsInFlight = 0
  private saveChain: Promise<void> = Promise.resolve()
  private readonly log: Logger
  daemonStatus: EngineStatus['daemon'] = 'connected'
  daemonMessage?: string

  constructor(private readonly opts: BtEngineOptions) {
    this.platform = opts.platform
    this.clock = opts.clock ?? { ...realClock, now: () => opts.platform.now() }
    this.peerId = opts.peerId ?? generatePeerId()
    this.settings = mergeSettings(DEFAULT_SETTINGS, opts.settings ?? {})
    this.session = new SessionStore(opts.platform.state)
    this.log = createLogger('engine', { port: opts.platform.log, now: () => this.clock.now() })
    const now = () => this.clock.now()
    this.downloadBucket = new ByteBucket(this.settings.downloadRateLimit, now)
    this.uploadBucket = new ByteBucket(this.settings.uploadRateLimit, now)
    this.queue = new ConnectionQueue({
      clock: this.clock,
      ratePerSec: this.settings.connectionRatePerSec,
      burst: this.settings.connectionBurst,
      connectLimits: opts.platform.net.connectLimits,
      getTorrent: (h) => this.torrents.get(h),
      activeConnections: () => this.activeConnections(),
      maxConnections: () => this.settings.maxConnectionsGlobal,
      connectsInFlight: () => this.connectsInFlight,
    })
    this.router = new IncomingRouter(this, opts.incoming)
  }

  // ---- lifecycle ----

  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    const saved = await this.session.loadSettings().catch((err: unknown) => {
      this.log.warn(`loading saved settings failed, using defaults: ${errorText(err)}`)
      return null
    })
    if (saved && this.opts.restoreSession !== false) this.applySettings(mergeSettings(this.settings, saved))
    if (this.opts.listen !== false) await this.openListener()
    this.queue.start()
    if (this.opts.restoreSession !== false) await this.restore()
  }

  async stop(): Promise<void> {
    if (!this.started) return
    this.started = false
    this.queue.stop()
    // Torrents first: their 'stopped' (and a pending 'completed') announces carry our listen port, and
    // a tracker refuses port 0.
    // one torrent failing to stop must not keep the others (and the listener) open
    await Promise.all([...this.torrents.values()].map((t) => t.stop().catch((err: unknown) => this.log.warn(`stopping ${t.name} failed: ${errorText(err)}`))))
    this.listener?.close()
    this.listener = null
    await this.saveSession()
  }

  private async openListener(): Promise<void> {
    try {
      this.listener = await this.platform.net.listen({ port: this.settings.listenPort }, (socket) => this.router.accept(socket))
    } catch (err) {
      // Try any port before giving up on incoming peers.
      if (this.settings.listenPort === 0) throw err
      this.log.warn(`listening on port ${this.settings.listenPort} failed (${errorText(err)}); trying any port`)
      this.listener = await this.platform.net.listen({ port: 0 }, (socket) => this.router.accept(socket))
    }
  }

  get listenPort(): number {
    return this.listener?.port ?? 0
  }

  // ---- torrents ----

  async add(input: AddOptions): Promise<Torrent> {
    return (await this.addWithReport(input)).torrent
  }

  /**
   * Adds a torrent, or, when it is already listed, merges the trackers the new link or file names
   * into it (nothing else changes) and says so.
   */
  async addWithReport(input: AddOptions): Promise<{ torrent: Torrent; alreadyAdded: boolean; trackersAdded: number }> {
    const savePath = input.savePath ?? this.settings.downloadRoot
    let init: TorrentInit
    let torrentFile: Uint8Array | null = null
    let magnet: string | undefined
    if (input.torrentFile) {
      const meta = await parseMetainfo(input.torrentFile)
      torrentFile = input.torrentFile
      init = { infoHash: meta.infoHash, info: meta, announceTiers: meta.announceTiers, savePath, addedAt: this.clock.now(), recheck: input.recheck }
      if (input.magnet) {
        // A magnet restored with its fetched info dictionary: the link still holds its trackers and peers.
        // A link that no longer parses (or names another torrent) is ignored: the file alone still works.
        const m = tryParseMagnet(input.magnet)
        if (m && m.infoHash === meta.infoHash) {
          magnet = input.magnet
          if (init.announceTiers.length === 0) init.announceTiers = m.trackers.map((u) => [u])
          init.initialPeers = m.peers
        }
      }
    } else if (input.magnet) {
      const m = parseMagnet(input.magnet)
      magnet = input.magnet
      init = {
        infoHash: m.infoHash,
        info: null,
        announceTiers: m.trackers.map((u) => [u]),
        initialPeers: m.peers,
        name: m.name,
        selectedFiles: input.selectedFiles ?? m.selectedFiles,
        savePath,
        addedAt: this.clock.now(),
      }
    } else {
      throw new Error('addTorrent needs a torrent file or a magnet link')
    }
    if (input.selectedFiles && init.info) {
      const selected = new Set(input.selectedFiles)
      init.filePriorities = init.info.files.map((_, i) => (selected.has(i) ? 'normal' : 'skip'))
    }
    const existing = this.torrents.get(init.infoHash)
    if (existing) {
      const trackersAdded = existing.addTrackers(init.announceTiers.flat())
      if (trackersAdded > 0) {
        const extra = this.extraTrackers.get(existing.infoHash) ?? []
        this.extraTrackers.set(existing.infoHash, [...extra, ...init.announceTiers.flat().filter((u) => !extra.includes(u))])
        void this.saveSession()
      }
      return { torrent: existing, alreadyAdded: true, trackersAdded }
    }
    const t = new Torrent(this.contextFor(), init)
    this.torrents.set(t.infoHash, t)
    // without the saved file the torrent is simply not restored after a restart
    if (torrentFile) await this.session.saveTorrentFile(t.infoHash, torrentFile).catch((err: unknown) => this.log.warn(`saving the torrent file of ${t.name} failed: ${errorText(err)}`))
    this.magnets.set(t.infoHash, magnet)
    this.paused.set(t.infoHash, !!input.paused)
    void this.saveSession()
    if (!input.paused) await t.start()
    return { torrent: t, alreadyAdded: false, trackersAdded: 0 }
  }

  private readonly magnets = new Map<string, string | undefined>()
  /** Trackers merged in by adding a torrent again, kept with the session so a restart keeps them. */
  private readonly extraTrackers = new Map<string, string[]>()
  private readonly paused = new Map<string, boolean>()

  getTorrent(infoHashHex: string): Torrent | undefined {
    return this.torrents.get(infoHashHex.toLowerCase())
  }

  list(): Torrent[] {
    return [...this.torrents.values()]
  }

  async remove(infoHash: string, opts: { deleteData: boolean } = { deleteData: false }): Promise<void> {
    const t = this.torrents.get(infoHash)
    if (!t) return
    this.torrents.delete(infoHash)
    this.queue.cancelConnectionRequests(infoHash)
    await t.stop()
    // the torrent is gone from the session either way; leftovers only cost space
    if (opts.deleteData) await t.deleteData().catch((err: unknown) => this.log.warn(`deleting the data of ${t.name} failed: ${errorText(err)}`))
    await this.session.deleteTorrentFile(infoHash).catch((err: unknown) => this.log.debug?.(`deleting the saved torrent file of ${infoHash} failed: ${errorText(err)}`))
    await this.platform.state.delete(`resume/${infoHash}`).catch((err: unknown) => this.log.debug?.(`deleting the resume state of ${infoHash} failed: ${errorText(err)}`))
    this.magnets.delete(infoHash)
    this.paused.delete(infoHash)
    this.extraTrackers.delete(infoHash)
    await this.saveSession()
  }

  private async restore(): Promise<void> {
    const entries = await this.session.loadEntries().catch((err: unknown) => {
      this.log.warn(`loading the saved session failed, starting empty: ${errorText(err)}`)
      return [] as SessionEntry[]
    })
    for (const e of entries) {
      try {
        const file = await this.session.loadTorrentFile(e.infoHash)
        const t = file
          ? await this.add({ torrentFile: file, magnet: e.magnet, savePath: e.savePath, paused: e.paused })
          : e.magnet
            ? await this.add({ magnet: e.magnet, savePath: e.savePath, paused: e.paused })
            : null
        if (t && e.extraTrackers?.length) {
          t.addTrackers(e.extraTrackers)
          this.extraTrackers.set(t.infoHash, [...e.extraTrackers])
        }
        if (t && e.filePriorities) {
          for (let i = 0; i < e.filePriorities.length; i++) {
            if (e.filePriorities[i] !== 'normal') await t.setFilePriority(i, e.filePriorities[i] as FilePriority)
          }
        }
      } catch (err) {
        // one bad entry must not stop the rest
        this.log.warn(`restoring ${e.infoHash} failed: ${errorText(err)}`)
      }
    }
  }

  private saveSession(): Promise<void> {
    const entries: SessionEntry[] = [...this.torrents.values()].map((t) => {
      const prios = t.filePriorities()
      return {
        infoHash: t.infoHash,
        savePath: t.savePath,
        paused: this.paused.get(t.infoHash) ?? false,
        addedAt: t.addedAt,
        ...(this.magnets.get(t.infoHash) ? { magnet: this.magnets.get(t.infoHash) } : {}),
        ...(prios && prios.some((p) => p !== 'normal') ? { filePriorities: prios } : {}),
        ...(this.extraTrackers.get(t.infoHash)?.length ? { extraTrackers: this.extraTrackers.get(t.infoHash) } : {}),
      }
    })
    // the next change saves the whole session again
    this.saveChain = this.saveChain.then(() => this.session.saveEntries(entries)).catch((err: unknown) => this.log.warn(`saving the session failed: ${errorText(err)}`))
    return this.saveChain
  }

  private onTorrentChanged(infoHash: string): void {
    const t = this.torrents.get(infoHash)
    if (t?.info && this.magnets.get(infoHash)) {
      // A magnet's metadata arrived: keep the info dictionary so a restart does not fetch it again.
      void this.session.saveTorrentFile(infoHash, wrapInfo(t.info.infoBytes)).catch((err: unknown) => this.log.warn(`saving the fetched metadata of ${t.name} failed: ${errorText(err)}`))
    }
    void this.saveSession()
  }

  // ---- connection queue ----

  requestConnections(infoHashHex: string, count: number): void {
    this.queue.requestConnections(infoHashHex.toLowerCase(), count)
  }

  cancelConnectionRequests(infoHashHex: string): void {
    this.queue.cancelConnectionRequests(infoHashHex.toLowerCase())
  }

  /**
   * Changes the queue's token bucket now (burst defaults to twice the rate; 0 = unlimited). Kept in
   * the settings too, so a later settings change or restart does not undo it.
   */
  setConnectionRateLimit(perSecond: number, burst?: number): void {
    const rate = Math.max(0, perSecond)
    const next = mergeSettings(this.settings, { connectionRatePerSec: rate, connectionBurst: burst !== undefined && burst > 0 ? burst : 2 * rate })
    this.applySettings(next)
    void this.session.saveSettings(this.settings).catch((err: unknown) => this.log.warn(`saving settings failed: ${errorText(err)}`))
  }

  getConnectionQueueStats(): { pendingByTorrent: Record<string, number>; totalPending: number; rateLimiterAvailable: number } {
    return this.queue.getConnectionQueueStats()
  }

  /** connected + connecting over every torrent. */
  activeConnections(): number {
    let n = 0
    for (const t of this.torrents.values()) n += t.sessions.size + t.connectingCount()
    return n
  }

  /** Incoming connections accepted by the listener that have not finished their handshake. */
  halfOpenIncoming(): number {
    return this.router.halfOpen
  }

  private contextFor(): TorrentContext {
    return {
      platform: this.platform,
      clock: this.clock,
      peerId: this.peerId,
      settings: () => this.settings,
      listenPort: () => this.listenPort,
      requestConnections: (h, n) => this.queue.requestConnections(h, n),
      cancelConnectionRequests: (h) => this.queue.cancelConnectionRequests(h),
      pendingConnectionRequests: (h) => this.queue.getConnectionQueueStats().pendingByTorrent[h] ?? 0,
      connectStarted: () => {
        this.connectsInFlight++
      },
      connectFinished: () => {
        this.connectsInFlight--
      },
      choker: this.opts.choker,
      downloadBucket: this.downloadBucket,
      uploadBucket: this.uploadBucket,
      onTorrentChanged: (h) => this.onTorrentChanged(h),
      recentSelfConnection: () => this.clock.now() - this.router.lastSelfAt < 5000,
    }
  }

  // ---- EngineApiHost ----

  status(): EngineStatus {
    let down = 0
    let up = 0
    for (const t of this.torrents.values()) {
      down += t.down.rate()
      up += t.up.rate()
    }
    return {
      daemon: this.daemonStatus,
      ...(this.daemonMessage ? { message: this.daemonMessage } : {}),
      listenPort: this.listener ? this.listener.port : null,
      downloadRate: down,
      uploadRate: up,
      downloadFolders: this.platform.files.roots(),
      ...folderPaths(this.platform.files),
    }
  }

  summaries(): TorrentSummary[] {
    return [...this.torrents.values()].map((t) => t.summary())
  }

  detail(infoHash: string, parts: Array<keyof TorrentDetail>): Partial<TorrentDetail> {
    const t = this.torrents.get(infoHash)
    if (!t) throw new Error(`unknown torrent ${infoHash}`)
    return t.detail(parts)
  }

  async addTorrent(input: AddTorrentInput): Promise<string> {
    return (await this.add(input)).infoHash
  }

  async addTorrentReport(input: AddTorrentInput): Promise<AddReport> {
    const r = await this.addWithReport(input)
    return { infoHash: r.torrent.infoHash, name: r.torrent.name, alreadyAdded: r.alreadyAdded, trackersAdded: r.trackersAdded }
  }

  removeTorrent(infoHash: string, opts: { deleteData: boolean }): Promise<void> {
    return this.remove(infoHash, opts)
  }

  async startTorrent(infoHash: string): Promise<void> {
    const t = this.torrents.get(infoHash)
    if (!t) return
    this.paused.set(infoHash, false)
    await t.start()
    void this.saveSession()
  }

  async stopTorrent(infoHash: string): Promise<void> {
    const t = this.torrents.get(infoHash)
    if (!t) return
    this.paused.set(infoHash, true)
    this.queue.cancelConnectionRequests(infoHash)
    await t.stop()
    void this.saveSession()
  }

  async recheckTorrent(infoHash: string): Promise<void> {
    await this.torrents.get(infoHash)?.recheck()
  }

  async setFilePriority(infoHash: string, fileIndex: number, priority: FilePriority): Promise<void> {
    await this.torrents.get(infoHash)?.setFilePriority(fileIndex, priority)
  }

  async setFilePriorities(infoHash: string, fileIndices: number[], priority: FilePriority): Promise<void> {
    await this.torrents.get(infoHash)?.setFilePriorities(fileIndices, priority)
  }

  getSettings(): EngineSettings {
    return { ...this.settings }
  }

  torrentLog(infoHash: string): LogEntry[] {
    return this.torrents.get(infoHash)?.log.entries() ?? []
  }

  async setSettings(patch: Partial<EngineSettings>): Promise<EngineSettings> {
    if (patch.downloadRoot !== undefined && patch.downloadRoot !== this.settings.downloadRoot) checkDownloadRoot(patch.downloadRoot, this.platform.files.roots())
    const next = mergeSettings(this.settings, patch)
    const portChanged = next.listenPort !== this.settings.listenPort
    this.applySettings(next)
    if (portChanged && this.started && this.opts.listen !== false) {
      this.listener?.close()
      this.listener = null
      // the engine runs on without incoming peers; status() shows no listen port
      await this.openListener().catch((err: unknown) => this.log.error(`listening for peers failed: ${errorText(err)}`))
    }
    await this.session.saveSettings(this.settings).catch((err: unknown) => this.log.warn(`saving settings failed: ${errorText(err)}`))
    return this.getSettings()
  }

  private applySettings(s: EngineSettings): void {
    this.settings = s
    this.downloadBucket.setRate(s.downloadRateLimit)
    this.uploadBucket.setRate(s.uploadRateLimit)
    this.queue.setConnectionRateLimit(s.connectionRatePerSec, s.connectionBurst)
    for (const t of this.torrents.values()) t.pool.setConfig({ maxActiveConnections: s.maxPeersPerTorrent })
  }
}

function folderPaths(files: Platform['files']): { downloadFolderPaths?: Record<string, string> } {
  if (!files.rootPath) return {}
  const out: Record<string, string> = {}
  for (const r of files.roots()) {
    const p = files.rootPath(r)
    if (p) out[r] = p
  }
  return Object.keys(out).length ? { downloadFolderPaths: out } : {}
}

/** Only a folder the helper serves can take downloads; anything else would fail every later add. */
function checkDownloadRoot(root: string, roots: readonly string[]): void {
  if (roots.includes(root)) return
  if (roots.length === 0) throw new Error('The helper is not connected, so the download folder cannot be changed now. Try again once it is connected.')
  throw new Error(`"${root}" is not a download folder of the helper. Choose one of: ${roots.join(', ')}.`)
}

function tryParseMagnet(uri: string): ReturnType<typeof parseMagnet> | null {
  try {
    return parseMagnet(uri)
  } catch {
    return null
  }
}

/** A minimal .torrent around fetched info bytes, so restore can use the same path as files. */
function wrapInfo(infoBytes: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode('d4:info')
  const out = new Uint8Array(head.length + infoBytes.length + 1)
  out.set(head, 0)
  out.set(infoBytes, head.length)
  out[out.length - 1] = 0x65 // 'e'
  return out
}
