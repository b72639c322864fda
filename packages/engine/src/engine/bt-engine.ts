import type {
  AddReport,
  AddTorrentInput,
  EngineSettings,
  QueueMove,
  TorrentSeedLimits,
  EngineStatus,
  FilePriority,
  LogEntry,
  TorrentDetail,
  TorrentSummary,
  TrackerEdit,
} from '../api/types.ts'
import type { ChokerConfig } from '../choke/choker.ts'
import { parseMagnet, toMagnet } from '../magnet/parse-magnet.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import type { Logger, Platform, UdpSocket } from '../platform/ports.ts'
import { ConnectionQueue } from '../queue/connection-queue.ts'
import { savedPeersKey } from '../torrent/saved-peers.ts'
import { Torrent, type TorrentInit } from '../torrent/torrent.ts'
import { applyTrackerEdit } from '../torrent/tracker-edit.ts'
import { sanitizeTiers } from '../tracker/tracker-list.ts'
import type { TorrentContext } from '../torrent/torrent-context.ts'
import { realClock, type Clock } from '../util/clock.ts'
import { createLogger, errorText } from '../util/log.ts'
import { createSkeyLookup } from '../mse/mse-handshake.ts'
import { generatePeerId } from '../wire/peer-id.ts'
import { globalIpv6 } from './global-ipv6.ts'
import { ByteBucket } from './bandwidth.ts'
import { EngineDht } from './engine-dht.ts'
import { EngineLsd } from './engine-lsd.ts'
import { TorrentBook } from './torrent-book.ts'
import type { EngineApiHost } from './engine-api.ts'
import { IncomingRouter, type IncomingLimits } from './incoming-router.ts'
import { listenForPeers, type PeerListeners } from './peer-listener.ts'
import { SessionStore, type SessionEntry } from './session-store.ts'
import { DEFAULT_SETTINGS, mergeSettings } from './settings.ts'
import { PortForwarding } from './port-forwarding.ts'
import type { TorrentStreaming } from '../torrent/torrent-streaming.ts'
import { normalizeLabel } from './torrent-label.ts'
import { TorrentCreator } from '../create/torrent-creator.ts'
import { normalizeSaveDir, TorrentMoves, type SaveFolder } from './torrent-moves.ts'
import { webSeedSources } from '../webseed/webseed-url.ts'
import type { WebSeedSource } from '../webseed/webseed-url.ts'
import { TorrentScheduler } from './torrent-scheduler.ts'
import { AltSpeedScheduler, altSpeedStatus, effectiveRateLimits, type LocalTime } from './alt-speed.ts'
import { rateLimitsEntry } from './rate-limiter.ts'

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
  /** Local time for the alternative-limits schedule (default: this process's time zone; tests fix one). */
  localTime?: (ms: number) => LocalTime
}

export interface AddOptions extends AddTorrentInput {
  /** Verify data on disk instead of trusting resume state (the `seed` command). */
  recheck?: boolean
  /** Added again from the saved session (its folder is where the data is; a pending move resumes). */
  restoring?: boolean
  /** Restored: the folder the download moves to when complete. */
  completeTo?: SaveFolder
  /** When it was first added (a restored torrent keeps its date). */
  addedAt?: number
  /** The tracker list the user edited (restored with the session): replaces the file's or link's. */
  trackerTiers?: string[][]
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
  private listener: PeerListeners | null = null
  /** Local peer discovery (BEP 14), while the settings want it and the platform can multicast. */
  private readonly lsd: EngineLsd
  private readonly router: IncomingRouter
  private started = false
  private connectsInFlight = 0
  private saveChain: Promise<void> = Promise.resolve()
  /** Our global IPv6 address as the last peer to tell us saw it (BEP 10 yourip), for `ipv6=`. */
  private externalIpv6: string | null = null
  private readonly log: Logger
  private readonly forwarding: PortForwarding
  private readonly dhtNode: EngineDht
  private readonly moves: TorrentMoves
  /** Torrents downloading into the incomplete folder: where each goes once complete. */
  private readonly completeTo = new Map<string, SaveFolder>()
  /** The queue (which torrents run) and the seeding limits. */
  private readonly scheduler: TorrentScheduler
  daemonStatus: EngineStatus['daemon'] = 'connected'
  private readonly altSpeed: AltSpeedScheduler
  daemonMessage?: string
  /** Torrent creation from data under the roots, hashed by the platform's PieceHasher. */
  readonly creator: TorrentCreator

