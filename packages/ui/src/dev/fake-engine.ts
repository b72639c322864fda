/**
 * A fake EngineApi for the UI benchmark, screenshots and UI unit tests ONLY — never part of the
 * product build. Deterministic (seeded PRNG) and driven by `tick()` so tests control time.
 */
import type {
  AddReport,
  AddTorrentInput,
  CreateJobStatus,
  CreateTorrentInput,
  FolderEntry,
  EngineApi,
  EngineSettings,
  EngineStatus,
  FilePriority,
  FileRow,
  LogEntry,
  LogLevel,
  PeerRow,
  PiecesView,
  QueueMove,
  SwarmRow,
  TorrentDetail,
  TorrentSeedLimits,
  TorrentSummary,
  TrackerEdit,
  TrackerRow,
} from '@tidepool/engine'

export interface FakeEngineOptions {
  torrents?: number
  /** Peers of the first torrent (the one the benchmark opens). */
  peersInFirst?: number
  peersPerTorrent?: number
  /** Files of the first torrent, in 20 folders of 10 subfolders (default: 1 to 6 files like the rest). */
  filesInFirst?: number
  status?: Partial<EngineStatus>
  now?: () => number
}

const CLIENTS = [
  'libtorrent 2.0.8',
  'qBittorrent 4.6.2',
  'Transmission 3.00',
  'Deluge 2.1.1',
  'WebTorrent 2.8',
  'aria2 1.36',
  'µTorrent 3.5.5',
]
const WORDS = [
  'ubuntu',
  'debian',
  'archive',
  'lecture',
  'dataset',
  'podcast',
  'fedora',
  'concert',
  'blender',
  'open',
  'movie',
  'linux',
  'mint',
  'sintel',
  'texture',
  'pack',
]

function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface FakeTorrent {
  index: number
  summary: TorrentSummary
  peers: PeerRow[]
  files: FileRow[]
  trackers: TrackerRow[]
  pieces: PiecesView
  sequential?: boolean
  firstLast?: boolean
  /** Made on the first torrentLog() call, from a PRNG of its own so the rest of the simulation is unchanged. */
  log?: { entries: LogEntry[]; rand: () => number }
}

const LOG_CAP = 500

export class FakeEngine implements EngineApi {
  readonly torrents = new Map<string, FakeTorrent>()
  status: EngineStatus
  settings: EngineSettings = {
    downloadRoot: 'downloads',
    incompleteRoot: '',
    incompleteDir: '',
    maxConnectionsGlobal: 500,
    maxPeersPerTorrent: 80,
    connectionRatePerSec: 10,
    connectionBurst: 20,
    downloadRateLimit: 0,
    uploadRateLimit: 0,
    listenPort: 6881,
    localPeerDiscovery: true,
    announceIpv6: '',
    portMapping: true,
    encryption: 'prefer',
    utp: true,
    dhtEnabled: true,
    dhtBootstrap: ['router.bittorrent.com:6881'],
    dhtPort: 0,
    webSeeds: true,
    dataPlane: true,
    queueingEnabled: true,
    maxActiveDownloads: 3,
    maxActiveSeeds: 3,
    maxActiveTorrents: 5,
    dontCountSlowTorrents: true,
    shareRatioLimit: 0,
    seedingTimeLimitMin: 0,
    seedLimitAction: 'stop',
    altDownloadRateLimit: 10240,
    altUploadRateLimit: 10240,
    altSpeedActive: false,
    altScheduleEnabled: false,
    altScheduleFrom: 480,
    altScheduleTo: 1200,
    altScheduleDays: [0, 1, 2, 3, 4, 5, 6],
    notifyOnComplete: true,
    notifyOnError: true,
    takeOverTorrentDownloads: true,
  }
  calls: string[] = []
  private rand = prng(42)
  private now: () => number
  private seq = 0

  constructor(opts: FakeEngineOptions = {}) {
    this.now = opts.now ?? (() => Date.now())
    this.status = {
      daemon: 'connected',
      listenPort: 6881,
      downloadRate: 0,
      uploadRate: 0,
      dht: { state: 'ready', nodes: 212, port: 6881 },
      ...opts.status,
    }
    const n = opts.torrents ?? 20
    for (let i = 0; i < n; i++) {
      const peers = i === 0 ? (opts.peersInFirst ?? 200) : (opts.peersPerTorrent ?? 10)
      const t = this.makeTorrent(i, peers)
      if (i === 0 && opts.filesInFirst) t.files = this.manyFiles(t.summary, opts.filesInFirst)
    }
  }

