import { createSignal, For, Show, type JSX } from 'solid-js'
import type { TrackerEdit, TrackerRow } from '@tidepool/engine'
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

/**
 * The torrent's trackers with what each said, and the user's edits: add (one URL a line, optionally
 * into a tier), edit a URL or tier, remove, and re-announce one tracker or all. Without `onEdit`
 * (no torrent open) the table is read-only.
 */
export function TrackersTab(props: {
  trackers: TrackerRow[]
  now: () => number
  onEdit?: (edit: TrackerEdit) => Promise<void>
}): JSX.Element {
  const [error, setError] = createSignal<string | null>(null)
  const [adding, setAdding] = createSignal(false)
  const [editing, setEditing] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)

  const run = async (edit: TrackerEdit): Promise<boolean> => {
    if (!props.onEdit) return false
    setBusy(true)
    setError(null)
    try {
      await props.onEdit(edit)
      return true
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
      return false
    } finally {
      setBusy(false)
    }
  }

  const tierValue = (raw: string): number | undefined => {
    const n = Number.parseInt(raw, 10)
    return Number.isFinite(n) && n >= 0 ? n : undefined
  }

  let addUrls: HTMLTextAreaElement | undefined
  let addTier: HTMLInputElement | undefined
  const submitAdd = async (e: Event) => {
    e.preventDefault()
    const urls = (addUrls?.value ?? '')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean)
    if (urls.length === 0) return
    const tier = tierValue(addTier?.value ?? '')
    if (await run({ kind: 'add', urls, ...(tier !== undefined ? { tier } : {}) })) setAdding(false)
  }

  const Row = (t: TrackerRow) => {
    let urlInput: HTMLInputElement | undefined
    let tierInput: HTMLInputElement | undefined
    const save = async (e: Event) => {
      e.preventDefault()
      const url = urlInput?.value.trim() ?? t.url
      const tier = tierValue(tierInput?.value ?? '')
      const ok = await run({
        kind: 'edit',
        url: t.url,
        ...(url !== t.url ? { newUrl: url } : {}),
        ...(tier !== undefined && tier !== t.tier ? { tier } : {}),
      })
      if (ok) setEditing(null)
    }
    const isTracker = t.tier >= 0
    return (
      <tr data-tracker={t.url}>
        <Show
          when={editing() === t.url}
          fallback={
            <>
              <td
                class="mono name"
                classList={{ dhtrow: !isTracker }}
                title={isTracker ? t.url : (SOURCE_TITLE[t.url] ?? t.url)}
              >
                {t.url}
              </td>
              <td>{isTracker ? t.tier : ''}</td>
            </>
          }
        >
          <td colSpan={2}>
            <form class="tracker-edit" onSubmit={save}>
              <input
                ref={urlInput}
                class="mono"
                value={t.url}
                aria-label="Tracker URL"
                size={40}
                onKeyDown={(e) => e.key === 'Escape' && setEditing(null)}
              />
              <input ref={tierInput} type="number" min="0" value={t.tier} aria-label="Tier" class="tier-input" />
              <button type="submit" class="primary" disabled={busy()}>
                Save
              </button>
              <button type="button" onClick={() => setEditing(null)}>
                Cancel
              </button>
            </form>
          </td>
        </Show>
        <td>
          <span class={`tstate t-${t.status}`}>{t.status}</span>
        </td>
        <td>{formatWhen(t.lastAnnounce, props.now())}</td>
        <td>{formatWhen(t.nextAnnounce, props.now())}</td>
        <td class="right">{t.peersReceived}</td>
        <td
          class="right"
          title={
            t.scrapedAt
              ? `scraped ${formatWhen(t.scrapedAt, props.now())}`
              : t.scrapeError
                ? `scrape: ${t.scrapeError}`
                : ''
          }
        >
          {t.seeders ?? '–'} / {t.leechers ?? '–'}
        </td>
        <td class="right">{t.downloaded ?? '–'}</td>
        <td classList={{ bad: t.status === 'error' }} title={t.message ?? ''}>
          {t.message ?? ''}
        </td>
        <td class="tracker-actions">
          <Show when={isTracker && props.onEdit}>
            <button
              type="button"
              disabled={busy() || t.status === 'disabled'}
              aria-label={`Reannounce to ${t.url}`}
              title="Announce to this tracker now"
              onClick={() => void run({ kind: 'reannounce', url: t.url })}
            >
              Reannounce
            </button>
            <button type="button" aria-label={`Edit ${t.url}`} disabled={busy()} onClick={() => setEditing(t.url)}>
              Edit
            </button>
            <button
              type="button"
              class="danger"
              aria-label={`Remove ${t.url}`}
              disabled={busy()}
              onClick={() => void run({ kind: 'remove', urls: [t.url] })}
            >
              Remove
            </button>
          </Show>
        </td>
      </tr>
    )
  }

  return (
    <div class="plain-wrap">
      <Show when={noTrackerText(props.trackers)}>
        <p class="dim" data-testid="no-trackers">
          {noTrackerText(props.trackers)}
        </p>
      </Show>
      <Show when={props.onEdit}>
        <div class="files-toolbar" role="group" aria-label="Tracker actions">
          <button type="button" onClick={() => setAdding(!adding())} aria-expanded={adding()}>
            Add trackers…
          </button>
          <button
            type="button"
            disabled={busy() || !props.trackers.some((t) => t.tier >= 0)}
            onClick={() => void run({ kind: 'reannounce' })}
          >
            Reannounce all
          </button>
        </div>
        <Show when={adding()}>
          <form class="tracker-add" onSubmit={submitAdd}>
            <label>
              Tracker URLs, one a line
              <textarea ref={addUrls} rows={3} cols={60} class="mono" />
            </label>
            <label>
              Tier (empty: each its own, after the others)
              <input ref={addTier} type="number" min="0" class="tier-input" />
            </label>
            <button type="submit" class="primary" disabled={busy()}>
              Add
            </button>
          </form>
        </Show>
      </Show>
      <Show when={error()}>
        <p class="bad tracker-error" role="alert">
          {error()}
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
            <th class="right" title="Completed downloads the tracker counted (scrape)">
              Downloaded
            </th>
            <th>Message</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          <For
            each={props.trackers}
            fallback={
              <tr>
                <td colSpan={10} class="vt-empty">
                  No trackers.
                </td>
              </tr>
            }
          >
            {(t) => Row(t)}
          </For>
        </tbody>
      </table>
    </div>
  )
}
