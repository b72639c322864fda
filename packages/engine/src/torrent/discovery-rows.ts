import type { TrackerRow } from '../api/types.ts'

/**
 * The Trackers tab's rows for peer exchange (BEP 11) and local peer discovery (BEP 14), as qBittorrent
 * lists them beside the DHT row: whether each finds peers for this torrent, and how many it found.
 * A private torrent uses neither (BEP 27).
 */
export function discoveryRows(s: {
  isPrivate: boolean
  running: boolean
  lsdEnabled: boolean
  /** Peers in the pool by source. */
  found: (source: 'pex' | 'lsd') => number
}): TrackerRow[] {
  const row = (url: string, on: boolean, off: string, source: 'pex' | 'lsd'): TrackerRow => ({
    url,
    tier: -1,
    status: s.isPrivate || !on ? 'disabled' : s.running ? 'working' : 'idle',
    lastAnnounce: null,
    nextAnnounce: null,
    peersReceived: s.found(source),
    seeders: null,
    leechers: null,
    ...(s.isPrivate ? { message: 'private torrent' } : !on ? { message: off } : {}),
  })
  return [row('PeX', true, '', 'pex'), row('LSD', s.lsdEnabled, 'local peer discovery is off', 'lsd')]
}
