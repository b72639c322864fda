import { For, Show, type JSX } from 'solid-js'
import type { FilePriority, FileRow } from '@tidepool/engine'
import { formatBytes } from '../format.ts'
import { ProgressBar } from './progress-bar.tsx'

const PRIORITIES: FilePriority[] = ['skip', 'low', 'normal', 'high']

/** Torrents rarely have thousands of files; a plain table keeps priority controls simple. */
export function FilesTab(props: { files: FileRow[]; onPriority: (index: number, p: FilePriority) => void }): JSX.Element {
  return (
    <div class="plain-wrap">
      <table class="plain" aria-label="Files">
        <thead>
          <tr><th class="center">Get</th><th>Path</th><th class="right">Size</th><th>Progress</th><th>Priority</th></tr>
        </thead>
        <tbody>
          <For each={props.files} fallback={<tr><td colSpan={5} class="vt-empty">No file list yet (metadata not received).</td></tr>}>
            {(f) => (
              <tr classList={{ 'row-paused': f.priority === 'skip' }}>
                <td class="center">
                  <input
                    type="checkbox"
                    aria-label={`Download ${f.path}`}
                    checked={f.priority !== 'skip'}
                    onChange={(e) => props.onPriority(f.index, e.currentTarget.checked ? 'normal' : 'skip')}
                  />
                </td>
                <td class="name" title={f.path}>{f.path}</td>
                <td class="right">{formatBytes(f.size)}</td>
                <td style={{ width: '140px' }}><ProgressBar value={f.progress} /></td>
                <td>
                  <select value={f.priority} aria-label={`Priority of ${f.path}`} onChange={(e) => props.onPriority(f.index, e.currentTarget.value as FilePriority)}>
                    <For each={PRIORITIES}>{(p) => <option value={p}>{p}</option>}</For>
                  </select>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  )
}
