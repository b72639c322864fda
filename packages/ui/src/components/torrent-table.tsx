import type { JSX } from 'solid-js'
import type { TorrentStatus, TorrentSummary } from '@tidepool/engine'
import { formatBytes, formatEta, formatRate, formatRatio, plainError } from '../format.ts'
import { byNumber, byText, type SortState, type SortDir } from '../store/sort.ts'
import { ProgressBar } from './progress-bar.tsx'
import { VirtualTable, type Column } from './virtual-table.tsx'

export const STATUS_LABEL: Record<TorrentStatus, string> = {
  'fetching-metadata': 'Fetching metadata',
  checking: 'Checking',
  downloading: 'Downloading',
  seeding: 'Seeding',
  paused: 'Paused',
  queued: 'Queued',
  error: 'Error',
}

/** What the Status column says: the error, "Stalled" when nothing moves, else the state. */
export function statusText(t: Pick<TorrentSummary, 'status' | 'error' | 'stalled' | 'moving'>): string {
  if (t.moving) return `Moving ${t.moving.total ? Math.floor((100 * t.moving.done) / t.moving.total) : 0}%`
  if (t.error) return `Error: ${plainError(t.error)}`
  if (t.stalled) return t.status === 'fetching-metadata' ? 'Stalled (no metadata)' : 'Stalled'
  return STATUS_LABEL[t.status]
}

const swarmCount = (n: number | undefined) => (n === undefined ? '' : ` (${n})`)

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' })

export const TORRENT_COLUMNS: Column<TorrentSummary>[] = [
  {
    id: 'name',
    title: 'Name',
    width: 300,
    sort: byText((t) => t.name),
    cell: (t) => (
      <span class="name" title={t.name}>
        {t.name || t.infoHash}
      </span>
    ),
  },
  {
    id: 'size',
    clip: false,
    title: 'Size',
    width: 86,
    align: 'right',
    sort: byNumber((t) => t.totalSize),
    sortDefault: 'desc',
    cell: (t) => (t.totalSize ? formatBytes(t.totalSize) : '?'),
  },
  {
    id: 'progress',
    clip: false,
    title: 'Progress',
    width: 130,
    sort: byNumber((t) => t.progress),
    sortDefault: 'desc',
    cell: (t) => <ProgressBar value={t.progress} tone={t.status} />,
  },
  {
    id: 'status',
    title: 'Status',
    width: 130,
    sort: byText((t) => statusText(t)),
    cell: (t) => (
      <span class={`status s-${t.stalled && !t.error ? 'stalled' : t.status}`} title={t.error ?? t.stalled ?? ''}>
        {statusText(t)}
      </span>
    ),
  },
  {
    id: 'down',
    clip: false,
    title: 'Down',
    width: 92,
    align: 'right',
    sort: byNumber((t) => t.downloadRate),
    sortDefault: 'desc',
    cell: (t) => formatRate(t.downloadRate),
  },
  {
    id: 'up',
    clip: false,
    title: 'Up',
    width: 92,
    align: 'right',
    sort: byNumber((t) => t.uploadRate),
    sortDefault: 'desc',
    cell: (t) => formatRate(t.uploadRate),
  },
  // As in qBittorrent: connected, and in brackets the swarm's total as the trackers report it.
  {
    id: 'seeds',
    clip: false,
    title: 'Seeds',
    width: 76,
    align: 'right',
    sort: byNumber((t) => t.seeds),
    sortDefault: 'desc',
    cell: (t) => (
      <span title="seeds connected (seeds in the swarm, from the trackers)">
        {t.seeds}
        <span class="dim">{swarmCount(t.trackerSeeds)}</span>
      </span>
    ),
  },
  {
    id: 'peers',
    clip: false,
    title: 'Peers',
    width: 76,
    align: 'right',
    sort: byNumber((t) => t.connected - t.seeds),
    sortDefault: 'desc',
    cell: (t) => (
      <span title="other peers connected (peers in the swarm, from the trackers)">
        {t.connected - t.seeds}
        <span class="dim">{swarmCount(t.trackerPeers)}</span>
      </span>
    ),
  },
  {
    id: 'eta',
    clip: false,
    title: 'ETA',
    width: 74,
    align: 'right',
    sort: byNumber((t) => t.etaSec),
    cell: (t) => (t.status === 'downloading' ? formatEta(t.etaSec) : ''),
  },
  {
    id: 'ratio',
    clip: false,
    title: 'Ratio',
    width: 60,
    align: 'right',
    sort: byNumber((t) => t.ratio),
    sortDefault: 'desc',
    cell: (t) => formatRatio(t.ratio),
  },
  {
    id: 'label',
    title: 'Label',
    width: 100,
    sort: byText((t) => t.label ?? ''),
    cell: (t) => (
      <span class="label-cell" title={t.label ?? ''}>
        {t.label ?? ''}
      </span>
    ),
  },
  {
    id: 'added',
    title: 'Added',
    width: 140,
    sort: byNumber((t) => t.addedAt),
    sortDefault: 'desc',
    cell: (t) => DATE.format(t.addedAt),
  },
  {
    id: 'save-path',
    title: 'Save path',
    width: 200,
    sort: byText((t) => `${t.savePath}/${t.saveDir ?? ''}`),
    cell: (t) => <span title={`${t.savePath}${t.saveDir ? `/${t.saveDir}` : ''}`}>{savePathText(t)}</span>,
  },
  // qBittorrent's '#' (last here, so existing layouts keep their first columns): the place in the queue,
  // which decides what runs when the active limits are reached
  {
    id: 'queue',
    clip: false,
    title: '#',
    width: 44,
    align: 'right',
    sort: byNumber((t) => t.queuePosition ?? 0),
    cell: (t) => (
      <span title={t.forced ? 'force-started: runs whatever the queue limits say' : 'place in the queue'}>
        {t.forced ? '*' : (t.queuePosition ?? '')}
      </span>
    ),
  },
]

