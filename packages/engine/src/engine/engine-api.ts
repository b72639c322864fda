import type {
  AddReport,
  AddTorrentInput,
  EngineApi,
  EngineSettings,
  EngineStatus,
  FilePriority,
  LogEntry,
  TorrentDetail,
  TorrentSummary,
  TrackerEdit,
} from '../api/types.ts'

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
    editTrackers: (infoHash, edit) => engine.editTrackers(infoHash.toLowerCase(), edit),
    setTorrentRateLimits: (infoHash, limits) =>
      engine.setTorrentRateLimits(infoHash.toLowerCase(), { download: limits.download, upload: limits.upload }),
  }
}
