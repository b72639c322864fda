import { For, Show, type JSX } from 'solid-js'
import type { LogEntry } from '@tidepool/engine'
import { formatClock } from '../format.ts'

/**
 * The focused torrent's recent log, oldest first. The newest line stays in view while the reader is at
 * the end, and lines being read stay put after scrolling up. That is the CSS of .log-wrap (a reversed
 * column starts at its end), not a script setting scrollTop: a scroll event would close an open
 * context menu each time a line arrives.
 */
export function LogTab(props: { entries: readonly LogEntry[] | null; error: string | null }): JSX.Element {
  const empty = () =>
    props.error
      ? `Could not read this torrent's log: ${props.error}`
      : props.entries
        ? 'No log lines for this torrent yet.'
        : 'Loading…'
  return (
    <Show
      when={!props.error && props.entries?.length}
      fallback={
        <div class="vt-empty" classList={{ bad: !!props.error }} role={props.error ? 'alert' : undefined}>
          {empty()}
        </div>
      }
    >
      <div class="plain-wrap log-wrap">
        <table class="plain log" aria-label="Log">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Level</th>
              <th scope="col">Component</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody class="mono">
            <For each={props.entries}>
              {(e) => (
                <tr class={`lvl-${e.level}`}>
                  <td>
                    <time dateTime={new Date(e.at).toISOString()} title={new Date(e.at).toLocaleString()}>
                      {formatClock(e.at)}
                    </time>
                  </td>
                  <td class="lvl">{e.level}</td>
                  <td>{e.component}</td>
                  <td class="msg">{e.message}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </Show>
  )
}
