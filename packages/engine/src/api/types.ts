/**
 * The engine's API as seen by UIs (over comlink from the engine worker) and by the CLI.
 * Plain data only: everything here must survive structured clone. The engine owns these types;
 * the UI renders them and never reaches into engine objects.
 */

import type { CreateJobStatus, CreateTorrentInput, FolderEntry } from './create-types.ts'

export type TorrentStatus = 'fetching-metadata' | 'checking' | 'downloading' | 'seeding' | 'paused' | 'queued' | 'error'

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
  /** Folder inside savePath the data is in; absent for the folder itself. */
  saveDir?: string
  /** While its data is being moved: where to and how far (bytes). */
  moving?: MoveProgress
  /** Where a finished download goes when it is downloading into the incomplete folder. */
  completeTo?: { root: string; dir: string }
  /** Why nothing is moving, while it should (downloading or fetching metadata at 0 B/s); absent otherwise. */
  stalled?: string
  /** Seeds and other peers in the swarm as the trackers report them (the largest answer); absent until one answered. */
  trackerSeeds?: number
  trackerPeers?: number
  /** Host names of its trackers, each once. */
  trackerHosts?: string[]
  /**
   * Where its downloaded pieces are assembled, checked and written: true on the platform (the helper's
   * data plane, EngineSettings.dataPlane), false in the engine itself. Absent while it has no files open.
   */
  piecesOnPlatform?: boolean
  /** The user's label (category), absent when none. */
  label?: string
  /** Place in the queue, 1 = first (every torrent has one). */
  queuePosition?: number
  /** Force-started: runs whatever the queue limits say. */
  forced?: boolean
  /** Time spent seeding, over every run (seconds). */
  seedingTimeSec?: number
  /** When every selected byte was first there (ms since the epoch); absent until then. */
  completedAt?: number
  /** Its own seeding limits (see EngineApi.setSeedLimits). */
  seedLimits?: TorrentSeedLimits
  /** This torrent's own limits in bytes/s (within the global ones), absent when none. */
  downloadLimit?: number
  uploadLimit?: number
}

/** A per-torrent limit: follow the global one, none at all, or this value. */
export type LimitOverride = 'global' | 'none' | number

/** A torrent's seeding limits: share ratio, seeding time in minutes. */
export interface TorrentSeedLimits {
  ratio: LimitOverride
  seedingTimeMin: LimitOverride
}

export type QueueMove = 'up' | 'down' | 'top' | 'bottom'

export type DisplayPeerState = 'connecting' | 'connected'

/** A web seed's state in the peers table: `backoff` after a failure, `dropped` after bad data. */
export type WebSeedState = 'idle' | 'downloading' | 'backoff' | 'dropped' | 'stopped'

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
  flags: string // qBittorrent's letters and meanings: D d U u K ? I S, E (RC4) or e (MSE handshake, plain stream)
  requests: number // our outstanding requests to them
  incoming: boolean
  /** How the connection travels: 'tcp' or 'utp' for peers (uTP where the peer and the daemon take it); 'http'/'https' for web seeds. */
  transport: 'tcp' | 'utp' | 'http' | 'https'
  /** RC4 after MSE, plaintext chosen inside MSE, or no MSE ('plain'); 'plain' while connecting. */
  encryption: 'rc4' | 'plaintext-in-mse' | 'plain'
  /** The platform's data plane carries this connection's pieces (hashed, written, encrypted there). */
  framed?: boolean
  /** Set on a web seed's row (BEP 19 `url-list` / magnet `ws=`, BEP 17 `httpseeds`); `key` is its URL. */
  webSeed?: {
    url: string
    kind: 'url-list' | 'httpseeds'
    state: WebSeedState
    /** Why it was dropped, or its last failure. */
    error?: string
    /** While backing off: seconds until it is asked again. */
    retryInSec?: number
  }
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
  /** From the tracker's scrape (BEP 48 / BEP 15): how often the torrent was completed, and when asked. */
  downloaded?: number | null
  scrapedAt?: number | null
  scrapeError?: string
}

/** The user's change to a torrent's trackers (EngineApi.editTrackers). */
export type TrackerEdit =
  /** New trackers into `tier`, or each in a tier of its own after the others; listed ones are skipped. */
  | { kind: 'add'; urls: string[]; tier?: number }
  /** One tracker's URL and/or tier. */
  | { kind: 'edit'; url: string; newUrl?: string; tier?: number }
  | { kind: 'remove'; urls: string[] }
  /** Announce now (within each tracker's min interval): to `url`, or to every tier. */
  | { kind: 'reannounce'; url?: string }

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
  streaming: StreamingState
}