  private hex40(): string {
    let s = ''
    for (let i = 0; i < 40; i++) s += Math.floor(this.rand() * 16).toString(16)
    return s
  }

  private makeTorrent(i: number, peerCount: number): FakeTorrent {
    const r = this.rand
    const words = [WORDS[i % WORDS.length], WORDS[(i * 7 + 3) % WORDS.length], String(2000 + (i % 27))]
    const totalSize = Math.floor((0.05 + r() * 8) * 1024 ** 3)
    const progress = i % 5 === 0 ? 1 : r()
    const statuses: TorrentSummary['status'][] = [
      'downloading',
      'downloading',
      'seeding',
      'paused',
      'checking',
      'fetching-metadata',
    ]
    const status: TorrentSummary['status'] = progress === 1 ? 'seeding' : statuses[i % statuses.length]!
    const infoHash = this.hex40()
    const summary: TorrentSummary = {
      infoHash,
      name: `${words.join('-')}.iso`,
      totalSize,
      downloaded: Math.floor(totalSize * progress),
      progress,
      status,
      downloadRate: 0,
      uploadRate: 0,
      uploadedTotal: Math.floor(totalSize * r()),
      downloadedTotal: Math.floor(totalSize * progress),
      connected: 0,
      connecting: 0,
      seeds: 0,
      swarmSize: peerCount * 2,
      etaSec: null,
      ratio: r() * 3,
      addedAt: this.now() - i * 3_600_000,
      savePath: 'downloads',
    }
    if (i === 3) {
      summary.status = 'error'
      summary.error = 'no-space: disk full while writing piece 812'
    }
    const peers: PeerRow[] = []
    for (let p = 0; p < peerCount; p++) peers.push(this.makePeer(p))
    const pieceCount = Math.max(1, Math.ceil(totalSize / (1024 * 1024)))
    const states = new Uint8Array(Math.min(pieceCount, 20_000))
    for (let k = 0; k < states.length; k++) states[k] = r() < progress ? 2 : r() < 0.02 ? 1 : 0
    const files: FileRow[] = Array.from({ length: 1 + (i % 6) }, (_, k) => ({
      index: k,
      path: `${summary.name.replace('.iso', '')}/part-${k + 1}.bin`,
      size: Math.floor(totalSize / (1 + (i % 6))),
      downloaded: 0,
      progress,
      priority: (k === 2 ? 'skip' : 'normal') as FilePriority,
    }))
    const trackers: TrackerRow[] = [
      {
        url: 'udp://tracker.example.org:6969/announce',
        tier: 0,
        status: 'working',
        lastAnnounce: this.now() - 60_000,
        nextAnnounce: this.now() + 1_740_000,
        peersReceived: 50,
        seeders: 12,
        leechers: 40,
      },
      {
        url: 'http://dead.example.net/announce',
        tier: 1,
        status: 'error',
        lastAnnounce: this.now() - 30_000,
        nextAnnounce: this.now() + 270_000,
        peersReceived: 0,
        seeders: null,
        leechers: null,
        message: 'unreachable: DNS lookup failed',
      },
    ]
    const t: FakeTorrent = {
      summary,
      peers,
      files,
      trackers,
      pieces: { pieceCount: states.length, pieceLength: 1024 * 1024, states },
      index: i,
    }
    this.torrents.set(infoHash, t)
    return t
  }

  /** A large torrent's layout: name/disc-NN/part-NN/file-NNNNN.bin, a few files skipped. */
  private manyFiles(s: TorrentSummary, n: number): FileRow[] {
    const top = s.name.replace('.iso', '')
    const pad = (x: number, w: number) => String(x).padStart(w, '0')
    return Array.from({ length: n }, (_, k) => ({
      index: k,
      path: `${top}/disc-${pad(k % 20, 2)}/part-${pad(Math.floor(k / 20) % 10, 2)}/file-${pad(k, 5)}.bin`,
      size: Math.floor(s.totalSize / n),
      downloaded: 0,
      progress: s.progress,
      priority: (k % 97 === 0 ? 'skip' : k % 31 === 0 ? 'high' : 'normal') as FilePriority,
    }))
  }