  constructor(private readonly opts: BtEngineOptions) {
    this.platform = opts.platform
    this.clock = opts.clock ?? { ...realClock, now: () => opts.platform.now() }
    this.peerId = opts.peerId ?? generatePeerId()
    this.settings = mergeSettings(DEFAULT_SETTINGS, opts.settings ?? {})
    this.session = new SessionStore(opts.platform.state)
    this.creator = new TorrentCreator({
      platform: opts.platform,
      now: () => this.clock.now(),
      add: (input) => this.add(input),
      has: (infoHash) => this.torrents.has(infoHash),
      createdBy: 'Tidepool 0.1',
    })
    this.log = createLogger('engine', { port: opts.platform.log, now: () => this.clock.now() })
    const now = () => this.clock.now()
    const limits = effectiveRateLimits(this.settings)
    this.downloadBucket = new ByteBucket(limits.download, now)
    this.uploadBucket = new ByteBucket(limits.upload, now)
    this.altSpeed = new AltSpeedScheduler({
      clock: this.clock,
      settings: () => this.settings,
      setActive: (on) => {
        this.log.info(`alternative speed limits ${on ? 'on' : 'off'} (schedule)`)
        void this.setSettings({ altSpeedActive: on })
      },
      ...(opts.localTime ? { localTime: opts.localTime } : {}),
    })
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
    this.moves = new TorrentMoves({ files: opts.platform.files, state: opts.platform.state, log: this.log })
    this.forwarding = new PortForwarding(opts.platform.net, this.log)
    this.dhtNode = new EngineDht({
      net: opts.platform.net,
      state: opts.platform.state,
      clock: this.clock,
      log: createLogger('dht', { port: opts.platform.log, now }),
      forward: { map: (s) => this.mapUdp(s), unmap: (s) => this.unmapUdp(s) },
    })
    this.lsd = new EngineLsd({
      net: opts.platform.net,
      logPort: opts.platform.log,
      clock: this.clock,
      wanted: () => this.started && this.settings.localPeerDiscovery,
      torrents: () => {
        const out: string[] = []
        for (const t of this.torrents.values()) if (t.isActive() && t.info?.private !== true) out.push(t.infoHash)
        return out
      },
      listenPort: () => this.listenPort,
      onPeer: (infoHash, ip, port) => void this.torrents.get(infoHash)?.addPeers([{ ip, port }], 'lsd'),
    })
    this.scheduler = new TorrentScheduler(
      {
        torrents: () => this.torrents.values(),
        get: (h) => this.torrents.get(h),
        isPaused: (h) => this.book.paused.get(h) ?? false,
        settings: () => this.settings,
        run: (h) => this.torrents.get(h)?.start() ?? Promise.resolve(),
        queue: async (h) => {
          const t = this.torrents.get(h)
          if (!t) return
          if (!t.isActive()) return t.markQueued()
          this.queue.cancelConnectionRequests(h)
          await t.stop('queued')
        },
        pauseForLimit: (h) => this.stopTorrent(h),
        removeForLimit: (h) => this.remove(h, { deleteData: false }),
        changed: () => void this.saveSession(),
        log: this.log,
      },
      this.clock,
    )
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
    // before the torrents, so their first lookups and handshakes find the node
    await this.dhtNode.start(this.settings, this.listenPort)
    await this.lsd.start()
    void this.forwarding.setEnabled(this.settings.portMapping)
    this.queue.start()
    this.scheduler.start()
    this.altSpeed.start()
    if (this.opts.restoreSession !== false) await this.restore()
  }