/** A torrent's folder as the list shows it: "root/sub" (the General tab shows the full path). */
export const savePathText = (t: Pick<TorrentSummary, 'savePath' | 'saveDir'>) =>
  t.saveDir ? `${t.savePath}/${t.saveDir}` : t.savePath

export function TorrentTable(props: {
  torrents: TorrentSummary[]
  version: () => number
  sort: SortState | null
  onSort: (id: string, dir: SortDir) => void
  selected: (key: string) => boolean
  onRowClick: (key: string, ev: MouseEvent, order: () => string[]) => void
  onRowDblClick?: (key: string) => void
  onContextMenu?: (key: string, ev: MouseEvent) => void
  onGridKey?: (e: KeyboardEvent, order: () => string[]) => void
  cursor?: string | null
  /** The columns as the user laid them out (default: all). */
  columns?: Column<TorrentSummary>[]
  onResize?: (columnId: string, width: number) => void
  onHeaderMenu?: (columnId: string, at: { x: number; y: number }) => void
  empty: JSX.Element
}): JSX.Element {
  return (
    <VirtualTable
      label="Torrents"
      rows={props.torrents}
      columns={props.columns ?? TORRENT_COLUMNS}
      onResize={props.onResize}
      onHeaderMenu={props.onHeaderMenu}
      rowKey={(t) => t.infoHash}
      version={props.version}
      sort={props.sort}
      onSort={props.onSort}
      selected={props.selected}
      onRowClick={props.onRowClick}
      onRowDblClick={props.onRowDblClick}
      onContextMenu={props.onContextMenu}
      onGridKey={props.onGridKey}
      cursor={props.cursor ?? null}
      rowClass={(t) =>
        t.status === 'error' ? 'row-error' : t.status === 'paused' || t.status === 'queued' ? 'row-paused' : ''
      }
      empty={props.empty}
    />
  )
}
