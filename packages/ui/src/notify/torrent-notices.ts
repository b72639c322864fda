import type { EngineSettings, TorrentStatus, TorrentSummary } from '@tidepool/engine'
import { plainError } from '../format.ts'

/** Something a person should hear about without looking: a download finished, or a torrent failed. */
export interface TorrentNotice {
  kind: 'completed' | 'error'
  infoHash: string
  title: string
  body: string
}

export type NoticePrefs = Pick<EngineSettings, 'notifyOnComplete' | 'notifyOnError'>

/**
 * Turns successive torrent lists into notices, one per change: downloading → seeding is a finished
 * download, anything → error an error (a torrent added since the last list counts as new, so one that
 * fails at once is heard). The first list only sets the scene (a restart, a page opened later), so
 * restoring forty seeds, or a torrent that failed before, raises nothing.
 */
export class TorrentNotices {
  private readonly last = new Map<string, TorrentStatus>()
  private primed = false

  update(list: readonly TorrentSummary[], prefs: NoticePrefs): TorrentNotice[] {
    const out: TorrentNotice[] = []
    const present = new Set<string>()
    for (const t of list) {
      present.add(t.infoHash)
      const prev = this.last.get(t.infoHash)
      this.last.set(t.infoHash, t.status)
      if (!this.primed || prev === t.status) continue
      if (prefs.notifyOnComplete && prev === 'downloading' && t.status === 'seeding')
        out.push({ kind: 'completed', infoHash: t.infoHash, title: 'Download finished', body: t.name })
      else if (prefs.notifyOnError && t.status === 'error')
        out.push({
          kind: 'error',
          infoHash: t.infoHash,
          title: `Tidepool: ${t.name}`,
          body: plainError(t.error ?? 'The torrent stopped with an error.'),
        })
    }
    for (const h of [...this.last.keys()]) if (!present.has(h)) this.last.delete(h)
    this.primed = true
    return out
  }
}

/**
 * Polls the engine and hands each notice to `show` (the web app's Notification, the extension's
 * service worker). Returns a function that stops it.
 */
export function watchTorrentNotices(
  api: { listTorrents(): Promise<TorrentSummary[]>; getSettings(): Promise<EngineSettings> },
  show: (n: TorrentNotice) => void,
  everyMs = 2000,
): () => void {
  const notices = new TorrentNotices()
  let stopped = false
  let busy = false
  const tick = async () => {
    if (busy || stopped) return
    busy = true
    try {
      const [list, settings] = await Promise.all([api.listTorrents(), api.getSettings()])
      for (const n of notices.update(list, settings)) show(n)
    } catch {
      // the engine is not ready (no daemon yet): the next tick asks again
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => void tick(), everyMs)
  void tick()
  return () => {
    stopped = true
    clearInterval(timer)
  }
}