  async stop(): Promise<void> {
    if (!this.started) return
    this.started = false
    this.queue.stop()
    this.scheduler.stop()
    this.altSpeed.stop()
    // Torrents first: their 'stopped' (and a pending 'completed') announces carry our listen port, and
    // a tracker refuses port 0.
    // one torrent failing to stop must not keep the others (and the listener) open
    await Promise.all(
      [...this.torrents.values()].map((t) =>
        t.stop().catch((err: unknown) => this.log.warn(`stopping ${t.name} failed: ${errorText(err)}`)),
      ),
    )
    this.lsd.stop()
    // The gateway forgets our port before we stop listening on it.
    await this.forwarding.removeAll()
    this.listener?.close()
    this.listener = null
    await this.dhtNode.stop()
    await this.saveSession()
  }

  /** Local discovery's counters while it runs (tests, diagnostics). */
  localDiscoveryStats(): ReturnType<EngineLsd['stats']> {
    return this.lsd.stats()
  }

  private async openListener(): Promise<void> {
    this.listener = await listenForPeers(
      this.platform.net,
      this.settings.listenPort,
      (socket) => this.router.accept(socket),
      this.log,
      this.settings.utp,
      this.settings.dataPlane && this.platform.dataPlane !== undefined,
    )
    this.log.debug?.(
      `listening for peers on port ${this.listener.port} (${this.listener.hosts.join(', ')}${this.listener.utp ? '; uTP too' : ''})`,
    )
    // one mapping per port: the first listener stands for both families
    const forwarded = this.listener.listeners[0]
    if (forwarded) this.forwarding.add(forwarded)
  }

  /**
   * Forwards a UDP socket's port on the gateway too while port mapping is on (for a component that
   * listens on UDP, e.g. DHT or uTP); the mapping goes when `unmapUdp` is called or the socket closes.
   */
  mapUdp(socket: UdpSocket): void {
    this.forwarding.add(socket)
  }

