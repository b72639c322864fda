import { createSignal, type JSX } from 'solid-js'
import type { LimitOverride, TorrentSeedLimits } from '@tidepool/engine'
import { Modal } from './modal.tsx'

type Mode = 'global' | 'none' | 'value'

const modeOf = (v: LimitOverride | undefined): Mode =>
  v === undefined || v === 'global' ? 'global' : v === 'none' ? 'none' : 'value'

/** The override a mode and its text stand for; null when the value is not a number within bounds. */
export function parseLimit(mode: Mode, text: string, max: number, decimals: boolean): LimitOverride | null {
  if (mode !== 'value') return mode
  const ok = decimals ? /^\s*\d+(\.\d{1,2})?\s*$/ : /^\s*\d+\s*$/
  if (!ok.test(text)) return null
  const v = Number(text)
  return v >= 0 && v <= max ? v : null
}

/**
 * A torrent's own seeding limits (qBittorrent's "Limit share ratio"): each of ratio and seeding time
 * follows the global setting, has no limit, or has its own value.
 */
export function SeedLimitsDialog(props: {
  count: number
  current: TorrentSeedLimits | undefined
  onSet: (limits: TorrentSeedLimits) => void
  onClose: () => void
}): JSX.Element {
  const [ratioMode, setRatioMode] = createSignal<Mode>(modeOf(props.current?.ratio))
  const [ratio, setRatio] = createSignal(typeof props.current?.ratio === 'number' ? String(props.current.ratio) : '2')
  const [timeMode, setTimeMode] = createSignal<Mode>(modeOf(props.current?.seedingTimeMin))
  const [time, setTime] = createSignal(
    typeof props.current?.seedingTimeMin === 'number' ? String(props.current.seedingTimeMin) : '1440',
  )
  const [error, setError] = createSignal<string | null>(null)
  const row = (
    label: string,
    mode: () => Mode,
    setMode: (m: Mode) => void,
    text: () => string,
    setText: (t: string) => void,
    name: string,
  ) => (
    <label class="field">
      <span>{label}</span>
      <select name={`${name}Mode`} value={mode()} onChange={(e) => setMode(e.currentTarget.value as Mode)}>
        <option value="global">Use the global limit</option>
        <option value="none">No limit</option>
        <option value="value">This value</option>
      </select>
      <input name={name} value={text()} disabled={mode() !== 'value'} onInput={(e) => setText(e.currentTarget.value)} />
    </label>
  )
  return (
    <Modal
      label="Seeding limits"
      onClose={props.onClose}
      onSubmit={(e) => {
        e.preventDefault()
        const r = parseLimit(ratioMode(), ratio(), 9998, true)
        const t = parseLimit(timeMode(), time(), 525600, false)
        if (r === null) return setError('Share ratio: enter a number from 0 to 9998 (two decimals at most).')
        if (t === null) return setError('Seeding time: enter whole minutes from 0 to 525600.')
        props.onSet({ ratio: r, seedingTimeMin: t })
      }}
    >
      <h2>Seeding limits of {props.count === 1 ? 'the torrent' : `${props.count} torrents`}</h2>
      {row('Stop seeding at share ratio', ratioMode, setRatioMode, ratio, setRatio, 'ratio')}
      {row('Stop seeding after (minutes)', timeMode, setTimeMode, time, setTime, 'seedingTimeMin')}
      <p class="dim">What happens then (stop, or remove from the list) is set in Settings.</p>
      {error() && (
        <div class="form-error" role="alert">
          {error()}
        </div>
      )}
      <div class="actions">
        <button type="button" onClick={() => props.onClose()}>
          Cancel
        </button>
        <button type="submit" class="primary">
          Set limits
        </button>
      </div>
    </Modal>
  )
}