  private makePeer(p: number): PeerRow {
    const r = this.rand
    const v6 = p % 17 === 0
    const ip = v6 ? `2001:db8::${(p + 1).toString(16)}` : `10.${(p >> 16) & 255}.${(p >> 8) & 255}.${p & 255}`
    const port = 6881 + (p % 1000)
    const connecting = r() < 0.25
    // the engine's flag letters (peer-session.ts): E RC4, e MSE handshake with a plain stream
    const flags = connecting ? '' : ['D', 'dU', 'uK', 'DE', '?I', 'De'][p % 6]!
    return {
      key: v6 ? `[${ip}]:${port}` : `${ip}:${port}`,
      ip,
      port,
      state: connecting ? 'connecting' : 'connected',
      client: connecting ? '' : CLIENTS[p % CLIENTS.length]!,
      source: p % 3 === 0 ? ['tracker', 'pex'] : ['tracker'],
      progress: connecting ? 0 : r(),
      downloadRate: 0,
      uploadRate: 0,
      downloaded: 0,
      uploaded: 0,
      flags,
      requests: 0,
      incoming: p % 11 === 0,
      transport: 'tcp',
      encryption: flags.includes('E') ? 'rc4' : flags.includes('e') ? 'plaintext-in-mse' : 'plain',
    }
  }

  /** Advance the simulation one second: rates move, connecting peers connect, progress grows. */
  tick(): void {
    const r = this.rand
    let down = 0
    let up = 0
    for (const t of this.torrents.values()) {
      const s = t.summary
      const active = s.status === 'downloading' || s.status === 'seeding'
      let connected = 0
      let connecting = 0
      let seeds = 0
      for (const p of t.peers) {
        if (p.state === 'connecting' && r() < 0.3) {
          p.state = 'connected'
          p.client = CLIENTS[Math.floor(r() * CLIENTS.length)]!
          p.flags = 'D'
        }
        if (p.state === 'connected' && active) {
          p.downloadRate = s.status === 'downloading' ? Math.floor(r() * 400_000) : 0
          p.uploadRate = Math.floor(r() * 50_000)
          p.downloaded += p.downloadRate
          p.uploaded += p.uploadRate
          p.progress = Math.min(1, p.progress + r() * 0.01)
          p.requests = p.downloadRate > 0 ? Math.floor(r() * 64) : 0
        }
        if (p.state === 'connected') connected++
        else connecting++
        if (p.progress >= 1) seeds++
      }
      s.connected = connected
      s.connecting = connecting
      s.seeds = seeds
      if (s.status === 'downloading') {
        s.downloadRate = t.peers.reduce((a, p) => a + p.downloadRate, 0) / Math.max(1, t.peers.length / 4)
        s.downloaded = Math.min(s.totalSize, s.downloaded + s.downloadRate)
        s.downloadedTotal += s.downloadRate
        s.progress = s.totalSize ? s.downloaded / s.totalSize : 0
        s.etaSec = s.downloadRate > 0 ? (s.totalSize - s.downloaded) / s.downloadRate : null
        if (s.progress >= 1) {
          s.status = 'seeding'
          s.etaSec = null
        }
      } else s.downloadRate = 0
      s.uploadRate = active ? Math.floor(r() * 200_000) : 0
      s.uploadedTotal += s.uploadRate
      s.ratio = s.downloadedTotal ? s.uploadedTotal / s.downloadedTotal : 0
      down += s.downloadRate
      up += s.uploadRate
      if (t.log && active && t.log.rand() < 0.5) this.logLine(t, this.now())
    }
    this.status = { ...this.status, downloadRate: down, uploadRate: up }
  }

  private get(infoHash: string): FakeTorrent {
    const t = this.torrents.get(infoHash)
    if (!t) throw new Error(`unknown torrent ${infoHash}`)
    return t
  }

