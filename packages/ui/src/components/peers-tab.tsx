import { createSignal, For, type JSX } from 'solid-js'
import type { PeerRow } from '@tidepool/engine'
import { formatBytes, formatPercent, formatRate, formatSources } from '../format.ts'
import { byNumber, byText, nextSort, type SortState } from '../store/sort.ts'
import { VirtualTable, type Column } from './virtual-table.tsx'

/** A web seed's row says so, and what it is doing: downloading, idle, waiting after a failure, dropped. */
function webSeedState(w: NonNullable<PeerRow['webSeed']>): string {
  if (w.state === 'backoff') return `Web seed: retry in ${w.retryInSec ?? 0}s`
  return `Web seed: ${w.state}`
}

// Connecting rows show address and client only: the other numbers do not exist yet.
const live = (p: PeerRow, text: string): string => (p.state === 'connected' ? text : '')

const columns: Column<PeerRow>[] = [
  {
    id: 'state',
    clip: false,
    title: 'State',
    width: 104,
    sort: byText((p) => p.state),
    cell: (p) => (
      <span class={`pstate ${p.state}`} title={p.webSeed?.error}>
        {p.webSeed ? webSeedState(p.webSeed) : p.state === 'connected' ? 'Connected' : 'Connecting…'}
      </span>
    ),
  },
  {
    id: 'addr',
    title: 'Address',
    width: 200,
    sort: byText((p) => p.key),
    cell: (p) => (
      <span class="mono" title={p.key}>
        {p.key}
        {p.incoming ? ' ⇠' : ''}
      </span>
    ),
  },
  { id: 'client', title: 'Client', width: 150, sort: byText((p) => p.client), cell: (p) => p.client },
  {
    id: 'progress',
    clip: false,
    title: 'Progress',
    width: 74,
    align: 'right',
    sort: byNumber((p) => p.progress),
    sortDefault: 'desc',
    cell: (p) => live(p, formatPercent(p.progress)),
  },
  {
    id: 'down',
    clip: false,
    title: 'Down',
    width: 92,
    align: 'right',
    sort: byNumber((p) => p.downloadRate),
    sortDefault: 'desc',
    cell: (p) => live(p, formatRate(p.downloadRate)),
  },
  {
    id: 'up',
    clip: false,
    title: 'Up',
    width: 92,
    align: 'right',
    sort: byNumber((p) => p.uploadRate),
    sortDefault: 'desc',
    cell: (p) => live(p, formatRate(p.uploadRate)),
  },
  {
    id: 'downloaded',
    clip: false,
    title: 'Downloaded',
    width: 92,
    align: 'right',
    sort: byNumber((p) => p.downloaded),
    sortDefault: 'desc',
    cell: (p) => live(p, formatBytes(p.downloaded)),
  },
  {
    id: 'uploaded',
    clip: false,
    title: 'Uploaded',
    width: 92,
    align: 'right',
    sort: byNumber((p) => p.uploaded),
    sortDefault: 'desc',
    cell: (p) => live(p, formatBytes(p.uploaded)),
  },
  {
    id: 'conn',
    title: 'Connection',
    width: 96,
    sort: byText((p) => `${p.transport} ${p.encryption}`),
    cell: (p) =>
      live(
        p,
        `${p.transport === 'utp' ? 'uTP' : 'TCP'}${p.encryption === 'rc4' ? ' · RC4' : p.encryption === 'plaintext-in-mse' ? ' · MSE' : ''}`,
      ),
  },
  {
    id: 'flags',
    title: 'Flags',
    width: 80,
    sort: byText((p) => p.flags),
    cell: (p) => <span class="mono">{live(p, p.flags)}</span>,
  },
  {
    id: 'reqs',
    clip: false,
    title: 'Reqs',
    width: 56,
    align: 'right',
    sort: byNumber((p) => p.requests),
    sortDefault: 'desc',
    cell: (p) => live(p, String(p.requests)),
  },
  {
    id: 'source',
    title: 'Source',
    width: 110,
    sort: byText((p) => p.source.join(',')),
    cell: (p) => live(p, formatSources(p.source)),
  },
]

/** What the Flags column's letters mean (qBittorrent's letters, with qBittorrent's meanings). */
export const FLAG_LEGEND: Array<[string, string]> = [
  ['D', 'downloading from them'],
  ['d', 'we want data, they choke us'],
  ['U', 'uploading to them'],
  ['u', 'they want data, we choke them'],
  ['K', 'they unchoked us, we do not want anything'],
  ['?', 'we unchoked them, they do not want anything'],
  ['I', 'they connected to us'],
  ['S', 'snubbed: sent nothing for a while'],
  ['E', 'encrypted connection (RC4)'],
  ['e', 'encrypted handshake, plain data'],
]

export function PeersTab(props: { peers: PeerRow[]; version: () => number }): JSX.Element {
  const [sort, setSort] = createSignal<SortState | null>(null)
  return (
    <>
      <VirtualTable
        label="Peers"
        rows={props.peers}
        columns={columns}
        rowKey={(p) => p.key}
        version={props.version}
        sort={sort()}
        onSort={(id, dir) => setSort((s) => nextSort(s, id, dir))}
        rowClass={(p) => (p.state === 'connecting' ? 'row-connecting' : '')}
        empty={<span>No peers yet. Peers appear here as “Connecting…” the moment a connection is attempted.</span>}
      />
      <div class="flag-legend" role="group" aria-label="Flags">
        Flags:{' '}
        <For each={FLAG_LEGEND}>
          {([f, what], i) => (
            <>
              <b>{f}</b> {what}
              {i() < FLAG_LEGEND.length - 1 ? ' · ' : ''}
            </>
          )}
        </For>
      </div>
    </>
  )
}
