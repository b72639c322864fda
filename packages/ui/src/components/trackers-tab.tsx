import { For, type JSX } from 'solid-js'
import type { TrackerRow } from '@tidepool/engine'
import { formatWhen } from '../format.ts'

export function TrackersTab(props: { trackers: TrackerRow[]; now: () => number }): JSX.Element {
  return (
    <div class="plain-wrap">
      <table class="plain" aria-label="Trackers">
        <thead>
          <tr>
            <th>URL</th>
            <th>Tier</th>
            <th>Status</th>
            <th>Last announce</th>
            <th>Next announce</th>
            <th class="right">Peers</th>
            <th class="right">Seeds / leechers</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          <For
            each={props.trackers}
            fallback={
              <tr>
                <td colSpan={8} class="vt-empty">
                  No trackers (a trackerless magnet: peers come from the DHT and PEX).
                </td>
              </tr>
            }
          >
            {(t) => (
              <tr>
                <td
                  class="mono name"
                  classList={{ dhtrow: t.tier < 0 }}
                  title={t.tier < 0 ? 'Mainline DHT (BEP 5): peers looked up and our port announced' : t.url}
                >
                  {t.url}
                </td>
                <td>{t.tier < 0 ? '' : t.tier}</td>
                <td>
                  <span class={`tstate t-${t.status}`}>{t.status}</span>
                </td>
                <td>{formatWhen(t.lastAnnounce, props.now())}</td>
                <td>{formatWhen(t.nextAnnounce, props.now())}</td>
                <td class="right">{t.peersReceived}</td>
                <td class="right">
                  {t.seeders ?? '–'} / {t.leechers ?? '–'}
                </td>
                <td classList={{ bad: t.status === 'error' }} title={t.message ?? ''}>
                  {t.message ?? ''}
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  )
}
