/**
 * Owns the engine inside the worker: connects to the daemon, (re)creates the engine on top of the
 * bridge, and answers the UI's EngineApi calls in every state — before the daemon is reachable too,
 * so the UI can show "not running" / "wrong token" instead of hanging.
 */
import type { BridgeCloseReason } from '@tidepool/daemon-bridge'
import type { DaemonChooser, DaemonInUse, DaemonKind } from './daemon-chooser.ts'
import type {
  CreateTorrentInput,
  EngineApi,
  EngineSettings,
  EngineStatus,
  FilePriority,
  AddTorrentInput,
  TorrentDetail,
  TorrentSeedLimits,
  QueueMove,
  Platform,
  StateStore,
  TrackerEdit,
} from '@tidepool/engine'

export interface BridgeLike {
  net: Platform['net']
  files: Platform['files']
  /** Local URLs for players (a daemon with stream-http). */
  streams?: Platform['streams']
  /** Piece payloads kept in the daemon (a daemon with data-plane). */
  readonly dataPlane?: Platform['dataPlane']
  close(): void
  onClose: ((reason: BridgeCloseReason, detail: string) => void) | null
}

export interface RunningEngine {
  api: EngineApi
  close(): Promise<void>
}

export interface EngineHostDeps {
  connect(url: string, token: string): Promise<BridgeLike>
  /** Local helper or paired companion (daemon-chooser.ts); absent: always the local helper. */
  chooser?: Pick<DaemonChooser, 'pair' | 'setUse' | 'forget' | 'status' | 'inUse'>
  createEngine(platform: Platform): Promise<RunningEngine>
  state: StateStore
  now(): number
  setTimer(fn: () => void, ms: number): () => void
}

type DaemonState = EngineStatus['daemon']

export interface InitOptions {
  daemonUrl: string
  token: string
}

const RETRY_MS = [1000, 2000, 4000, 8000, 10_000]

export class EngineHost implements EngineApi {
  private daemon: DaemonState = 'connecting'
  private message: string | undefined
  private running: RunningEngine | null = null
  private bridge: BridgeLike | null = null
  private opts: InitOptions | null = null
  private attempt = 0
  private cancelRetry: (() => void) | null = null
  private generation = 0

  constructor(private deps: EngineHostDeps) {}

  /** Connect (or reconnect with a new token). Resolves when the first attempt has finished. */
  async init(opts: InitOptions): Promise<EngineStatus> {
    this.opts = opts
    this.attempt = 0
    await this.teardown()
    await this.tryConnect()
    return this.getStatus()
  }

  /** The extension reports "helper not installed" (connectNative failed) through this. */
  async setUnavailable(state: 'not-installed' | 'unreachable', message: string): Promise<void> {
    // The engine runs on a companion: the local helper being missing does not concern it. A choice
    // that cannot be read, or not within 2 s (its IndexedDB store failing or slow to open in a fresh
    // profile), counts as the local helper, so the page says why at once instead of "Connecting…".
    const use = this.deps.chooser
      ? await Promise.race([
          this.deps.chooser.inUse().catch(() => 'local' as const),
          new Promise<'local'>((resolve) => this.deps.setTimer(() => resolve('local'), 2000)),
        ])
      : undefined
    if (use === 'companion') {
      if (!this.running && !this.opts) await this.reconnect()
      return
    }
    await this.teardown()
    this.opts = null
    this.daemon = state
    this.message = message
  }

  /**
   * The web app's helper was restarted (it serves a new daemon address): this page cannot use it until
   * it has the new login link, so stop retrying the old address and say so (shown as "restarted").
   */
  async markRestarted(): Promise<void> {
    await this.teardown()
    this.opts = null
    this.daemon = 'auth-failed'
    this.message = undefined
  }

  /** Which daemon is in use (local helper or companion), its round trip and folders. */
  async daemonInUse(): Promise<DaemonInUse | null> {
    return this.deps.chooser ? this.deps.chooser.status() : null
  }