  unmapUdp(socket: UdpSocket): Promise<void> {
    return this.forwarding.remove(socket)
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
    let savePath = input.savePath ?? this.settings.downloadRoot
    let saveDir = normalizeSaveDir(input.saveDir)
    // A new download (not a restored one, nor data to seed) starts in the incomplete folder when set.
    const incomplete = this.settings.incompleteRoot
    const toIncomplete =
      !input.restoring && !input.recheck && incomplete !== '' && this.platform.files.roots().includes(incomplete)
    const finalFolder = toIncomplete ? { root: savePath, dir: saveDir } : input.completeTo
    if (toIncomplete) {
      savePath = incomplete
      saveDir = this.settings.incompleteDir
    }
    let init: TorrentInit
    let torrentFile: Uint8Array | null = null
    let magnet: string | undefined
    if (input.torrentFile) {
      const meta = await parseMetainfo(input.torrentFile)
      torrentFile = input.torrentFile
      init = {
        infoHash: meta.infoHash,
        info: meta,
        announceTiers: meta.announceTiers,
        savePath,
        saveDir,
        addedAt: input.addedAt ?? this.clock.now(),
        recheck: input.recheck,
        webSeeds: webSeedSources(meta.urlList, meta.httpSeeds),
      }
      if (input.magnet) {
        // A magnet restored with its fetched info dictionary: the link still holds its trackers and peers.
        // A link that no longer parses (or names another torrent) is ignored: the file alone still works.
        const m = tryParseMagnet(input.magnet)
        if (m && m.infoHash === meta.infoHash) {
          magnet = input.magnet
          if (init.announceTiers.length === 0) init.announceTiers = m.trackers.map((u) => [u])
          init.initialPeers = m.peers
          init.webSeeds = webSeedSources([...(meta.urlList ?? []), ...(m.webSeeds ?? [])], meta.httpSeeds)
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
        webSeeds: webSeedSources(m.webSeeds),
        name: m.name,
        selectedFiles: input.selectedFiles ?? m.selectedFiles,
        savePath,
        saveDir,
        addedAt: input.addedAt ?? this.clock.now(),
      }
    } else {
      throw new Error('addTorrent needs a torrent file or a magnet link')
    }
    if (input.trackerTiers) init.announceTiers = input.trackerTiers.map((tier) => [...tier])
    if (input.selectedFiles && init.info) {
      const selected = new Set(input.selectedFiles)
      init.filePriorities = init.info.files.map((_, i) => (selected.has(i) ? 'normal' : 'skip'))
    }
    const existing = this.torrents.get(init.infoHash)
    if (existing) {
      // a link or file naming more web seeds adds them, kept with the session like merged trackers
      if (this.mergeWebSeeds(existing, init.webSeeds ?? [])) void this.saveSession()
      const trackersAdded = existing.addTrackers(init.announceTiers.flat())
      if (trackersAdded > 0) {
        this.book.noteExtraTrackers(existing.infoHash, init.announceTiers.flat())
        if (this.book.trackerLists.has(existing.infoHash))
          this.book.trackerLists.set(existing.infoHash, existing.trackers.tierList())
        void this.saveSession()
      }
      return { torrent: existing, alreadyAdded: true, trackersAdded }
    }
    const t = new Torrent(this.contextFor(), init)
    this.torrents.set(t.infoHash, t)
    this.scheduler.add(t.infoHash)
    this.skeys = null
    // without the saved file the torrent is simply not restored after a restart
    if (torrentFile)
      await this.session
        .saveTorrentFile(t.infoHash, torrentFile)
        .catch((err: unknown) => this.log.warn(`saving the torrent file of ${t.name} failed: ${errorText(err)}`))
    this.book.magnets.set(t.infoHash, magnet)
    this.book.paused.set(t.infoHash, !!input.paused)
    if (finalFolder) this.completeTo.set(t.infoHash, finalFolder)
    void this.saveSession()
    // A move begun before a restart is finished before the torrent runs again.
    if (input.restoring && (await this.moves.pending(t.infoHash)))
      void this.moves
        .resume(t, { restart: !input.paused })
        .catch((err: unknown) => this.log.warn(`finishing the move of ${t.name} failed: ${errorText(err)}`))
    else if (!input.paused) {
      // the queue starts it, or shows it queued behind the others
      await this.scheduler.apply()
      // restored complete in the incomplete folder (stopped before its move): it moves now
      if (finalFolder) this.onTorrentChanged(t.infoHash)
    }
    return { torrent: t, alreadyAdded: false, trackersAdded: 0 }
  }

  /** Magnet, paused, merged trackers and web seeds, edited trackers, label: saved with the session. */
  private readonly book = new TorrentBook()

  /** Web seeds beyond the torrent's own, noted to be saved with the session; true when any was new. */
  private mergeWebSeeds(t: Torrent, sources: readonly WebSeedSource[]): boolean {
    const added = sources.filter((ws) => t.webSeeds.add(ws))
    this.book.noteExtraWebSeeds(t.infoHash, added)
    return added.length > 0
  }

  getTorrent(infoHashHex: string): Torrent | undefined {
    return this.torrents.get(infoHashHex.toLowerCase())
  }

  list(): Torrent[] {
    return [...this.torrents.values()]
  }

  async remove(infoHash: string, opts: { deleteData: boolean } = { deleteData: false }): Promise<void> {
    const t = this.torrents.get(infoHash)
    if (!t) return
    // its files are between two folders until the move ends: removing (or deleting) now would lose track
    if (this.moves.progress(infoHash)) throw new Error(`${t.name} is being moved: remove it when the move is done`)
    this.torrents.delete(infoHash)
    this.skeys = null
    this.scheduler.remove(infoHash)
    this.queue.cancelConnectionRequests(infoHash)
    await t.stop()
    // the torrent is gone from the session either way; leftovers only cost space
    if (opts.deleteData)
      await t
        .deleteData()
        .catch((err: unknown) => this.log.warn(`deleting the data of ${t.name} failed: ${errorText(err)}`))
    await this.session
      .deleteTorrentFile(infoHash)
      .catch((err: unknown) =>
        this.log.debug?.(`deleting the saved torrent file of ${infoHash} failed: ${errorText(err)}`),
      )
    await this.platform.state
      .delete(`resume/${infoHash}`)
      .catch((err: unknown) => this.log.debug?.(`deleting the resume state of ${infoHash} failed: ${errorText(err)}`))
    await this.platform.state
      .delete(savedPeersKey(infoHash))
      .catch((err: unknown) => this.log.debug?.(`deleting the saved peers of ${infoHash} failed: ${errorText(err)}`))
    this.book.forget(infoHash)
    this.completeTo.delete(infoHash)
    await this.moves.forget(infoHash).catch(() => undefined) // only a journal key: nothing to tell
    await this.saveSession()
    // its place in the queue is free
    void this.scheduler.apply()
  }

  private async restore(): Promise<void> {
    const entries = await this.session.loadEntries().catch((err: unknown) => {
      this.log.warn(`loading the saved session failed, starting empty: ${errorText(err)}`)
      return [] as SessionEntry[]
    })
    // in queue order, so the queue starts the first ones as they come back
    entries.sort((a, b) => (a.queuePosition ?? Infinity) - (b.queuePosition ?? Infinity))
    for (const e of entries) {
      this.scheduler.preload(e.infoHash, e.schedule)
      const addedAt = typeof e.addedAt === 'number' && e.addedAt > 0 ? e.addedAt : undefined
      // Set before adding: adding saves the session, and that save must already carry the label.
      const label = normalizeLabel(e.label)
      if (label) this.book.labels.set(e.infoHash, label)
      const where = { savePath: e.savePath, saveDir: e.saveDir, completeTo: e.completeTo }
      const edited = sanitizeTiers(e.trackers)
      if (edited) this.book.trackerLists.set(e.infoHash, edited)
      const tiers = edited ? { trackerTiers: edited } : {}
      try {
        const file = await this.session.loadTorrentFile(e.infoHash)
        const t = file
          ? await this.add({
              torrentFile: file,
              magnet: e.magnet,
              ...where,
              paused: e.paused,
              restoring: true,
              addedAt,
              ...tiers,
            })
          : e.magnet
            ? await this.add({ magnet: e.magnet, ...where, paused: e.paused, restoring: true, addedAt, ...tiers })
            : null
        if (!t) this.book.forget(e.infoHash)
        t?.restoreTotals({ downloaded: e.downloadedTotal, uploaded: e.uploadedTotal })
        // paused or queued, it opens no storage yet: the list shows its size and progress from the record
        await t?.loadSavedProgress()
        if (t) t.streaming.restoreOptions(e)
        if (t && e.rateLimits) t.rateLimits.set(e.rateLimits)
        if (t) this.mergeWebSeeds(t, savedWebSeeds(e.extraWebSeeds))
        if (t && !edited && e.extraTrackers?.length) {
          t.addTrackers(e.extraTrackers)
          this.book.noteExtraTrackers(t.infoHash, e.extraTrackers)
        }
        if (t && e.filePriorities) {
          for (let i = 0; i < e.filePriorities.length; i++) {
            if (e.filePriorities[i] !== 'normal') await t.setFilePriority(i, e.filePriorities[i] as FilePriority)
          }
        }
      } catch (err) {
        // one bad entry must not stop the rest
        if (!this.torrents.has(e.infoHash)) this.book.forget(e.infoHash)
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
        ...(t.saveDir ? { saveDir: t.saveDir } : {}),
        ...(this.completeTo.has(t.infoHash) ? { completeTo: this.completeTo.get(t.infoHash) } : {}),
        ...this.book.entryFields(t.infoHash),
        addedAt: t.addedAt,
        ...(prios?.some((p) => p !== 'normal') ? { filePriorities: prios } : {}),
        uploadedTotal: t.uploadedTotal,
        downloadedTotal: t.downloadedTotal,
        queuePosition: this.scheduler.position(t.infoHash),
        ...(this.scheduler.record(t.infoHash) ? { schedule: this.scheduler.record(t.infoHash) } : {}),
        ...t.streaming.savedOptions(),
        ...rateLimitsEntry(t.rateLimits.get()),
      }
    })
    // the next change saves the whole session again
    this.saveChain = this.saveChain
      .then(() => this.session.saveEntries(entries))
      .catch((err: unknown) => this.log.warn(`saving the session failed: ${errorText(err)}`))
    return this.saveChain
  }

