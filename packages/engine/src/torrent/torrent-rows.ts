import type {
  FileRow,
  PeerRow,
  PiecesView,
  StreamingState,
  SwarmRow,
  TorrentDetail,
  TorrentStatus,
  TorrentSummary,
  TrackerRow,
} from '../api/types.ts'
import { shareRatio } from '../engine/seed-limits.ts'
import type { PeerPool } from '../pool/peer-pool.ts'
import type { DisplayPeer } from './display-peers.ts'

/** What the views read of a torrent. */
export interface TorrentRowSource {
  readonly infoHash: string
  readonly name: string
  readonly status: TorrentStatus
  readonly error?: string
  readonly addedAt: number
  readonly savePath: string
  readonly saveDir: string
  readonly uploadedTotal: number
  readonly downloadedTotal: number
  readonly streaming: { state(): StreamingState }
  readonly downloader: {
    selectedBytes(): number
    verifiedSelectedBytes(): number
    isComplete(): boolean
    fileRows(): FileRow[]
    piecesView(): PiecesView
    keepsPiecesOnPlatform(): boolean
  } | null
  /** Size and progress from the resume record while the storage has never been opened; else null. */
  savedProgress(): { selected: number; verified: number } | null
  readonly down: { rate(): number }
  readonly up: { rate(): number }
  readonly sessions: ReadonlyMap<string, { isSeed(): boolean; quietReason(): QuietReason | null }>
  readonly pool: Pick<PeerPool, 'getStats' | 'allPeers'>
  readonly trackers: { rows(): TrackerRow[] }
  readonly dht: { row(): TrackerRow }
  readonly webSeeds: { rows(): PeerRow[] }
  /** Peer exchange and local discovery rows for the Trackers tab. */
  discoveryRows(): TrackerRow[]
  connectingCount(): number
  getDisplayPeers(): DisplayPeer[]
}

/** Why a connected peer sends us nothing (PeerSession.quietReason). */
export type QuietReason = 'not-interested' | 'choked' | 'snubbed'

/** Plain-data views of a torrent for the UI and the CLI. */

export function torrentSummary(t: TorrentRowSource): TorrentSummary {
  const d = t.downloader
  const saved = t.savedProgress() // null once the storage is open
  const totalSize = d ? d.selectedBytes() : (saved?.selected ?? 0)
  const downloaded = d ? d.verifiedSelectedBytes() : (saved?.verified ?? 0)
  const downloadRate = t.down.rate()
  const uploadRate = t.up.rate()
  const left = totalSize - downloaded
  let seeds = 0
  for (const s of t.sessions.values()) if (s.isSeed()) seeds++
  const stats = t.pool.getStats()
  const trackerRows = t.trackers.rows()
  const quiet: Record<QuietReason, number> = { 'not-interested': 0, choked: 0, snubbed: 0 }
  for (const s of t.sessions.values()) {
    const why = s.quietReason()
    if (why) quiet[why]++
  }
  const stalled = stalledReason({
    status: t.status,
    downloadRate,
    quiet,
    connected: t.sessions.size,
    connecting: t.connectingCount(),
    known: stats.total,
    trackers: trackerRows,
    webSeeds: webSeedCounts(t.webSeeds.rows()),
  })
  return {
    infoHash: t.infoHash,
    name: t.name,
    totalSize,
    downloaded,
    progress: totalSize > 0 ? downloaded / totalSize : d?.isComplete() ? 1 : 0,
    status: t.status,
    ...(t.error ? { error: t.error } : {}),
    downloadRate,
    uploadRate,
    uploadedTotal: t.uploadedTotal,
    downloadedTotal: t.downloadedTotal,
    connected: t.sessions.size,
    connecting: t.connectingCount(),
    seeds,
    swarmSize: stats.total,
    etaSec: left <= 0 ? 0 : downloadRate > 1 ? Math.round(left / downloadRate) : null,
    // as qBittorrent shows it, and as the seeding limits count it
    ratio: shareRatio(t.uploadedTotal, t.downloadedTotal, totalSize),
    addedAt: t.addedAt,
    savePath: t.savePath,
    ...(t.saveDir ? { saveDir: t.saveDir } : {}),
    ...swarmFromTrackers(trackerRows),
    trackerHosts: trackerHosts(trackerRows),
    ...(stalled ? { stalled } : {}),
    ...(d ? { piecesOnPlatform: d.keepsPiecesOnPlatform() } : {}),
  }
}

/** The tracker host names, each once, in tier order (the UI's sidebar filters by them). */
function trackerHosts(rows: readonly TrackerRow[]): string[] {
  const out = new Set<string>()
  for (const r of rows) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/(\[[^\]]+\]|[^/:?#]+)/i.exec(r.url)
    if (m) out.add(m[1]!.toLowerCase())
  }
  return [...out]
}

function swarmFromTrackers(rows: readonly TrackerRow[]): { trackerSeeds?: number; trackerPeers?: number } {
  let seeds: number | undefined
  let peers: number | undefined
  for (const r of rows) {
    if (r.seeders !== null) seeds = Math.max(seeds ?? 0, r.seeders)
    if (r.leechers !== null) peers = Math.max(peers ?? 0, r.leechers)
  }
  return {
    ...(seeds !== undefined ? { trackerSeeds: seeds } : {}),
    ...(peers !== undefined ? { trackerPeers: peers } : {}),
  }
}

