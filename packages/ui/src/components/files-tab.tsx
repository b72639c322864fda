import { createMemo, createRenderEffect, createSignal, For, type JSX, Show } from 'solid-js'
import { unwrap } from 'solid-js/store'
import type { FilePriority, FileRow } from '@tidepool/engine'
import { formatBytes } from '../format.ts'
import { allFolders, initialExpanded, treeRows, type TreeRow } from '../store/file-tree.ts'
import { ProgressBar } from './progress-bar.tsx'
import type { StreamActions } from './stream-launcher.tsx'
import { VirtualTable, type Column } from './virtual-table.tsx'

const PRIORITIES: FilePriority[] = ['skip', 'low', 'normal', 'high']
const PRIORITY_LABEL: Record<FilePriority | 'mixed', string> = {
  skip: 'Do not download',
  low: 'Low',
  normal: 'Normal',
  high: 'High',
  mixed: 'Mixed',
}

/**
 * The torrent's files as a folder tree: a checkbox per file and per folder (on, off or mixed), a
 * priority per file or for a whole folder, sizes and progress summed per folder. Virtualised, and only
 * open folders list their children (a torrent can have 100k files).
 */
export function FilesTab(props: {
  files: FileRow[]
  version: () => number
  onPriority: (indices: number[], p: FilePriority) => void
  /** Play / copy a file's stream URL (absent: no stream column). */
  stream?: StreamActions
}): JSX.Element {
  const [expanded, setExpanded] = createSignal<Set<string> | null>(null)
  const rows = createMemo(() => {
    props.version()
    const files = unwrap(props.files)
    let open = expanded()
    if (open === null && files.length > 0) {
      open = initialExpanded(files)
      setExpanded(open)
    }
    return treeRows(files, open ?? new Set())
  })
  const toggle = (key: string) => {
    const s = new Set(expanded() ?? [])
    if (s.has(key)) s.delete(key)
    else s.add(key)
    setExpanded(s)
  }
  const columns: Column<TreeRow>[] = [
    {
      id: 'name',
      title: 'Name',
      width: 520,
      cell: (r) => (
        <span class="tree-name" style={{ 'padding-left': `${r.depth * 16}px` }}>
          {r.folder ? (
            <button
              type="button"
              class="tree-toggle"
              aria-expanded={r.expanded}
              aria-label={`${r.expanded ? 'Close' : 'Open'} folder ${r.name}`}
              onClick={(e) => {
                e.stopPropagation()
                toggle(r.key)
              }}
            >
              {r.expanded ? '▾' : '▸'}
            </button>
          ) : (
            <span class="tree-toggle" aria-hidden="true" />
          )}
          <input
            type="checkbox"
            aria-label={`Download ${r.folder ? 'folder ' : ''}${r.name}`}
            checked={r.wanted !== 'none'}
            ref={(el) =>
              createRenderEffect(() => {
                el.indeterminate = r.wanted === 'some'
              })
            }
            onClick={(e) => e.stopPropagation()}
            onChange={(e) => props.onPriority(r.files, e.currentTarget.checked ? 'normal' : 'skip')}
          />
          <span class="name" title={r.name}>
            {r.folder ? `${r.name}/` : r.name}
          </span>
        </span>
      ),
    },
    { id: 'size', clip: false, title: 'Size', width: 90, align: 'right', cell: (r) => formatBytes(r.size) },
    {
      id: 'progress',
      clip: false,
      title: 'Progress',
      width: 140,
      cell: (r) => <ProgressBar value={r.progress} label={`Progress of ${r.name}`} />,
    },
    {
      id: 'priority',
      clip: false,
      title: 'Priority',
      width: 140,
      cell: (r) => (
        <select
          value={r.priority}
          aria-label={`Priority of ${r.folder ? 'folder ' : ''}${r.name}`}
          onChange={(e) => props.onPriority(r.files, e.currentTarget.value as FilePriority)}
        >
          {r.priority === 'mixed' ? (
            <option value="mixed" disabled>
              {PRIORITY_LABEL.mixed}
            </option>
          ) : null}
          <For each={PRIORITIES}>
            {(p) => (
              <option value={p} selected={p === r.priority}>
                {PRIORITY_LABEL[p]}
              </option>
            )}
          </For>
        </select>
      ),
    },
  ]
  const stream = props.stream
  if (stream)
    columns.push({
      id: 'stream',
      clip: false,
      title: 'Stream',
      width: 150,
      cell: (r) => (
        <Show when={!r.folder && r.files.length === 1}>
          <span class="row-actions">
            <button
              type="button"
              aria-label={`Play ${r.name}`}
              onClick={(e) => {
                e.stopPropagation()
                const f = unwrap(props.files).find((x) => x.index === r.files[0])
                if (f) stream.play(f)
              }}
            >
              Play
            </button>
            <button
              type="button"
              aria-label={`Copy URL of ${r.name}`}
              onClick={(e) => {
                e.stopPropagation()
                const f = unwrap(props.files).find((x) => x.index === r.files[0])
                if (f) stream.copyUrl(f)
              }}
            >
              Copy URL
            </button>
          </span>
        </Show>
      ),
    })
  const hasFolders = createMemo(() => {
    props.version()
    return unwrap(props.files).some((f) => f.path.includes('/'))
  })
  return (
    <>
      <Show when={hasFolders()}>
        <div class="files-toolbar" role="group" aria-label="Folders">
          <button type="button" onClick={() => setExpanded(allFolders(unwrap(props.files)))}>
            Open all folders
          </button>
          <button type="button" onClick={() => setExpanded(new Set<string>())}>
            Close all folders
          </button>
        </div>
      </Show>
      <VirtualTable
        label="Files"
        rows={rows()}
        columns={columns}
        rowKey={(r) => r.key}
        version={props.version}
        sort={null}
        rowClass={(r) => (r.wanted === 'none' ? 'row-paused' : '')}
        empty={<span>No file list yet (the metadata has not arrived).</span>}
        rowHeight={28}
      />
    </>
  )
}