/** A torrent's play-while-downloading options and its open streams (local URLs for players). */
export interface StreamingState {
  /** New pieces in order instead of rarest first. */
  sequential: boolean
  /** First and last piece of each file before the others (container headers and indexes). */
  firstLastPiecesFirst: boolean
  /** The platform can publish streams (the daemon offers stream-http). */
  available: boolean
  streams: Array<{ fileIndex: number; url: string; bitrate: number }>
}

export interface EngineSettings {
  downloadRoot: string // a download folder the helper serves (EngineStatus.downloadFolders)
  /** Incomplete downloads go to this folder ('' = off) and move to their save folder when complete. */
  incompleteRoot: string
  /** Folder inside incompleteRoot ('' = the root itself). */
  incompleteDir: string
  maxConnectionsGlobal: number
  maxPeersPerTorrent: number
  connectionRatePerSec: number
  connectionBurst: number
  downloadRateLimit: number // bytes/s, 0 = unlimited
  uploadRateLimit: number // bytes/s, 0 = unlimited
  listenPort: number // 0 = any
  /** Local peer discovery (BEP 14): multicast announces on the LAN. Never for private torrents. */
  localPeerDiscovery: boolean
  /**
   * Our IPv6 address to tell HTTP trackers (`ipv6=`, BEP 7); '' = the global address peers have seen
   * us at, if any.
   */
  announceIpv6: string
  /** Ask the gateway (UPnP IGD, NAT-PMP, PCP) to forward the listen port, where the daemon can. */
  portMapping: boolean
  /**
   * MSE/PE for peer connections: 'prefer' opens with MSE and retries a peer plain when it refuses, and
   * accepts both; 'require' only RC4-encrypted connections, both ways; 'disable' only plain ones.
   */
  encryption: EncryptionPolicy
  /**
   * uTP (BEP 29) beside TCP where the daemon offers it: accepted on the listen port, and dialled for
   * peers that announce it (PEX), with a peer that fails on one transport tried on the other.
   */
  utp: boolean
  /** Run a mainline DHT node (BEP 5) and look torrents up in it (never for private torrents). */
  dhtEnabled: boolean
  /** Download from the web seeds torrents and magnets name (BEP 19 `url-list`/`ws=`, BEP 17 `httpseeds`). */
  webSeeds: boolean
  /**
   * Keep piece payloads on the platform where it has a data plane (the daemon's `data-plane`): peer
   * blocks are hashed, written and uploaded there, and MSE's RC4 runs there. Off: every byte comes
   * to the engine as before (for A/B comparisons).
   */
  dataPlane: boolean
  /** host:port of the nodes the DHT joins through when it knows none (the public routers by default). */
  dhtBootstrap: string[]
  /** UDP port of the DHT node; 0 = the listen port (any free port if that is taken). */
  dhtPort: number
  /** Queue torrents beyond the limits below (qBittorrent's "Torrent queueing"). */
  queueingEnabled: boolean
  maxActiveDownloads: number
  maxActiveSeeds: number
  maxActiveTorrents: number
  /** Torrents moving under 2 KiB/s both ways for a minute take no place in the queue. */
  dontCountSlowTorrents: boolean
  /** Seeds stop (or are removed) at this share ratio; 0 = no limit. */
  shareRatioLimit: number
  /** ... or after this many minutes of seeding; 0 = no limit. */
  seedingTimeLimitMin: number
  /** What a seed that reached a limit does: stop, or leave the list (its data stays). */
  seedLimitAction: 'stop' | 'remove'
  /** Alternative global limits (bytes/s, 0 = unlimited), in force while `altSpeedActive`. */
  altDownloadRateLimit: number
  altUploadRateLimit: number
  /** The status bar's switch to the alternative limits; the schedule flips it at its edges. */
  altSpeedActive: boolean
  /** Switch to the alternative limits on `altScheduleDays` from `altScheduleFrom` to `altScheduleTo`. */
  altScheduleEnabled: boolean
  /** Minutes after local midnight (0..1439); a window that ends before it starts runs past midnight. */
  altScheduleFrom: number
  altScheduleTo: number
  /** Days of the week the window starts on, 0 = Sunday. */
  altScheduleDays: number[]
  /** Notify (extension: chrome.notifications; web app: the Notifications API) when a download finishes. */
  notifyOnComplete: boolean
  /** Notify when a torrent stops with an error. */
  notifyOnError: boolean
  /** Extension: take over .torrent downloads the browser starts (the engine adds them instead). */
  takeOverTorrentDownloads: boolean
}

export type DhtState = 'off' | 'starting' | 'bootstrapping' | 'ready' | 'no-nodes' | 'error'

/** The engine's DHT node, as the status bar shows it. */
export interface DhtStatus {
  state: DhtState
  /** Nodes in the routing tables. */
  nodes: number
  /** The UDP port it answers on (null while not bound). */
  port: number | null
  message?: string
}