  private onTorrentChanged(infoHash: string): void {
    const t = this.torrents.get(infoHash)
    const dest = this.completeTo.get(infoHash)
    if (t && dest && t.isComplete() && !this.moves.progress(infoHash)) void this.moveCompleted(t, dest)
    if (t?.info && this.book.magnets.get(infoHash)) {
      // A magnet's metadata arrived: keep the info dictionary so a restart does not fetch it again.
      void this.session
        .saveTorrentFile(infoHash, wrapInfo(t.info.infoBytes))
        .catch((err: unknown) => this.log.warn(`saving the fetched metadata of ${t.name} failed: ${errorText(err)}`))
    }
    this.scheduler.noteChanged(infoHash)
    void this.saveSession()
  }

  /** A download in the incomplete folder finished: its data goes to the folder chosen when adding. */
  private async moveCompleted(t: Torrent, dest: SaveFolder): Promise<void> {
    try {
      await this.moves.move(t, dest)
      this.completeTo.delete(t.infoHash)
      void this.saveSession()
    } catch (err) {
      this.log.warn(`moving ${t.name} from the incomplete folder failed: ${errorText(err)}`)
    }
  }

  async moveTorrent(infoHash: string, root: string, dir: string): Promise<void> {
    const t = this.torrents.get(infoHash)
    if (!t) throw new Error(`unknown torrent ${infoHash}`)
    // a move chosen by the user replaces the move planned for completion
    this.completeTo.delete(infoHash)
    await this.moves.move(t, { root, dir })
    void this.saveSession()
  }