  async getStatus(): Promise<EngineStatus> {
    return { ...this.status }
  }
  async listTorrents(): Promise<TorrentSummary[]> {
    return [...this.torrents.values()].map((t, i) => ({ queuePosition: i + 1, ...t.summary }))
  }
  async getTorrentDetail(infoHash: string, parts: Array<keyof TorrentDetail>): Promise<Partial<TorrentDetail>> {
    const t = this.get(infoHash)
    const out: Partial<TorrentDetail> = {}
    for (const part of parts) {
      if (part === 'peers') out.peers = t.peers.map((p) => ({ ...p }))
      else if (part === 'swarm')
        out.swarm = t.peers.map(
          (p, i): SwarmRow => ({
            key: p.key,
            ip: p.ip,
            port: p.port,
            state: p.state === 'connected' ? 'connected' : i % 9 === 0 ? 'banned' : 'connecting',
            sources: p.source,
            failcount: i % 4,
            hashfails: i % 9 === 0 ? 3 : 0,
            rank: (i * 2654435761) >>> 16,
            rejects: i % 7 === 3 ? 9 : 0,
            snubs: i % 5 === 1 ? 1 : 0,
            violations: i % 11 === 2 ? 17 : 0,
            drops: i % 7 === 3 ? 1 : 0,
            lastConnected: this.now() - i * 1000,
            seed: p.progress >= 1,
            ...(i % 4 ? { lastError: 'timeout' } : {}),
            ...(i % 9 === 0 ? { banReason: 'hash failures' } : {}),
            ...(i % 7 === 3 ? { dropReason: 'rejected 9 requests, delivered 0 blocks' } : {}),
          }),
        )
      else if (part === 'streaming')
        out.streaming = {
          sequential: !!t.sequential,
          firstLastPiecesFirst: !!t.firstLast,
          available: false,
          streams: [],
        }
      else if (part === 'files')
        out.files = t.files.map((f) => ({
          ...f,
          progress: t.summary.progress,
          downloaded: Math.floor(f.size * t.summary.progress),
        }))
      else if (part === 'trackers') out.trackers = t.trackers.map((x) => ({ ...x }))
      else if (part === 'pieces') out.pieces = { ...t.pieces, states: t.pieces.states.slice() }
    }
    return out
  }
  async addTorrent(input: AddTorrentInput): Promise<string> {
    this.calls.push(
      `add:${input.magnet ?? 'file'}:${input.selectedFiles?.join(',') ?? 'all'}${input.savePath ? `:${input.savePath}/${input.saveDir ?? ''}` : ''}`,
    )
    const t = this.makeTorrent(this.torrents.size + this.seq++, 5)
    t.summary.status = input.paused ? 'paused' : input.magnet ? 'fetching-metadata' : 'downloading'
    return t.summary.infoHash
  }
  async addTorrentReport(input: AddTorrentInput): Promise<AddReport> {
    const infoHash = await this.addTorrent(input)
    return { infoHash, name: this.get(infoHash).summary.name, alreadyAdded: false, trackersAdded: 0 }
  }
  async removeTorrent(infoHash: string, opts: { deleteData: boolean }): Promise<void> {
    this.calls.push(`remove:${infoHash}:${opts.deleteData}`)
    this.torrents.delete(infoHash)
  }
  async startTorrent(infoHash: string): Promise<void> {
    const s = this.get(infoHash).summary
    s.status = s.progress >= 1 ? 'seeding' : 'downloading'
    delete s.error
  }
  async stopTorrent(infoHash: string): Promise<void> {
    this.get(infoHash).summary.status = 'paused'
  }
  async recheckTorrent(infoHash: string): Promise<void> {
    this.get(infoHash).summary.status = 'checking'
  }
  async setFilePriority(infoHash: string, fileIndex: number, priority: FilePriority): Promise<void> {
    const f = this.get(infoHash).files[fileIndex]
    if (f) f.priority = priority
  }
  async setFilePriorities(infoHash: string, fileIndices: number[], priority: FilePriority): Promise<void> {
    for (const i of fileIndices) await this.setFilePriority(infoHash, i, priority)
  }
  async getSettings(): Promise<EngineSettings> {
    return { ...this.settings }
  }
  async torrentLog(infoHash: string): Promise<LogEntry[]> {
    const t = this.get(infoHash)
    if (!t.log) this.startLog(t)
    return t.log!.entries.map((e) => ({ ...e }))
  }
  async magnetLink(infoHash: string): Promise<string> {
    const t = this.get(infoHash)
    const tr = t.trackers
      .filter((x) => x.url !== 'DHT')
      .map((x) => `&tr=${encodeURIComponent(x.url)}`)
      .join('')
    return `magnet:?xt=urn:btih:${infoHash}&dn=${encodeURIComponent(t.summary.name)}${tr}`
  }
  /** Moves in steps on the fake's own clock (each listTorrents poll sees a little more done). */
  async moveTorrent(infoHash: string, root: string, dir: string): Promise<void> {
    const s = this.get(infoHash).summary
    this.calls.push(`move:${infoHash}:${root}:${dir}`)
    const total = Math.max(1, s.downloaded)
    for (let i = 1; i <= 10; i++) {
      s.moving = { root, dir, done: Math.floor((total * i) / 10), total }
      await new Promise((r) => setTimeout(r, 150))
    }
    delete s.moving
    s.savePath = root
    if (dir) s.saveDir = dir
    else delete s.saveDir
  }
  async refreshFolders(): Promise<string[]> {
    this.calls.push('refresh-folders')
    return [...(this.status.downloadFolders ?? [])]
  }
  async revokeFolder(root: string): Promise<void> {
    this.calls.push(`revoke:${root}`)
    this.status = { ...this.status, downloadFolders: (this.status.downloadFolders ?? []).filter((f) => f !== root) }
  }

