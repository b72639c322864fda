import type {
  AddReport,
  AddTorrentInput,
  EngineApi,
  EngineSettings,
  EngineStatus,
  FilePriority,
  LogEntry,
  QueueMove,
  TorrentDetail,
  TorrentSeedLimits,
  TorrentSummary,
  TrackerEdit,
} from '../api/types.ts'
import type { TorrentCreator } from '../create/torrent-creator.ts'
import type { TorrentStreaming } from '../torrent/torrent-streaming.ts'

/** What the API adapter needs from the engine (BtEngine implements it). */
export interface EngineApiHost {
  status(): EngineStatus
  summaries(): TorrentSummary[]
  detail(infoHash: string, parts: Array<keyof TorrentDetail>): Partial<TorrentDetail>
  addTorrent(input: AddTorrentInput): Promise<string>
  addTorrentReport(input: AddTorrentInput): Promise<AddReport>
  removeTorrent(infoHash: string, opts: { deleteData: boolean }): Promise<void>
  startTorrent(infoHash: string): Promise<void>
  stopTorrent(infoHash: string): Promise<void>
  recheckTorrent(infoHash: string): Promise<void>
  setFilePriority(infoHash: string, fileIndex: number, priority: FilePriority): Promise<void>
  setFilePriorities(infoHash: string, fileIndices: number[], priority: FilePriority): Promise<void>
  getSettings(): EngineSettings
  setSettings(patch: Partial<EngineSettings>): Promise<EngineSettings>
  /** A torrent's recent log lines, oldest first ([] for an unknown torrent). */
  torrentLog(infoHash: string): LogEntry[]
  magnetLink(infoHash: string): string
  setTorrentLabel(infoHash: string, label: string | null): Promise<void>
  readonly creator: Pick<TorrentCreator, 'start' | 'status' | 'cancel' | 'browse'>
  moveTorrent(infoHash: string, root: string, dir: string): Promise<void>
  refreshFolders(): Promise<string[]>
  revokeFolder(root: string): Promise<void>
  moveInQueue(infoHashes: string[], to: QueueMove): Promise<void>
  setForceStart(infoHash: string, forced: boolean): Promise<void>
  setSeedLimits(infoHash: string, limits: Partial<TorrentSeedLimits>): Promise<void>
  streaming(infoHash: string): TorrentStreaming
  editTrackers(infoHash: string, edit: TrackerEdit): Promise<void>
  setTorrentRateLimits(infoHash: string, limits: { download: number; upload: number }): Promise<void>
}

/**
 * The UI-facing API: plain structured-clone-able data only, so it can cross comlink. Copies are
 * made here so the UI never holds live engine objects (a Uint8Array view is copied too).
 */
export function createEngineApi(engine: EngineApiHost): EngineApi {
  return {
    async getStatus() {
      return { ...engine.status() }
    },
    async listTorrents() {
      return engine.summaries().map((s) => ({ ...s }))
    },
    async getTorrentDetail(infoHash, parts) {
      const d = engine.detail(infoHash.toLowerCase(), parts)
      if (d.pieces) d.pieces = { ...d.pieces, states: d.pieces.states.slice() }
      return d
    },
    addTorrent: (input) => engine.addTorrent(input),
    addTorrentReport: (input) => engine.addTorrentReport(input),
    removeTorrent: (infoHash, opts) => engine.removeTorrent(infoHash.toLowerCase(), { deleteData: !!opts?.deleteData }),
    startTorrent: (infoHash) => engine.startTorrent(infoHash.toLowerCase()),
    stopTorrent: (infoHash) => engine.stopTorrent(infoHash.toLowerCase()),
    recheckTorrent: (infoHash) => engine.recheckTorrent(infoHash.toLowerCase()),
    setFilePriority: (infoHash, fileIndex, priority) =>
      engine.setFilePriority(infoHash.toLowerCase(), fileIndex, priority),
    setFilePriorities: (infoHash, fileIndices, priority) =>
      engine.setFilePriorities(infoHash.toLowerCase(), fileIndices, priority),
    async getSettings() {
      return { ...engine.getSettings() }
    },
    setSettings: (patch) => engine.setSettings(patch),
    async torrentLog(infoHash) {
      return engine.torrentLog(infoHash.toLowerCase())
    },
    async magnetLink(infoHash) {
      return engine.magnetLink(infoHash.toLowerCase())
    },
    setTorrentLabel: (infoHash, label) => engine.setTorrentLabel(infoHash.toLowerCase(), label),
    async createTorrent(input) {
      return engine.creator.start(input)
    },
    async createTorrentStatus(id) {
      return engine.creator.status(id)
    },
    async cancelCreateTorrent(id) {
      engine.creator.cancel(id)
    },
    browseFolder: (root, path) => engine.creator.browse(root, path),
    moveTorrent: (infoHash, root, dir) => engine.moveTorrent(infoHash.toLowerCase(), root, dir),
    refreshFolders: () => engine.refreshFolders(),
    revokeFolder: (root) => engine.revokeFolder(root),
    moveInQueue: (infoHashes, to) =>
      engine.moveInQueue(
        infoHashes.map((h) => h.toLowerCase()),
        to,
      ),
    setForceStart: (infoHash, forced) => engine.setForceStart(infoHash.toLowerCase(), !!forced),
    setSeedLimits: (infoHash, limits) => engine.setSeedLimits(infoHash.toLowerCase(), { ...limits }),
    async setSequential(infoHash, on) {
      engine.streaming(infoHash.toLowerCase()).setSequential(on)
    },
    async setFirstLastPiecesFirst(infoHash, on) {
      engine.streaming(infoHash.toLowerCase()).setFirstLastPiecesFirst(on)
    },
    openStream: (infoHash, fileIndex) => engine.streaming(infoHash.toLowerCase()).openStream(fileIndex),
    async closeStream(infoHash, fileIndex) {
      engine.streaming(infoHash.toLowerCase()).closeStream(fileIndex)
    },
    editTrackers: (infoHash, edit) => engine.editTrackers(infoHash.toLowerCase(), edit),
    setTorrentRateLimits: (infoHash, limits) =>
      engine.setTorrentRateLimits(infoHash.toLowerCase(), { download: limits.download, upload: limits.upload }),
  }
}
