/** The sidebar: filter the list by state, by tracker or by label, with how many torrents each holds. */
import { createMemo, For, type JSX, Show } from 'solid-js'
import type { TorrentSummary } from '@tidepool/engine'
import { labelCounts, STATE_FILTERS, stateCounts, trackerCounts, type StateFilter } from '../store/state-filter.ts'

export function Sidebar(props: {
  torrents: TorrentSummary[]
  version: () => number
  state: StateFilter
  tracker: string | null
  onState: (f: StateFilter) => void
  onTracker: (host: string | null) => void
  label: string | null
  onLabel: (label: string | null) => void
}): JSX.Element {
  // Counted once per update of the list (statuses change in place).
  const counts = createMemo(() => {
    props.version()
    return stateCounts(props.torrents)
  })
  const trackers = createMemo(() => {
    props.version()
    return trackerCounts(props.torrents)
  })
  const labels = createMemo(() => {
    props.version()
    return labelCounts(props.torrents)
  })
  return (
    <nav class="sidebar" aria-label="Filter torrents">
      <div class="side-title" id="side-state">
        State
      </div>
      <ul aria-labelledby="side-state">
        <For each={STATE_FILTERS}>
          {(f) => (
            <li>
              <button
                type="button"
                aria-pressed={props.state === f.id}
                data-state-filter={f.id}
                onClick={() => props.onState(f.id)}
              >
                <span>{f.label}</span>
                <span class="side-count">{counts()[f.id]}</span>
              </button>
            </li>
          )}
        </For>
      </ul>
      <div class="side-title" id="side-trackers">
        Trackers
      </div>
      <ul aria-labelledby="side-trackers">
        <li>
          <button
            type="button"
            aria-pressed={props.tracker === null}
            data-tracker-filter="*"
            onClick={() => props.onTracker(null)}
          >
            <span>All</span>
            <span class="side-count">{props.torrents.length}</span>
          </button>
        </li>
        <For each={trackers()}>
          {(t) => (
            <li>
              <button
                type="button"
                aria-pressed={props.tracker === t.host}
                data-tracker-filter={t.host}
                onClick={() => props.onTracker(t.host)}
                title={t.host || 'Torrents without a tracker'}
              >
                <span class="side-host">{t.host || 'No tracker'}</span>
                <span class="side-count">{t.count}</span>
              </button>
            </li>
          )}
        </For>
      </ul>
      <div class="side-title" id="side-labels">
        Labels
      </div>
      <ul aria-labelledby="side-labels">
        <li>
          <button
            type="button"
            aria-pressed={props.label === null}
            data-label-filter="*"
            onClick={() => props.onLabel(null)}
          >
            <span>All</span>
            <span class="side-count">{props.torrents.length}</span>
          </button>
        </li>
        <For each={labels()}>
          {(l) => (
            <li>
              <button
                type="button"
                aria-pressed={props.label === l.label}
                data-label-filter={l.label}
                onClick={() => props.onLabel(l.label)}
                title={l.label || 'Torrents without a label'}
              >
                <span class="side-host">{l.label || 'No label'}</span>
                <span class="side-count">{l.count}</span>
              </button>
            </li>
          )}
        </For>
      </ul>
      <Show when={labels().length === 0}>
        <p class="side-hint">Label torrents from their menu (or press L).</p>
      </Show>
    </nav>
  )
}
