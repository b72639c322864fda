import type { TorrentNotice } from './torrent-notices.ts'

/** The page can show notifications itself (the web app); the extension goes through chrome.notifications. */
export function pageNotificationsApply(): boolean {
  return typeof Notification !== 'undefined' && location.protocol !== 'chrome-extension:'
}

/** Shows a notice with the Notifications API once the user allowed it (nothing otherwise). */
export function showWebNotice(n: TorrentNotice): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return
  // one notification per torrent and kind: a repeat replaces the old one instead of piling up
  new Notification(n.title, { body: n.body, tag: `${n.kind}:${n.infoHash}` })
}
