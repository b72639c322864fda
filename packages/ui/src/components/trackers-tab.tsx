import { For, Show, type JSX } from 'solid-js'
import type { TrackerRow } from '@tidepool/engine'
import { formatWhen } from '../format.ts'

const SOURCE_TITLE: Record<string, string> = {
  DHT: 'Mainline DHT (BEP 5): peers looked up and our port announced',
  PeX: 'Peer exchange (BEP 11): connected peers tell us of others',
  LSD: 'Local peer discovery (BEP 14): peers on this network, by multicast',
}

/**
 * Where peers come from when no tracker is listed, as the DHT, PeX and LSD rows say: for a private
 * torrent none of them, with the DHT off not the DHT.
 */
export function noTrackerText(rows: readonly TrackerRow[]): string | null {
  if (rows.some((r) => r.tier >= 0)) return null
  const on = rows.filter((r) => r.tier < 0 && r.status !== 'disabled').map((r) => r.url)
  if (rows.some((r) => r.tier < 0 && r.message === 'private torrent'))
    return 'No trackers, and this torrent is private: it uses no DHT, PeX or LSD, so only peers added by hand connect.'
  if (on.length === 0) return 'No trackers, and the DHT, PeX and LSD are off: only peers added by hand connect.'
  return `No trackers: peers come only from ${on.join(', ')}.`
}

export function TrackersTab(props: { trackers: TrackerRow[]; now: () => number }): JSX.Element {
  return (
    <div class="plain-wrap">
      <Show when={noTrackerText(props.trackers)}>
        <p class="dim" data-testid="no-trackers">
          {noTrackerText(props.trackers)}
        </p>
      </Show>
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
                  No trackers.
                </td>
              </tr>
            }
          >
            {(t) => (
              <tr>
                <td
                  class="mono name"
                  classList={{ dhtrow: t.tier < 0 }}
                  title={t.tier < 0 ? (SOURCE_TITLE[t.url] ?? t.url) : t.url}
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