  async setSequential(infoHash: string, on: boolean): Promise<void> {
    this.get(infoHash).sequential = on
  }

  async setFirstLastPiecesFirst(infoHash: string, on: boolean): Promise<void> {
    this.get(infoHash).firstLast = on
  }

  /** The fake has no daemon to serve streams from. */
  async openStream(_infoHash: string, _fileIndex: number): Promise<string> {
    throw new Error('streams need the daemon')
  }

  async closeStream(_infoHash: string, _fileIndex: number): Promise<void> {}

  async setTorrentLabel(infoHash: string, label: string | null): Promise<void> {
    const s = this.get(infoHash).summary
    const clean = label?.trim()
    this.calls.push(`label:${infoHash}:${clean ?? ''}`)
    if (clean) s.label = clean
    else delete s.label
  }
  async moveInQueue(infoHashes: string[], to: QueueMove): Promise<void> {
    this.calls.push(`queue:${to}:${infoHashes.join(',')}`)
  }
  async setForceStart(infoHash: string, forced: boolean): Promise<void> {
    this.calls.push(`force:${infoHash}:${forced}`)
    this.get(infoHash).summary.forced = forced
    if (forced) await this.startTorrent(infoHash)
  }
  async setSeedLimits(infoHash: string, limits: Partial<TorrentSeedLimits>): Promise<void> {
    this.calls.push(`seed-limits:${infoHash}:${JSON.stringify(limits)}`)
  }
  async setTorrentRateLimits(infoHash: string, limits: { download: number; upload: number }): Promise<void> {
    const s = this.get(infoHash).summary
    this.calls.push(`limits:${infoHash}:${limits.download}:${limits.upload}`)
    if (limits.download > 0) s.downloadLimit = limits.download
    else delete s.downloadLimit
    if (limits.upload > 0) s.uploadLimit = limits.upload
    else delete s.uploadLimit
  }
  async editTrackers(infoHash: string, edit: TrackerEdit): Promise<void> {
    const t = this.get(infoHash)
    this.calls.push(`trackers:${infoHash}:${edit.kind}`)
    const row = (url: string, tier: number): TrackerRow => ({
      url,
      tier,
      status: 'idle',
      lastAnnounce: null,
      nextAnnounce: null,
      peersReceived: 0,
      seeders: null,
      leechers: null,
    })
    const tiers = t.trackers.filter((x) => x.tier >= 0)
    if (edit.kind === 'add') {
      let tier = Math.max(-1, ...tiers.map((x) => x.tier))
      for (const u of edit.urls) if (!tiers.some((x) => x.url === u)) t.trackers.push(row(u, edit.tier ?? ++tier))
    } else if (edit.kind === 'remove') t.trackers = t.trackers.filter((x) => !edit.urls.includes(x.url))
    else if (edit.kind === 'edit') {
      const r = t.trackers.find((x) => x.url === edit.url)
      if (!r) throw new Error(`no such tracker: ${edit.url}`)
      if (edit.newUrl !== undefined) r.url = edit.newUrl
      if (edit.tier !== undefined) r.tier = edit.tier
    }
  }
  async setSettings(patch: Partial<EngineSettings>): Promise<EngineSettings> {
    this.settings = { ...this.settings, ...patch }
    return { ...this.settings }
  }
  // Creation is exercised against the real engine (browser tests); the fake only refuses it.
  async createTorrent(_input: CreateTorrentInput): Promise<number> {
    throw new Error('the fake engine cannot create torrents')
  }
  async createTorrentStatus(_id: number): Promise<CreateJobStatus | null> {
    return null
  }
  async cancelCreateTorrent(_id: number): Promise<void> {}
  async browseFolder(_root: string, _path: string): Promise<FolderEntry[]> {
    return []
  }