  /** Pairs with a companion (address and the code it printed), then runs the engine there. */
  async pairCompanion(address: string, code: string, clientName: string): Promise<{ name: string; url: string }> {
    if (!this.deps.chooser) throw new Error('companions are not available here')
    const r = await this.deps.chooser.pair(address, code, clientName)
    await this.reconnect()
    return r
  }

  /** Switches between the local helper and the paired companion. */
  async useDaemon(kind: DaemonKind): Promise<void> {
    await this.deps.chooser?.setUse(kind)
    await this.reconnect()
  }

  async forgetCompanion(): Promise<void> {
    await this.deps.chooser?.forget()
    await this.reconnect()
  }

  /** The engine moves to the daemon now in use (its torrents' state is saved; the new daemon resumes them). */
  private async reconnect(): Promise<void> {
    // No local helper was ever given (the extension without its native host): a companion needs none.
    if (!this.opts && (await this.deps.chooser?.inUse()) === 'companion') this.opts = { daemonUrl: '', token: '' }
    if (!this.opts) return
    this.attempt = 0
    await this.teardown()
    await this.tryConnect()
  }

  private async teardown(): Promise<void> {
    this.generation++
    this.cancelRetry?.()
    this.cancelRetry = null
    const r = this.running
    const b = this.bridge
    this.running = null
    this.bridge = null
    // an engine that fails to close is being replaced anyway; its torrents' state was saved as it ran
    if (r) await r.close().catch(() => undefined)
    if (b) {
      b.onClose = null
      b.close()
    }
  }

  private async tryConnect(): Promise<void> {
    const opts = this.opts
    if (!opts) return
    const gen = this.generation
    this.daemon = 'connecting'
    try {
      const bridge = await this.deps.connect(opts.daemonUrl, opts.token)
      if (gen !== this.generation) {
        bridge.close()
        return
      }
      this.bridge = bridge
      const engine = await this.deps.createEngine({
        net: bridge.net,
        files: bridge.files,
        ...(bridge.streams ? { streams: bridge.streams } : {}),
        ...(bridge.dataPlane ? { dataPlane: bridge.dataPlane } : {}),
        state: this.deps.state,
        now: this.deps.now,
      })
      if (gen !== this.generation) {
        await engine.close()
        return
      }
      this.running = engine
      this.daemon = 'connected'
      this.message = undefined
      this.attempt = 0
      bridge.onClose = (reason, detail) => {
        if (gen !== this.generation) return
        void this.onBridgeLost(reason, detail)
      }
    } catch (e) {
      if (gen !== this.generation) return
      const code = (e as { code?: string }).code
      this.message = e instanceof Error ? e.message : String(e)
      if (code === 'auth') {
        this.daemon = 'auth-failed'
        return
      }
      this.daemon = 'unreachable'
      this.scheduleRetry()
    }
  }

  private async onBridgeLost(reason: BridgeCloseReason, detail: string): Promise<void> {
    const r = this.running
    this.running = null
    this.bridge = null
    // the daemon is gone, so closing the engine's files and sockets can fail: nothing is left to release
    if (r) await r.close().catch(() => undefined)
    this.message = `${reason}: ${detail}`
    if (reason === 'auth-failed') {
      this.daemon = 'auth-failed'
      return
    }
    this.daemon = 'unreachable'
    this.scheduleRetry()
  }

  private scheduleRetry(): void {
    const gen = this.generation
    const ms = RETRY_MS[Math.min(this.attempt++, RETRY_MS.length - 1)]!
    this.cancelRetry = this.deps.setTimer(() => {
      if (gen === this.generation) void this.tryConnect()
    }, ms)
  }

  private engine(): EngineApi {
    if (!this.running)
      throw new Error(
        this.daemon === 'auth-failed'
          ? 'The Tidepool helper was restarted: open the new link it printed.'
          : 'The Tidepool helper is not connected.',
      )
    return this.running.api
  }

