import { createSignal, For, Show, type JSX } from 'solid-js'
import type { EngineApi, EngineSettings, EngineStatus, TorrentSummary } from '@tidepool/engine'
import { formatBytes, formatRate, parseSize } from '../format.ts'

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

const hhmm = (min: number) => `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`
const minutesOf = (text: string): number | null => {
  const m = /^\s*(\d{1,2}):(\d{2})\s*$/.exec(text)
  if (!m) return null
  const h = Number(m[1])
  const mm = Number(m[2])
  return h < 24 && mm < 60 ? h * 60 + mm : null
}
const sizeText = (n: number) => (n ? formatBytes(n) : '0')

/**
 * The settings dialog's alternative limits and their schedule. `register` hands the dialog a function
 * that returns this part's patch, or a sentence saying what is wrong.
 */
export function AltSpeedFields(props: {
  settings: EngineSettings
  register: (collect: () => Partial<EngineSettings> | string) => void
}): JSX.Element {
  const s = props.settings
  const [down, setDown] = createSignal(sizeText(s.altDownloadRateLimit))
  const [up, setUp] = createSignal(sizeText(s.altUploadRateLimit))
  const [scheduled, setScheduled] = createSignal(s.altScheduleEnabled)
  const [from, setFrom] = createSignal(hhmm(s.altScheduleFrom))
  const [to, setTo] = createSignal(hhmm(s.altScheduleTo))
  const [days, setDays] = createSignal(new Set(s.altScheduleDays))
  props.register(() => {
    const d = parseSize(down())
    const u = parseSize(up())
    if (d === null) return 'Alternative download limit: enter a size such as 100k (per second), 0 = unlimited.'
    if (u === null) return 'Alternative upload limit: enter a size such as 50k (per second), 0 = unlimited.'
    const f = minutesOf(from())
    const t = minutesOf(to())
    if (f === null || t === null) return 'Alternative limits schedule: enter times as HH:MM (00:00 to 23:59).'
    return {
      altDownloadRateLimit: d,
      altUploadRateLimit: u,
      altScheduleEnabled: scheduled(),
      altScheduleFrom: f,
      altScheduleTo: t,
      altScheduleDays: [...days()].sort((a, b) => a - b),
    }
  })
  return (
    <fieldset class="alt-speed">
      <legend>Alternative speed limits</legend>
      <div class="grid2">
        <label class="field">
          <span>Alternative download limit</span>
          <input name="altDownloadRateLimit" value={down()} onInput={(e) => setDown(e.currentTarget.value)} />
          <small class="dim">per second, 0 = unlimited; in force while the status bar's switch is on</small>
        </label>
        <label class="field">
          <span>Alternative upload limit</span>
          <input name="altUploadRateLimit" value={up()} onInput={(e) => setUp(e.currentTarget.value)} />
        </label>
      </div>
      <label class="check">
        <input
          type="checkbox"
          name="altScheduleEnabled"
          checked={scheduled()}
          onChange={(e) => setScheduled(e.currentTarget.checked)}
        />
        <span>Switch to them on a schedule</span>
      </label>
      <div class="alt-schedule" aria-disabled={!scheduled()}>
        <label>
          From{' '}
          <input name="altScheduleFrom" type="time" value={from()} onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          to <input name="altScheduleTo" type="time" value={to()} onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
        <span role="group" aria-label="Days">
          <For each={DAYS}>
            {(name, i) => (
              <label class="day">
                <input
                  type="checkbox"
                  name={`altDay${i()}`}
                  checked={days().has(i())}
                  onChange={(e) => {
                    const next = new Set(days())
                    if (e.currentTarget.checked) next.add(i())
                    else next.delete(i())
                    setDays(next)
                  }}
                />
                {name}
              </label>
            )}
          </For>
        </span>
        <small class="dim">
          A window that ends before it starts runs past midnight. The switch still works by hand.
        </small>
      </div>
    </fieldset>
  )
}

/** The status bar's switch between the normal and the alternative global limits. */
export function AltSpeedToggle(props: {
  api: EngineApi
  status: EngineStatus | null | undefined
  onChanged: () => void
}): JSX.Element {
  const [busy, setBusy] = createSignal(false)
  const alt = () => props.status?.altSpeed
  const limitText = () => {
    const a = alt()
    if (!a) return ''
    const part = (n: number) => (n ? formatRate(n) : 'unlimited')
    return `limits now: ▼ ${part(a.downloadLimit)}, ▲ ${part(a.uploadLimit)}`
  }
  return (
    <Show when={alt()}>
      <button
        type="button"
        class="alt-speed-toggle"
        aria-pressed={alt()!.active}
        disabled={busy()}
        title={`${alt()!.active ? 'Alternative speed limits are on' : 'Normal speed limits'} (${limitText()}). Click to switch.`}
        onClick={async () => {
          setBusy(true)
          try {
            await props.api.setSettings({ altSpeedActive: !alt()!.active })
            props.onChanged()
          } finally {
            setBusy(false)
          }
        }}
      >
        {alt()!.active ? '🐢 Alt limits' : 'Alt limits off'}
      </button>
    </Show>
  )
}

/** A torrent's own speed limits (General tab). */
export function TorrentLimits(props: { api: EngineApi; t: TorrentSummary; onChanged: () => void }): JSX.Element {
  const [down, setDown] = createSignal(sizeText(props.t.downloadLimit ?? 0))
  const [up, setUp] = createSignal(sizeText(props.t.uploadLimit ?? 0))
  const [msg, setMsg] = createSignal<string | null>(null)
  const apply = async (e: Event) => {
    e.preventDefault()
    const d = parseSize(down())
    const u = parseSize(up())
    if (d === null || u === null)
      return setMsg('Enter sizes such as 500k or 2 MiB (per second); 0 = no limit of its own.')
    try {
      await props.api.setTorrentRateLimits(props.t.infoHash, { download: d, upload: u })
      setMsg('Saved')
      props.onChanged()
    } catch (err) {
      setMsg(err instanceof Error ? err.message : String(err))
    }
  }
  return (
    <form class="torrent-limits" onSubmit={apply} aria-label="Speed limits of this torrent">
      <label>
        Download limit{' '}
        <input name="torrentDownloadLimit" size={8} value={down()} onInput={(e) => setDown(e.currentTarget.value)} />
      </label>
      <label>
        Upload limit{' '}
        <input name="torrentUploadLimit" size={8} value={up()} onInput={(e) => setUp(e.currentTarget.value)} />
      </label>
      <button type="submit">Apply</button>
      <small class="dim">per second, 0 = none of its own (the global limits still apply)</small>
      <Show when={msg()}>
        <small role="status">{msg()}</small>
      </Show>
    </form>
  )
}
