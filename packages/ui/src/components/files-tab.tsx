import { createSignal, For, type JSX } from 'solid-js'
import type { FilePriority, FileRow } from '@tidepool/engine'
import { formatBytes } from '../format.ts'
import { byNumber, byText, nextSort, type SortState } from '../store/sort.ts'
import { ProgressBar } from './progress-bar.tsx'
import { VirtualTable, type Column } from './virtual-table.tsx'

const PRIORITIES: FilePriority[] = ['skip', 'low', 'normal', 'high']
const RANK: Record<FilePriority, number> = { skip: 0, low: 1, normal: 2, high: 3 }

/** Files with a download checkbox and a priority; virtualised (torrents can have 100k files). */
export function FilesTab(props: { files: FileRow[]; version: () => number; onPriority: (index: number, p: FilePriority) => void }): JSX.Element {
  const [sort, setSort] = createSignal<SortState | null>(null)
  const columns: Column<FileRow>[] = [
    {
      id: 'get', clip: false, title: 'Get', width: 44, align: 'center', sort: byNumber((f) => (f.priority === 'skip' ? 0 : 1)),
      cell: (f) => (
        <input
          type="checkbox"
          aria-label={`Download ${f.path}`}
          checked={f.priority !== 'skip'}
          onClick={(e) => e.stopPropagation()}
          onChange={(e) => props.onPriority(f.index, e.currentTarget.checked ? 'normal' : 'skip')}
        />
      ),
    },
    { id: 'path', title: 'Path', width: 520, sort: byText((f) => f.path), cell: (f) => <span class="name" title={f.path}>{f.path}</span> },
    { id: 'size', clip: false, title: 'Size', width: 90, align: 'right', sort: byNumber((f) => f.size), sortDefault: 'desc', cell: (f) => formatBytes(f.size) },
    { id: 'progress', clip: false, title: 'Progress', width: 140, sort: byNumber((f) => f.progress), sortDefault: 'desc', cell: (f) => <ProgressBar value={f.progress} /> },
    {
      id: 'priority', clip: false, title: 'Priority', width: 110, sort: byNumber((f) => RANK[f.priority]), sortDefault: 'desc',
      cell: (f) => (
        <select value={f.priority} aria-label={`Priority of ${f.path}`} onChange={(e) => props.onPriority(f.index, e.currentTarget.value as FilePriority)}>
          <For each={PRIORITIES}>{(p) => <option value={p} selected={p === f.priority}>{p}</option>}</For>
        </select>
      ),
    },
  ]
  return (
    <VirtualTable
      label="Files"
      rows={props.files}
      columns={columns}
      rowKey={(f) => String(f.index)}
      version={props.version}
      sort={sort()}
      onSort={(id, dir) => setSort((s) => nextSort(s, id, dir))}
      rowClass={(f) => (f.priority === 'skip' ? 'row-paused' : '')}
      empty={<span>No file list yet (metadata not received).</span>}
      rowHeight={28}
    />
  )
}