/** The state of one port mapping on the gateway (UPnP IGD, NAT-PMP or PCP), as the daemon reports it. */
export interface PortMappingStatus {
  state: 'pending' | 'mapped' | 'failed' | 'removed'
  protocol: 'tcp' | 'udp'
  internalPort: number
  method?: 'upnp' | 'natpmp' | 'pcp'
  /** '' when the gateway did not say. */
  externalAddress?: string
  externalPort?: number
  /** Seconds; 0 = until removed. */
  lifetimeSec?: number
  gateway?: string
  error?: string
}

/** What the UI and the CLI show about port mapping. */
export interface PortForwardingStatus {
  /** off: the setting is off; unsupported: the platform cannot map ports; else the worst of the mappings. */
  state: 'off' | 'unsupported' | 'idle' | 'pending' | 'mapped' | 'failed'
  mappings: PortMappingStatus[]
  /** One line for people, e.g. "Port 6881 mapped as 203.0.113.5:6881 via UPnP". */
  summary: string
}

export type EncryptionPolicy = 'prefer' | 'require' | 'disable'

export interface EngineStatus {
  daemon: 'connecting' | 'connected' | 'unreachable' | 'auth-failed' | 'not-installed'
  message?: string
  listenPort: number | null
  downloadRate: number
  uploadRate: number
  /** The alternative global limits are in force (the status bar's switch), with the pair in force now. */
  altSpeed?: { active: boolean; downloadLimit: number; uploadLimit: number }
  /** Whether the listen port is forwarded on the gateway, and if not why. */
  portMapping?: PortForwardingStatus
  dht?: DhtStatus
  /** Download folders the helper serves (names; the settings' downloadRoot must be one); empty until connected. */
  downloadFolders?: string[]
  /** Where each download folder is on disk, when the helper says (names → absolute paths). */
  downloadFolderPaths?: Record<string, string>
}

/** A move of a torrent's data in progress. */
export interface MoveProgress {
  root: string
  dir: string
  done: number
  total: number
}

export interface AddTorrentInput {
  torrentFile?: Uint8Array
  magnet?: string
  savePath?: string
  /** Folder inside savePath ('/'-separated, no '..'); default the root itself. */
  saveDir?: string
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
export interface LogEntry {
  at: number
  level: LogLevel
  component: string
  message: string
}

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
  /** A magnet link for the torrent with its name (dn) and trackers (tr), so others can find it too. */
  magnetLink(infoHash: string): Promise<string>
  /** Gives the torrent a label, or clears it (null or blank); kept with the session. Throws for an unknown torrent. */
  setTorrentLabel(infoHash: string, label: string | null): Promise<void>
  /** Starts creating a torrent from a file or folder under a download folder; answers the job's id. */
  createTorrent(input: CreateTorrentInput): Promise<number>
  /** How a creation job is doing (null once forgotten or unknown). */
  createTorrentStatus(id: number): Promise<CreateJobStatus | null>
  cancelCreateTorrent(id: number): Promise<void>
  /** The entries of a folder inside a download folder ('' = its top), for picking what to share. */
  browseFolder(root: string, path: string): Promise<FolderEntry[]>
  /** Moves a torrent's data to a folder (root + folder in it); resolves when done. Progress: TorrentSummary.moving. */
  moveTorrent(infoHash: string, root: string, dir: string): Promise<void>
  /** Asks the helper for the folders granted since (Settings → Refresh); returns their names. */
  refreshFolders(): Promise<string[]>
  /** Withdraws a granted folder from the helper. */
  revokeFolder(root: string): Promise<void>
  /** Moves the torrents in the queue together (up/down by one place, or to the top/bottom). */
  moveInQueue(infoHashes: string[], to: QueueMove): Promise<void>
  /** Force start runs the torrent whatever the queue limits say (and unpauses it); off puts it back under them. */
  setForceStart(infoHash: string, forced: boolean): Promise<void>
  /** Changes the torrent's own seeding limits (fields left out stay). Throws for an unknown torrent. */
  setSeedLimits(infoHash: string, limits: Partial<TorrentSeedLimits>): Promise<void>
  /** Sequential download on or off for one torrent. */
  setSequential(infoHash: string, on: boolean): Promise<void>
  setFirstLastPiecesFirst(infoHash: string, on: boolean): Promise<void>
  /** Publishes a file for players while it downloads; resolves with its local URL. */
  openStream(infoHash: string, fileIndex: number): Promise<string>
  closeStream(infoHash: string, fileIndex: number): Promise<void>
  /**
   * Adds, edits, removes trackers or asks for an announce; an edited list is kept with the session.
   * Throws for an unknown torrent, and a TrackerEditError's message for a bad URL or unknown tracker.
   */
  editTrackers(infoHash: string, edit: TrackerEdit): Promise<void>
  /** The torrent's own speed limits in bytes/s (0 = none; the global limits still apply); kept with the session. */
  setTorrentRateLimits(infoHash: string, limits: { download: number; upload: number }): Promise<void>
}
