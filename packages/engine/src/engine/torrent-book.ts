/**
 * What the engine keeps of each torrent besides the Torrent itself, and saves with the session: the
 * magnet link it came from, whether the user paused it, trackers and web seeds merged in by adding it
 * again, the tracker list the user edited, its label. One place to forget a torrent, and one to write
 * these fields of its session entry.
 */
import type { WebSeedSource } from '../webseed/webseed-url.ts'
import type { SessionEntry } from './session-store.ts'

type BookFields = Pick<SessionEntry, 'paused' | 'magnet' | 'extraTrackers' | 'extraWebSeeds' | 'label' | 'trackers'>

export class TorrentBook {
  readonly magnets = new Map<string, string | undefined>()
  readonly paused = new Map<string, boolean>()
  /** Trackers merged in by adding a torrent again, kept so a restart keeps them. */
  readonly extraTrackers = new Map<string, string[]>()
  /** Web seeds merged in the same way. */
  readonly extraWebSeeds = new Map<string, WebSeedSource[]>()
  /** The whole tracker list of torrents whose trackers the user edited; replaces the file's list on restore. */
  readonly trackerLists = new Map<string, string[][]>()
  /** The user's labels (normalised, never empty). */
  readonly labels = new Map<string, string>()

  /** Trackers that adding the torrent again merged in (those already noted are not noted twice). */
  noteExtraTrackers(infoHash: string, urls: readonly string[]): void {
    const extra = this.extraTrackers.get(infoHash) ?? []
    this.extraTrackers.set(infoHash, [...extra, ...urls.filter((u) => !extra.includes(u))])
  }

  noteExtraWebSeeds(infoHash: string, added: readonly WebSeedSource[]): void {
    if (added.length > 0) this.extraWebSeeds.set(infoHash, [...(this.extraWebSeeds.get(infoHash) ?? []), ...added])
  }

  /** The torrent is gone (removed, or its restore failed). */
  forget(infoHash: string): void {
    this.magnets.delete(infoHash)
    this.paused.delete(infoHash)
    this.extraTrackers.delete(infoHash)
    this.extraWebSeeds.delete(infoHash)
    this.trackerLists.delete(infoHash)
    this.labels.delete(infoHash)
  }

  /** Its fields of a session entry. */
  entryFields(infoHash: string): BookFields {
    const magnet = this.magnets.get(infoHash)
    const extraTrackers = this.extraTrackers.get(infoHash)
    const extraWebSeeds = this.extraWebSeeds.get(infoHash)
    const label = this.labels.get(infoHash)
    const trackers = this.trackerLists.get(infoHash)
    return {
      paused: this.paused.get(infoHash) ?? false,
      ...(magnet ? { magnet } : {}),
      ...(extraTrackers?.length ? { extraTrackers } : {}),
      ...(extraWebSeeds?.length ? { extraWebSeeds } : {}),
      ...(label ? { label } : {}),
      ...(trackers ? { trackers } : {}),
    }
  }
}
