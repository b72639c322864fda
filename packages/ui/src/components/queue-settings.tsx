/**
 * The settings dialog's queueing and seeding-limit part: the numbers go into the dialog's numeric
 * fields (checked against the engine's bounds there), the switches and the limit action are here.
 */
import type { JSX } from 'solid-js'
import { SETTING_BOUNDS, type EngineSettings } from '@tidepool/engine'

const bounds = (k: keyof typeof SETTING_BOUNDS) => ({ min: SETTING_BOUNDS[k][0], max: SETTING_BOUNDS[k][1] })

export const QUEUE_FIELDS = [
  {
    key: 'maxActiveDownloads',
    label: 'Max active downloads',
    hint: 'more wait as Queued',
    ...bounds('maxActiveDownloads'),
  },
  { key: 'maxActiveSeeds', label: 'Max active seeds', hint: '', ...bounds('maxActiveSeeds') },
  {
    key: 'maxActiveTorrents',
    label: 'Max active torrents',
    hint: 'downloads and seeds',
    ...bounds('maxActiveTorrents'),
  },
  {
    key: 'shareRatioLimit',
    label: 'Stop seeding at ratio',
    hint: 'e.g. 2 or 1.5; 0 = no limit',
    decimal: true,
    ...bounds('shareRatioLimit'),
  },
  {
    key: 'seedingTimeLimitMin',
    label: 'Stop seeding after (minutes)',
    hint: '0 = no limit',
    ...bounds('seedingTimeLimitMin'),
  },
] as const

/** The switches as the dialog's text record holds them. */
export function queueSettingsText(s: EngineSettings): Record<string, string> {
  return {
    queueingEnabled: String(s.queueingEnabled),
    dontCountSlowTorrents: String(s.dontCountSlowTorrents),
    seedLimitAction: s.seedLimitAction,
  }
}

export function queueSettingsPatch(t: Record<string, string>): Partial<EngineSettings> {
  return {
    queueingEnabled: t.queueingEnabled !== 'false',
    dontCountSlowTorrents: t.dontCountSlowTorrents !== 'false',
    seedLimitAction: t.seedLimitAction === 'remove' ? 'remove' : 'stop',
  }
}

export function QueueSettings(props: {
  text: Record<string, string>
  set: (k: string, v: string) => void
}): JSX.Element {
  const check = (key: string, label: string) => (
    <label class="check">
      <input
        type="checkbox"
        name={key}
        checked={props.text[key] !== 'false'}
        onChange={(e) => props.set(key, String(e.currentTarget.checked))}
      />
      <span>{label}</span>
    </label>
  )
  return (
    <fieldset class="field">
      <legend>Queue and seeding limits</legend>
      {check('queueingEnabled', 'Queue torrents beyond the active limits (the # column is their order)')}
      {check('dontCountSlowTorrents', 'Do not count slow torrents (under 2 KiB/s for a minute) in these limits')}
      <label class="field">
        <span>When a seed reaches its ratio or time limit</span>
        <select
          name="seedLimitAction"
          value={props.text.seedLimitAction ?? 'stop'}
          onChange={(e) => props.set('seedLimitAction', e.currentTarget.value)}
        >
          <option value="stop">Stop it</option>
          <option value="remove">Remove it from the list (its files stay)</option>
        </select>
      </label>
    </fieldset>
  )
}