/** Web seeds that run (not stopped by the setting or the torrent's state), and those failing. */
function webSeedCounts(rows: readonly PeerRow[]): { active: number; failing: number } {
  let active = 0
  let failing = 0
  for (const r of rows) {
    const state = r.webSeed?.state
    if (!state || state === 'stopped') continue
    active++
    if (state === 'backoff' || state === 'dropped') failing++
  }
  return { active, failing }
}

/** Why a torrent that should be moving is not, in words for its Status column; null when it moves or should not. */
export function stalledReason(s: {
  status: TorrentSummary['status']
  downloadRate: number
  connected: number
  connecting: number
  known: number
  trackers: readonly TrackerRow[]
  /** Connected peers by why they send nothing (those that may send are not counted). */
  quiet?: Readonly<Record<QuietReason, number>>
  /** Web seeds in use, and how many of them are backing off or dropped. */
  webSeeds?: { active: number; failing: number }
}): string | null {
  if (s.status !== 'downloading' && s.status !== 'fetching-metadata') return null
  if (s.downloadRate >= 1) return null
  const metadata = s.status === 'fetching-metadata'
  if (s.connected > 0)
    return metadata
      ? 'Connected peers have not sent the metadata (file list) yet.'
      : `Connected peers are not sending anything yet.${quietText(s.quiet)}`
  if (s.connecting > 0) return 'No peer connected yet; connecting…'
  const web = s.webSeeds
  if (web && web.active > 0 && !metadata)
    return web.failing < web.active
      ? 'No peer connected; asking the web seeds…'
      : `No peer connected, and ${web.active === 1 ? 'the web seed is' : `all ${web.active} web seeds are`} failing (see the Peers tab).`
  const usable = s.trackers.filter((r) => r.status !== 'disabled')
  const failing = usable.length > 0 && usable.every((r) => r.status === 'error')
  if (s.known > 0) return `No peer answers (${s.known} known).${failing ? ' Every tracker is failing.' : ''}`
  if (usable.length === 0)
    return metadata
      ? 'No peers: this magnet link names no tracker and no peer.'
      : 'No peers: this torrent names no working tracker.'
  if (failing) return 'No peers: every tracker is failing (see the Trackers tab).'
  return 'No peers found yet.'
}

/** " 2 choke us; 1 unchoked us but sent nothing (snubbed)." — empty when no peer has a known reason. */
function quietText(q: Readonly<Record<QuietReason, number>> | undefined): string {
  if (!q) return ''
  const n = (k: number, one: string, many: string) => (k === 1 ? `1 ${one}` : `${k} ${many}`)
  const parts = [
    q.choked ? `${n(q.choked, 'chokes us (no upload slot for us yet)', 'choke us (no upload slot for us yet)')}` : '',
    q.snubbed
      ? `${n(q.snubbed, 'unchoked us but sent nothing (snubbed)', 'unchoked us but sent nothing (snubbed)')}`
      : '',
    q['not-interested'] ? `${n(q['not-interested'], 'has nothing we need', 'have nothing we need')}` : '',
  ].filter(Boolean)
  return parts.length ? ` ${parts.join('; ')}.` : ''
}

export function torrentDetail(t: TorrentRowSource, parts: Array<keyof TorrentDetail>): Partial<TorrentDetail> {
  const out: Partial<TorrentDetail> = {}
  for (const part of parts) {
    switch (part) {
      case 'peers':
        out.peers = t.getDisplayPeers().map((dp) =>
          dp.session
            ? dp.session.row()
            : {
                key: dp.key,
                ip: dp.ip,
                port: dp.port,
                state: 'connecting',
                client: '',
                source: [...dp.peer.sources],
                progress: 0,
                downloadRate: 0,
                uploadRate: 0,
                downloaded: 0,
                uploaded: 0,
                flags: '',
                requests: 0,
                incoming: false,
                transport: 'tcp',
                encryption: 'plain',
              },
        )
        out.peers.push(...t.webSeeds.rows())
        break
      case 'swarm':
        out.swarm = t.pool.allPeers().map(
          (p): SwarmRow => ({
            key: p.key,
            ip: p.ip,
            port: p.port,
            state: p.state,
            sources: [...p.sources],
            failcount: p.failcount,
            hashfails: p.hashfails,
            rejects: p.rejects,
            snubs: p.snubs,
            violations: p.violations,
            drops: p.drops,
            rank: p.rank,
            lastConnected: p.lastConnected,
            ...(p.lastError ? { lastError: p.lastError } : {}),
            ...(p.banReason ? { banReason: p.banReason } : {}),
            ...(p.dropReason ? { dropReason: p.dropReason } : {}),
            seed: p.seed,
          }),
        )
        break
      case 'files':
        out.files = t.downloader?.fileRows() ?? []
        break
      case 'trackers':
        out.trackers = [...t.trackers.rows(), t.dht.row(), ...t.discoveryRows()]
        break
      case 'pieces':
        out.pieces = t.downloader?.piecesView() ?? null
        break
      case 'streaming':
        out.streaming = t.streaming.state()
        break
    }
  }
  return out
}