  async getStatus(): Promise<EngineStatus> {
    if (this.running) return { ...(await this.running.api.getStatus()), daemon: 'connected' }
    return {
      daemon: this.daemon,
      ...(this.message ? { message: this.message } : {}),
      listenPort: null,
      downloadRate: 0,
      uploadRate: 0,
    }
  }
  async listTorrents() {
    return this.running ? this.running.api.listTorrents() : []
  }
  async getTorrentDetail(infoHash: string, parts: Array<keyof TorrentDetail>) {
    return this.engine().getTorrentDetail(infoHash, parts)
  }
  async addTorrent(input: AddTorrentInput) {
    return this.engine().addTorrent(input)
  }
  async addTorrentReport(input: AddTorrentInput) {
    return this.engine().addTorrentReport(input)
  }
  async removeTorrent(infoHash: string, opts: { deleteData: boolean }) {
    return this.engine().removeTorrent(infoHash, opts)
  }
  async startTorrent(infoHash: string) {
    return this.engine().startTorrent(infoHash)
  }
  async stopTorrent(infoHash: string) {
    return this.engine().stopTorrent(infoHash)
  }
  async recheckTorrent(infoHash: string) {
    return this.engine().recheckTorrent(infoHash)
  }
  async setFilePriority(infoHash: string, fileIndex: number, priority: FilePriority) {
    return this.engine().setFilePriority(infoHash, fileIndex, priority)
  }
  async setFilePriorities(infoHash: string, fileIndices: number[], priority: FilePriority) {
    return this.engine().setFilePriorities(infoHash, fileIndices, priority)
  }
  async getSettings(): Promise<EngineSettings> {
    return this.engine().getSettings()
  }
  async setSettings(patch: Partial<EngineSettings>) {
    return this.engine().setSettings(patch)
  }
  async torrentLog(infoHash: string) {
    return this.engine().torrentLog(infoHash)
  }
  async magnetLink(infoHash: string) {
    return this.engine().magnetLink(infoHash)
  }
  async setTorrentLabel(infoHash: string, label: string | null) {
    return this.engine().setTorrentLabel(infoHash, label)
  }
  async createTorrent(input: CreateTorrentInput) {
    return this.engine().createTorrent(input)
  }
  async createTorrentStatus(id: number) {
    return this.engine().createTorrentStatus(id)
  }
  async cancelCreateTorrent(id: number) {
    return this.engine().cancelCreateTorrent(id)
  }
  async browseFolder(root: string, path: string) {
    return this.engine().browseFolder(root, path)
  }
  async moveTorrent(infoHash: string, root: string, dir: string) {
    return this.engine().moveTorrent(infoHash, root, dir)
  }
  async refreshFolders() {
    return this.engine().refreshFolders()
  }
  async revokeFolder(root: string) {
    return this.engine().revokeFolder(root)
  }
  async moveInQueue(infoHashes: string[], to: QueueMove) {
    return this.engine().moveInQueue(infoHashes, to)
  }
  async setForceStart(infoHash: string, forced: boolean) {
    return this.engine().setForceStart(infoHash, forced)
  }
  async setSeedLimits(infoHash: string, limits: Partial<TorrentSeedLimits>) {
    return this.engine().setSeedLimits(infoHash, limits)
  }
  async setSequential(infoHash: string, on: boolean) {
    return this.engine().setSequential(infoHash, on)
  }
  async setFirstLastPiecesFirst(infoHash: string, on: boolean) {
    return this.engine().setFirstLastPiecesFirst(infoHash, on)
  }
  async openStream(infoHash: string, fileIndex: number) {
    return this.engine().openStream(infoHash, fileIndex)
  }
  async closeStream(infoHash: string, fileIndex: number) {
    return this.engine().closeStream(infoHash, fileIndex)
  }
  async editTrackers(infoHash: string, edit: TrackerEdit) {
    return this.engine().editTrackers(infoHash, edit)
  }
  async setTorrentRateLimits(infoHash: string, limits: { download: number; upload: number }) {
    return this.engine().setTorrentRateLimits(infoHash, limits)
  }
}
