/**
 * The engine's API as seen by UIs (over comlink from the engine worker) and by the CLI.
 * Plain data only: everything here must survive structured clone. The engine owns these types;
 * the UI renders them and never reaches into engine objects.
 */

export type TorrentStatus =
  | 'fetching-metadata'
  | 'checking'
  | 'downloading'
  | 'seeding'
  | 'paused'
  | 'queued'
  | 'error'

export interface TorrentSummary {
  infoHash: string // 40 hex, lower case
  name: string
  totalSize: number // bytes of selected files (0 while fetching metadata)
  downloaded: number // verified bytes of selected files
  progress: number // 0..1
  status: TorrentStatus
  error?: string
  downloadRate: number // bytes/s
  uploadRate: number // bytes/s
  uploadedTotal: number
  downloadedTotal: number // all payload bytes received, including wasted
  connected: number
  connecting: number
  seeds: number // connected peers that are seeds
  swarmSize: number // peers known to the pool
  etaSec: number | null
  ratio: number
  addedAt: number
  savePath: string // download folder name (EngineStatus.downloadFolders)
  /** Why nothing is moving, while it should (downloading or fetching metadata at 0 B/s); absent otherwise. */
  stalled?: string
  /** Seeds and other peers in the swarm as the trackers report them (the largest answer); absent until one answered. */
  trackerSeeds?: number
  trackerPeers?: number
  /** Host names of its trackers, each once. */
  trackerHosts?: string[]
}

export type DisplayPeerState = 'connecting' | 'connected'

export interface PeerRow {
  key: string // "ip:port" or "[v6]:port"
  ip: string
  port: number
  state: DisplayPeerState
  client: string // decoded from the peer id; '' while connecting
  source: string[] // tracker, dht, pex, incoming, ...
  progress: number // 0..1 their progress; 0 while connecting
  downloadRate: number
  uploadRate: number
  downloaded: number
  uploaded: number
  flags: string // qBittorrent's letters and meanings: D d U u K ? I S (E = encrypted, as there)
  requests: number // our outstanding requests to them
  incoming: boolean
}

export interface SwarmRow {
  key: string
  ip: string
  port: number
  state: string // PeerState of the pool
  sources: string[]
  failcount: number
  hashfails: number
  /** Our requests it rejected although it had allowed them. */
  rejects: number
  /** Times it left our requests unanswered past the snub timeout. */
  snubs: number
  /** Stray messages (unrequested blocks or rejects, requests for pieces we never advertised), protocol violations. */
  violations: number
  /** Times we dropped it for its conduct. */
  drops: number
  rank: number
  lastConnected: number
  lastError?: string
  banReason?: string
  /** Why we last dropped it for its conduct. */
  dropReason?: string
  seed: boolean
}

export type FilePriority = 'skip' | 'low' | 'normal' | 'high'

export interface FileRow {
  index: number
  path: string
  size: number
  downloaded: number
  progress: number
  priority: FilePriority
}

export interface TrackerRow {
  url: string
  tier: number
  status: 'idle' | 'announcing' | 'working' | 'error' | 'disabled'
  lastAnnounce: number | null
  nextAnnounce: number | null
  peersReceived: number
  seeders: number | null
  leechers: number | null
  message?: string // error or warning
}

export interface PiecesView {
  pieceCount: number
  pieceLength: number
  /** One byte per piece: 0 missing, 1 downloading, 2 have, 3 skipped (not wanted). */
  states: Uint8Array
}

export interface TorrentDetail {
  peers: PeerRow[]
  swarm: SwarmRow[]
  files: FileRow[]
  trackers: TrackerRow[]
  pieces: PiecesView | null
}

export interface EngineSettings {
  downloadRoot: string // a download folder the helper serves (EngineStatus.downloadFolders)
  maxConnectionsGlobal: number
  maxPeersPerTorrent: number
  connectionRatePerSec: number
  connectionBurst: number
  downloadRateLimit: number // bytes/s, 0 = unlimited
  uploadRateLimit: number // bytes/s, 0 = unlimited
  listenPort: number // 0 = any
}

export interface EngineStatus {
  daemon: 'connecting' | 'connected' | 'unreachable' | 'auth-failed' | 'not-installed'
  message?: string
  listenPort: number | null
  downloadRate: number
  uploadRate: number
  /** Download folders the helper serves (names; the settings' downloadRoot must be one); empty until connected. */
  downloadFolders?: string[]
  /** Where each download folder is on disk, when the helper says (names → absolute paths). */
  downloadFolderPaths?: Record<string, string>
}

export interface AddTorrentInput {
  torrentFile?: Uint8Array
  magnet?: string
  savePath?: string
  paused?: boolean
  /** Indices of files to download; all when absent. */
  selectedFiles?: number[]
}

/** What adding did: a new torrent, or one already listed (whose trackers gained the new ones). */
export interface AddReport {
  infoHash: string
  name: string
  alreadyAdded: boolean
  /** Trackers of the new link or file the listed torrent did not have yet (0 for a new torrent). */
  trackersAdded: number
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export interface LogEntry { at: number; level: LogLevel; component: string; message: string }

/** The surface the engine worker exposes over comlink. */
export interface EngineApi {
  getStatus(): Promise<EngineStatus>
  listTorrents(): Promise<TorrentSummary[]>
  getTorrentDetail(infoHash: string, parts: Array<keyof TorrentDetail>): Promise<Partial<TorrentDetail>>
  addTorrent(input: AddTorrentInput): Promise<string>
  /** Adds like addTorrent and says whether the torrent was listed already. */
  addTorrentReport(input: AddTorrentInput): Promise<AddReport>
  removeTorrent(infoHash: string, opts: { deleteData: boolean }): Promise<void>
  startTorrent(infoHash: string): Promise<void>
  stopTorrent(infoHash: string): Promise<void>
  recheckTorrent(infoHash: string): Promise<void>
  setFilePriority(infoHash: string, fileIndex: number, priority: FilePriority): Promise<void>
  /** One priority for many files at once (a folder). */
  setFilePriorities(infoHash: string, fileIndices: number[], priority: FilePriority): Promise<void>
  getSettings(): Promise<EngineSettings>
  setSettings(patch: Partial<EngineSettings>): Promise<EngineSettings>
  /** The torrent's recent log lines, oldest first (at most 500; empty for an unknown torrent). */
  torrentLog(infoHash: string): Promise<LogEntry[]>
}
