import type { EngineSettings } from '../api/types.ts'
import type { StateStore } from '../platform/ports.ts'
import { utf8Decode, utf8Encode } from '../util/bytes.ts'
import type { ScheduleRecord } from './torrent-scheduler.ts'

/** One torrent in the saved session: enough to add it again after a restart. */
export interface SessionEntry {
  infoHash: string
  savePath: string
  /** Folder inside savePath; absent for the root itself. */
  saveDir?: string
  /** Downloading into the incomplete folder: where the data goes once complete. */
  completeTo?: { root: string; dir: string }
  paused: boolean
  addedAt: number
  magnet?: string
  /** Priorities by file index, when any differ from normal. */
  filePriorities?: string[]
  /** Trackers merged in by adding the torrent again (not in its .torrent or magnet). */
  extraTrackers?: string[]
  /** Web seeds merged in the same way (BEP 19 `url-list` or BEP 17 `httpseeds`). */
  extraWebSeeds?: Array<{ url: string; kind: string }>
  /** The user's label. */
  label?: string
  /** Payload bytes over every run, so the share ratio survives a restart. */
  uploadedTotal?: number
  downloadedTotal?: number
  /** 1-based place in the queue. */
  queuePosition?: number
  /** Seeding time, completion date, force start and own seeding limits (the scheduler's record). */
  schedule?: Partial<ScheduleRecord>
  /** Download order (torrent-streaming.ts), when not the default. */
  sequential?: boolean
  firstLastPiecesFirst?: boolean
  /** The whole tracker list (tiers) once the user edited it; replaces the torrent's own and extraTrackers. */
  trackers?: string[][]
  /** The torrent's own speed limits (bytes/s), when any is set. */
  rateLimits?: { download: number; upload: number }
}

const LIST_KEY = 'session/torrents'
const SETTINGS_KEY = 'session/settings'
const torrentKey = (h: string) => `session/torrent-file/${h}`

/**
 * The engine's persistence: the torrent list and settings as JSON, each torrent's metainfo bytes
 * (the .torrent, or the info dictionary fetched for a magnet) under its own key.
 * Per-torrent resume data belongs to storage and uses its own keys.
 */
export class SessionStore {
  constructor(private readonly store: StateStore) {}

  async loadSettings(): Promise<Partial<EngineSettings> | null> {
    return this.readJson<Partial<EngineSettings>>(SETTINGS_KEY)
  }

  saveSettings(s: EngineSettings): Promise<void> {
    return this.store.set(SETTINGS_KEY, utf8Encode(JSON.stringify(s)))
  }

  async loadEntries(): Promise<SessionEntry[]> {
    const list = await this.readJson<SessionEntry[]>(LIST_KEY)
    if (!Array.isArray(list)) return []
    return list.filter((e) => e && typeof e.infoHash === 'string' && /^[0-9a-f]{40}$/.test(e.infoHash))
  }

  saveEntries(entries: SessionEntry[]): Promise<void> {
    return this.store.set(LIST_KEY, utf8Encode(JSON.stringify(entries)))
  }

  loadTorrentFile(infoHash: string): Promise<Uint8Array | null> {
    return this.store.get(torrentKey(infoHash))
  }

  saveTorrentFile(infoHash: string, bytes: Uint8Array): Promise<void> {
    return this.store.set(torrentKey(infoHash), bytes)
  }

  deleteTorrentFile(infoHash: string): Promise<void> {
    return this.store.delete(torrentKey(infoHash))
  }

  private async readJson<T>(key: string): Promise<T | null> {
    const raw = await this.store.get(key)
    if (!raw) return null
    try {
      return JSON.parse(utf8Decode(raw)) as T
    } catch {
      return null // a corrupt session must not stop the engine from starting
    }
  }
}