  async refreshFolders(): Promise<string[]> {
    await this.platform.files.refreshRoots?.()
    return this.platform.files.roots()
  }

  async revokeFolder(root: string): Promise<void> {
    if (!this.platform.files.revokeRoot) throw new Error('the helper cannot remove folders; edit its config.json')
    const users = [...this.torrents.values()].filter((t) => t.savePath === root).map((t) => t.name)
    if (users.length) throw new Error(`${users.length} torrent(s) keep their data there (${users[0]}): move them first`)
    await this.platform.files.revokeRoot(root)
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
    const next = mergeSettings(this.settings, {
      connectionRatePerSec: rate,
      connectionBurst: burst !== undefined && burst > 0 ? burst : 2 * rate,
    })
    this.applySettings(next)
    void this.session
      .saveSettings(this.settings)
      .catch((err: unknown) => this.log.warn(`saving settings failed: ${errorText(err)}`))
  }

  getConnectionQueueStats(): {
    pendingByTorrent: Record<string, number>
    totalPending: number
    rateLimiterAvailable: number
  } {
    return this.queue.getConnectionQueueStats()
  }

  /** connected + connecting over every torrent. */
  activeConnections(): number {
    let n = 0
    for (const t of this.torrents.values()) n += t.sessions.size + t.connectingCount()
    return n
  }

  /** MSE's SKEY lookup for incoming peers: HASH('req2', info-hash) of every torrent we have. */
  lookupSkey(req2: Uint8Array): Uint8Array | undefined {
    this.skeys ??= createSkeyLookup([...this.torrents.values()].map((t) => t.infoHashBytes))
    return this.skeys(req2)
  }

  private skeys: ((req2: Uint8Array) => Uint8Array | undefined) | null = null

