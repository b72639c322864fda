import { createSignal, type JSX } from 'solid-js'
import type { SwarmRow } from '@tidepool/engine'
import { byNumber, byText, nextSort, type SortState } from '../store/sort.ts'
import { VirtualTable, type Column } from './virtual-table.tsx'

const columns: Column<SwarmRow>[] = [
  { id: 'addr', title: 'Address', width: 200, sort: byText((p) => p.key), cell: (p) => <span class="mono">{p.key}</span> },
  { id: 'state', title: 'State', width: 110, sort: byText((p) => p.state), cell: (p) => <span class={`swstate sw-${p.state}`}>{p.state}</span> },
  { id: 'sources', title: 'Sources', width: 120, sort: byText((p) => p.sources.join(',')), cell: (p) => p.sources.join(', ') },
  { id: 'fail', clip: false, title: 'Fails', width: 56, align: 'right', sort: byNumber((p) => p.failcount), sortDefault: 'desc', cell: (p) => String(p.failcount) },
  { id: 'hashfails', clip: false, title: 'Hash fails', width: 80, align: 'right', sort: byNumber((p) => p.hashfails), sortDefault: 'desc', cell: (p) => String(p.hashfails) },
  { id: 'rank', clip: false, title: 'Rank', width: 90, align: 'right', sort: byNumber((p) => p.rank), sortDefault: 'desc', cell: (p) => String(p.rank) },
  { id: 'seed', clip: false, title: 'Seed', width: 50, align: 'center', sort: byNumber((p) => (p.seed ? 1 : 0)), sortDefault: 'desc', cell: (p) => (p.seed ? '✓' : '') },
  { id: 'last', title: 'Last connected', width: 150, sort: byNumber((p) => p.lastConnected), sortDefault: 'desc', cell: (p) => (p.lastConnected > 0 ? new Date(p.lastConnected).toLocaleTimeString() : '') },
  { id: 'error', title: 'Last error', width: 150, sort: byText((p) => p.lastError ?? ''), cell: (p) => <span class="dim">{p.lastError ?? ''}</span> },
  { id: 'ban', title: 'Ban reason', width: 150, sort: byText((p) => p.banReason ?? ''), cell: (p) => <span class="bad">{p.banReason ?? ''}</span> },
]

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
      rowClass={(p) => (p.banReason ? 'row-banned' : '')}
      empty={<span>The pool knows no peers yet.</span>}
    />
  )
}
