import type { TrackerEdit } from '../api/types.ts'
import type { TorrentTrackers } from './torrent-trackers.ts'

/**
 * Applies the user's edit to a torrent's trackers. Returns true when the list changed (so the caller
 * keeps the new list with the session), false for a re-announce or an add of listed URLs only.
 * Throws TrackerEditError for a bad URL or an unknown tracker.
 */
export function applyTrackerEdit(trackers: TorrentTrackers, edit: TrackerEdit): boolean {
  switch (edit.kind) {
    case 'add':
      return trackers.addChecked(edit.urls, edit.tier).length > 0
    case 'edit': {
      const before = JSON.stringify(trackers.tierList())
      trackers.edit(edit.url, {
        ...(edit.newUrl !== undefined ? { url: edit.newUrl } : {}),
        ...(edit.tier !== undefined ? { tier: edit.tier } : {}),
      })
      return JSON.stringify(trackers.tierList()) !== before
    }
    case 'remove':
      trackers.remove(edit.urls)
      return edit.urls.length > 0
    case 'reannounce':
      trackers.reannounce(edit.url)
      return false
  }
}
