import { createSignal, type JSX } from 'solid-js'
import type { SwarmRow } from '@tidepool/engine'
import { formatSources } from '../format.ts'
import { byNumber, byText, nextSort, type SortState } from '../store/sort.ts'
import { VirtualTable, type Column } from './virtual-table.tsx'

const columns: Column<SwarmRow>[] = [
  {
    id: 'addr',
    title: 'Address',
    width: 200,
    sort: byText((p) => p.key),
    cell: (p) => <span class="mono">{p.key}</span>,
  },
  {
    id: 'state',
    title: 'State',
    width: 110,
    sort: byText((p) => p.state),
    cell: (p) => <span class={`swstate sw-${p.state}`}>{p.state}</span>,
  },
  {
    id: 'sources',
    title: 'Sources',
    width: 120,
    sort: byText((p) => p.sources.join(',')),
    cell: (p) => formatSources(p.sources),
  },
  {
    id: 'fail',
    clip: false,
    title: 'Fails',
    width: 56,
    align: 'right',
    sort: byNumber((p) => p.failcount),
    sortDefault: 'desc',
    cell: (p) => String(p.failcount),
  },
  {
    id: 'hashfails',
    clip: false,
    title: 'Hash fails',
    width: 80,
    align: 'right',
    sort: byNumber((p) => p.hashfails),
    sortDefault: 'desc',
    cell: (p) => String(p.hashfails),
  },
  {
    id: 'rejects',
    clip: false,
    title: 'Rejects',
    width: 64,
    align: 'right',
    sort: byNumber((p) => p.rejects),
    sortDefault: 'desc',
    cell: (p) => String(p.rejects),
  },
  {
    id: 'snubs',
    clip: false,
    title: 'Snubs',
    width: 56,
    align: 'right',
    sort: byNumber((p) => p.snubs),
    sortDefault: 'desc',
    cell: (p) => String(p.snubs),
  },
  {
    id: 'violations',
    clip: false,
    title: 'Violations',
    width: 76,
    align: 'right',
    sort: byNumber((p) => p.violations),
    sortDefault: 'desc',
    cell: (p) => String(p.violations),
  },
  {
    id: 'rank',
    clip: false,
    title: 'Rank',
    width: 90,
    align: 'right',
    sort: byNumber((p) => p.rank),
    sortDefault: 'desc',
    cell: (p) => String(p.rank),
  },
  {
    id: 'seed',
    clip: false,
    title: 'Seed',
    width: 50,
    align: 'center',
    sort: byNumber((p) => (p.seed ? 1 : 0)),
    sortDefault: 'desc',
    cell: (p) => (p.seed ? '✓' : ''),
  },
  {
    id: 'last',
    title: 'Last connected',
    width: 150,
    sort: byNumber((p) => p.lastConnected),
    sortDefault: 'desc',
    cell: (p) => (p.lastConnected > 0 ? new Date(p.lastConnected).toLocaleTimeString() : ''),
  },
  {
    id: 'error',
    title: 'Last error',
    width: 150,
    sort: byText((p) => p.lastError ?? ''),
    cell: (p) => <span class="dim">{p.lastError ?? ''}</span>,
  },
  {
    id: 'ban',
    title: 'Ban reason',
    width: 150,
    sort: byText((p) => p.banReason ?? ''),
    cell: (p) => <span class="bad">{p.banReason ?? ''}</span>,
  },
  {
    id: 'drop',
    title: 'Dropped for',
    width: 220,
    sort: byText((p) => p.dropReason ?? ''),
    cell: (p) => <span class="warn">{droppedFor(p)}</span>,
  },
]

/** Why we last dropped the peer for its conduct, with how often when more than once. */
function droppedFor(p: SwarmRow): string {
  if (!p.dropReason) return ''
  return p.drops > 1 ? `${p.drops}×: ${p.dropReason}` : p.dropReason
}

export function SwarmTab(props: { swarm: SwarmRow[]; version: () => number }): JSX.Element {
  const [sort, setSort] = createSignal<SortState | null>(null)
  return (
    <VirtualTable
      label="Swarm"
      rows={props.swarm}
      columns={columns}
      rowKey={(p) => p.key}
      version={props.version}
      sort={sort()}
      onSort={(id, dir) => setSort((s) => nextSort(s, id, dir))}
      rowClass={(p) => (p.banReason ? 'row-banned' : p.dropReason ? 'row-dropped' : '')}
      empty={<span>The pool knows no peers yet.</span>}
    />
  )
}