  /** A plausible history: added, checked, announced, peers coming and going, the odd failure. */
  private startLog(t: FakeTorrent): void {
    t.log = { entries: [], rand: prng(1000 + t.index) }
    const s = t.summary
    const start = this.now() - 40 * 15_000
    const add = (at: number, level: LogLevel, component: string, message: string) =>
      t.log!.entries.push({ at, level, component, message })
    add(
      start,
      'info',
      'torrent',
      `added ${s.name} (${t.pieces.pieceCount} pieces of 1 MiB, ${t.files.length} file${t.files.length === 1 ? '' : 's'})`,
    )
    add(start + 40, 'info', 'storage', 'checking existing data')
    add(
      start + 900,
      'info',
      'storage',
      `check done: ${Math.round(s.progress * t.pieces.pieceCount)} of ${t.pieces.pieceCount} pieces present`,
    )
    const skipped = t.files.find((f) => f.priority === 'skip')
    if (skipped) add(start + 910, 'debug', 'picker', `${skipped.path} skipped: its pieces are not requested`)
    for (let k = 0; k < 36; k++) this.logLine(t, start + 1000 + k * 15_000)
    if (s.error) add(this.now() - 2000, 'error', 'torrent', `stopped: ${s.error}`)
  }

  private logLine(t: FakeTorrent, at: number): void {
    const log = t.log!
    const r = log.rand
    const peer = t.peers.length ? t.peers[Math.floor(r() * t.peers.length)]! : null
    const pick = r()
    let e: LogEntry
    if (pick < 0.15) {
      const tr = t.trackers[Math.floor(r() * t.trackers.length)]!
      e =
        tr.status === 'error'
          ? {
              at,
              level: 'warn',
              component: 'tracker',
              message: `announce to ${tr.url} failed: ${tr.message ?? 'no answer'}; retry in 270 s`,
            }
          : {
              at,
              level: 'info',
              component: 'tracker',
              message: `announce to ${tr.url}: ${tr.peersReceived} peers (${tr.seeders ?? 0} seeds, ${tr.leechers ?? 0} leechers)`,
            }
    } else if (!peer || pick < 0.4) {
      e = {
        at,
        level: 'debug',
        component: 'queue',
        message: `connecting to ${peer?.key ?? '10.0.0.1:6881'} (${peer?.source.join('+') ?? 'tracker'})`,
      }
    } else if (pick < 0.65) {
      e = {
        at,
        level: 'info',
        component: 'peer',
        message: `${peer.key} connected: ${peer.client || CLIENTS[Math.floor(r() * CLIENTS.length)]}, has ${Math.round(peer.progress * 100)}%`,
      }
    } else if (pick < 0.8) {
      e = {
        at,
        level: 'warn',
        component: 'peer',
        message: `${peer.key} failed to connect: ${['timeout', 'connection refused', 'reset by peer'][Math.floor(r() * 3)]}`,
      }
    } else if (pick < 0.88) {
      e = {
        at,
        level: 'info',
        component: 'peer',
        message: `${peer.key} closed: ${['both seeds', 'stopped', 'remote closed'][Math.floor(r() * 3)]}`,
      }
    } else if (pick < 0.95) {
      e = {
        at,
        level: 'debug',
        component: 'choker',
        message: `unchoked ${1 + Math.floor(r() * 4)} peers, optimistic ${peer.key}`,
      }
    } else {
      const piece = Math.floor(r() * t.pieces.pieceCount)
      e = {
        at,
        level: 'error',
        component: 'piece',
        message: `piece ${piece} failed its hash check; blocks from ${peer.key}`,
      }
    }
    log.entries.push(e)
    if (log.entries.length > LOG_CAP) log.entries.splice(0, log.entries.length - LOG_CAP)
  }
}
