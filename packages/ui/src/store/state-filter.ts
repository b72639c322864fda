/**
 * The sidebar's filters, as qBittorrent has them: by state (a torrent may be in two, e.g. downloading
 * and stalled) and by tracker host. Pure, so the counts and the list always agree.
 */
import type { TorrentSummary } from '@tidepool/engine'

export type StateFilter = 'all' | 'downloading' | 'seeding' | 'paused' | 'stalled' | 'error' | 'queued' | 'checking'

export const STATE_FILTERS: Array<{ id: StateFilter; label: string }> = [
  { id: 'all', label: 'All' },
  { id: 'downloading', label: 'Downloading' },
  { id: 'seeding', label: 'Seeding' },
  { id: 'paused', label: 'Paused' },
  { id: 'stalled', label: 'Stalled' },
  { id: 'error', label: 'Error' },
  { id: 'queued', label: 'Queued' },
  { id: 'checking', label: 'Checking' },
]

type Row = Pick<TorrentSummary, 'status' | 'error' | 'stalled' | 'trackerHosts' | 'label'>

export function inState(t: Row, f: StateFilter): boolean {
  switch (f) {
    case 'all':
      return true
    case 'downloading':
      return t.status === 'downloading' || t.status === 'fetching-metadata'
    case 'seeding':
      return t.status === 'seeding'
    case 'paused':
      return t.status === 'paused'
    case 'stalled':
      return !!t.stalled && !t.error
    case 'error':
      return t.status === 'error' || !!t.error
    case 'queued':
      return t.status === 'queued'
    case 'checking':
      return t.status === 'checking'
  }
}

/** null: any tracker; '' : torrents without a tracker; else a host. */
export function onTracker(t: Row, host: string | null): boolean {
  if (host === null) return true
  const hosts = t.trackerHosts ?? []
  return host === '' ? hosts.length === 0 : hosts.includes(host)
}

export function stateCounts(rows: readonly Row[]): Record<StateFilter, number> {
  const c = Object.fromEntries(STATE_FILTERS.map((f) => [f.id, 0])) as Record<StateFilter, number>
  for (const t of rows) for (const f of STATE_FILTERS) if (inState(t, f.id)) c[f.id]++
  return c
}

/** Tracker hosts with how many torrents use each, most used first; '' counts torrents with none. */
export function trackerCounts(rows: readonly Row[]): Array<{ host: string; count: number }> {
  const m = new Map<string, number>()
  for (const t of rows) {
    const hosts = t.trackerHosts ?? []
    if (hosts.length === 0) m.set('', (m.get('') ?? 0) + 1)
    for (const h of hosts) m.set(h, (m.get(h) ?? 0) + 1)
  }
  return [...m]
    .map(([host, count]) => ({ host, count }))
    .sort((a, b) => b.count - a.count || a.host.localeCompare(b.host))
}

/** null: any label; '' : torrents without a label; else that label. */
export function withLabel(t: Row, label: string | null): boolean {
  return label === null || (t.label ?? '') === label
}

/** Labels in use with how many torrents have each, by name; '' (no label) last, only when labels exist. */
export function labelCounts(rows: readonly Row[]): Array<{ label: string; count: number }> {
  const m = new Map<string, number>()
  for (const t of rows) m.set(t.label ?? '', (m.get(t.label ?? '') ?? 0) + 1)
  const none = m.get('') ?? 0
  m.delete('')
  const out = [...m].map(([label, count]) => ({ label, count })).sort((a, b) => a.label.localeCompare(b.label))
  return out.length && none ? [...out, { label: '', count: none }] : out
}