  /** Incoming connections our encryption policy refused (plain while required, MSE while disabled). */
  incomingRefusedByEncryption(): number {
    return this.router.refusedByEncryption
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
      announceIpv6: () => this.settings.announceIpv6 || this.externalIpv6 || undefined,
      noteExternalAddress: (ip) => {
        const v6 = globalIpv6(ip)
        if (v6) this.externalIpv6 = v6
      },
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
      dht: () => (this.dhtNode.running ? this.dhtNode : null),
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
      portMapping: this.forwarding.status(),
      dht: this.dhtNode.status(),
      downloadFolders: this.platform.files.roots(),
      ...folderPaths(this.platform.files),
      altSpeed: altSpeedStatus(this.settings),
    }
  }

  /** The DHT node runs (handshakes set the DHT bit). */
  dhtRunning(): boolean {
    return this.dhtNode.running
  }

  summaries(): TorrentSummary[] {
    return [...this.torrents.values()].map((t) => {
      const s = { ...t.summary(), ...this.scheduleSummary(t) }
      const label = this.book.labels.get(t.infoHash)
      const { download, upload } = t.rateLimits.get()
      return {
        ...s,
        ...(label ? { label } : {}),
        ...(download > 0 ? { downloadLimit: download } : {}),
        ...(upload > 0 ? { uploadLimit: upload } : {}),
        ...this.moveFields(t.infoHash),
      }
    })
  }

  /** A torrent's move in progress, a failed move (shown as its error), its folder for completion. */
  private moveFields(infoHash: string): Partial<TorrentSummary> {
    const moving = this.moves.progress(infoHash)
    const failed = this.moves.failure(infoHash)
    const dest = this.completeTo.get(infoHash)
    return {
      ...(moving ? { moving } : {}),
      ...(failed && !moving ? { status: 'error' as const, error: failed } : {}),
      ...(dest ? { completeTo: { ...dest } } : {}),
    }
  }

  /** The queue's and the seeding limits' part of a summary row. */
  private scheduleSummary(t: Torrent): Partial<TorrentSummary> {
    const rec = this.scheduler.record(t.infoHash)
    return {
      queuePosition: this.scheduler.position(t.infoHash),
      ...(rec
        ? {
            forced: rec.forced,
            seedingTimeSec: Math.floor(rec.seedingMs / 1000),
            seedLimits: { ...rec.limits },
            ...(rec.completedAt !== undefined ? { completedAt: rec.completedAt } : {}),
          }
        : {}),
    }
  }

  async moveInQueue(infoHashes: string[], to: QueueMove): Promise<void> {
    this.scheduler.move(infoHashes, to)
    await this.scheduler.apply()
  }

  async setForceStart(infoHash: string, forced: boolean): Promise<void> {
    if (!this.torrents.has(infoHash)) throw new Error(`unknown torrent ${infoHash}`)
    this.scheduler.setForced(infoHash, forced)
    if (forced) return this.startTorrent(infoHash)
    await this.scheduler.apply()
  }

  async setSeedLimits(infoHash: string, limits: Partial<TorrentSeedLimits>): Promise<void> {
    this.scheduler.setLimits(infoHash, limits)
  }

  /** A torrent's play-while-downloading side (sequential, first/last pieces, streams). */
  streaming(infoHash: string): TorrentStreaming {
    const t = this.torrents.get(infoHash)
    if (!t) throw new Error(`unknown torrent ${infoHash}`)
    return t.streaming
  }

  async setTorrentLabel(infoHash: string, label: string | null): Promise<void> {
    const t = this.torrents.get(infoHash)
    if (!t) throw new Error(`unknown torrent ${infoHash}`)
    const clean = normalizeLabel(label)
    if (clean === this.book.labels.get(infoHash)) return
    if (clean) this.book.labels.set(infoHash, clean)
    else this.book.labels.delete(infoHash)
    await this.saveSession()
  }

  async setTorrentRateLimits(infoHash: string, limits: { download: number; upload: number }): Promise<void> {
    const t = this.torrents.get(infoHash)
    if (!t) throw new Error(`unknown torrent ${infoHash}`)
    t.rateLimits.set(limits)
    await this.saveSession()
  }

  async editTrackers(infoHash: string, edit: TrackerEdit): Promise<void> {
    const t = this.torrents.get(infoHash)
    if (!t) throw new Error(`unknown torrent ${infoHash}`)
    if (!applyTrackerEdit(t.trackers, edit)) return
    this.book.trackerLists.set(infoHash, t.trackers.tierList())
    this.book.extraTrackers.delete(infoHash) // the edited list holds them
    await this.saveSession()
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
    return {
      infoHash: r.torrent.infoHash,
      name: r.torrent.name,
      alreadyAdded: r.alreadyAdded,
      trackersAdded: r.trackersAdded,
    }
  }

  removeTorrent(infoHash: string, opts: { deleteData: boolean }): Promise<void> {
    return this.remove(infoHash, opts)
  }

  async startTorrent(infoHash: string): Promise<void> {
    const t = this.torrents.get(infoHash)
    if (!t) return
    this.book.paused.set(infoHash, false)
    if (this.moves.progress(infoHash)) return // the move starts it again from the new folder
    if (await this.moves.pending(infoHash)) {
      // a move that failed half-way is finished first: the torrent runs from the new folder
      await this.moves.resume(t, { restart: true })
      void this.saveSession()
      return
    }
    // queued until the queue runs it; an error is cleared, so Start retries what failed
    t.markQueued()
    await this.scheduler.apply()
    void this.saveSession()
  }

  async stopTorrent(infoHash: string): Promise<void> {
    const t = this.torrents.get(infoHash)
    if (!t) return
    this.book.paused.set(infoHash, true)
    this.scheduler.setForced(infoHash, false)
    this.queue.cancelConnectionRequests(infoHash)
    await t.stop()
    void this.saveSession()
    // its place in the queue is free
    void this.scheduler.apply()
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

  magnetLink(infoHash: string): string {
    const t = this.torrents.get(infoHash)
    if (!t) throw new Error(`unknown torrent ${infoHash}`)
    const trackers = [...new Set(t.trackers.rows().map((r) => r.url))]
    // a magnet's name before its metadata is the info-hash itself: no dn then
    return toMagnet({ infoHash, ...(t.name !== infoHash ? { name: t.name } : {}), trackers })
  }

  torrentLog(infoHash: string): LogEntry[] {
    return this.torrents.get(infoHash)?.log.entries() ?? []
  }

  async setSettings(patch: Partial<EngineSettings>): Promise<EngineSettings> {
    if (patch.downloadRoot !== undefined && patch.downloadRoot !== this.settings.downloadRoot)
      checkDownloadRoot(patch.downloadRoot, this.platform.files.roots())
    const next = mergeSettings(this.settings, patch)
    const portChanged = next.listenPort !== this.settings.listenPort
    const prev = this.settings
    const lsdChanged = next.localPeerDiscovery !== prev.localPeerDiscovery
    const dhtChanged =
      next.dhtEnabled !== prev.dhtEnabled ||
      next.dhtPort !== prev.dhtPort ||
      next.dhtBootstrap.join() !== prev.dhtBootstrap.join() ||
      (portChanged && next.dhtPort === 0)
    const scheduleChanged =
      next.altScheduleEnabled !== prev.altScheduleEnabled ||
      next.altScheduleFrom !== prev.altScheduleFrom ||
      next.altScheduleTo !== prev.altScheduleTo ||
      next.altScheduleDays.join() !== prev.altScheduleDays.join()
    this.applySettings(next)
    if (scheduleChanged) this.altSpeed.reset()
    if (lsdChanged) {
      if (next.localPeerDiscovery) await this.lsd.start()
      else this.lsd.stop()
    }
    if (this.started) await this.forwarding.setEnabled(next.portMapping)
    if (portChanged && this.started && this.opts.listen !== false) {
      const forwarded = this.listener?.listeners[0]
      if (forwarded) await this.forwarding.remove(forwarded)
      this.listener?.close()
      this.listener = null
      // the engine runs on without incoming peers; status() shows no listen port
      await this.openListener().catch((err: unknown) => this.log.error(`listening for peers failed: ${errorText(err)}`))
    }
    if (dhtChanged && this.started) {
      await this.dhtNode.stop()
      await this.dhtNode.start(this.settings, this.listenPort)
    }
    await this.session
      .saveSettings(this.settings)
      .catch((err: unknown) => this.log.warn(`saving settings failed: ${errorText(err)}`))
    return this.getSettings()
  }

  private applySettings(s: EngineSettings): void {
    this.settings = s
    const limits = effectiveRateLimits(s)
    this.downloadBucket.setRate(limits.download)
    this.uploadBucket.setRate(limits.upload)
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
  if (roots.length === 0)
    throw new Error(
      'The helper is not connected, so the download folder cannot be changed now. Try again once it is connected.',
    )
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

/** Web seeds from a saved session entry, checked again (the state store is not trusted to be well formed). */
function savedWebSeeds(saved: unknown): WebSeedSource[] {
  if (!Array.isArray(saved)) return []
  const urls = (kind: string) =>
    saved.filter((w) => w && typeof w.url === 'string' && w.kind === kind).map((w) => w.url as string)
  return webSeedSources(urls('url-list'), urls('httpseeds'))
}
