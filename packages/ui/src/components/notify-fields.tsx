import { createSignal, Show, type JSX } from 'solid-js'
import type { EngineSettings } from '@tidepool/engine'
import { pageNotificationsApply } from '../notify/web-notices.ts'

/**
 * The settings dialog's notification choices; in the web app also the button that asks the browser
 * for permission (a browser asks only after a click). `register` hands the dialog this part's patch.
 */
export function NotifyFields(props: {
  settings: EngineSettings
  register: (collect: () => Partial<EngineSettings>) => void
}): JSX.Element {
  const [complete, setComplete] = createSignal(props.settings.notifyOnComplete)
  const [errors, setErrors] = createSignal(props.settings.notifyOnError)
  const [takeOver, setTakeOver] = createSignal(props.settings.takeOverTorrentDownloads)
  const inExtension = typeof location !== 'undefined' && location.protocol === 'chrome-extension:'
  const [permission, setPermission] = createSignal(pageNotificationsApply() ? Notification.permission : 'granted')
  props.register(() => ({
    notifyOnComplete: complete(),
    notifyOnError: errors(),
    ...(inExtension ? { takeOverTorrentDownloads: takeOver() } : {}),
  }))
  return (
    <fieldset class="notify-fields">
      <legend>Notifications</legend>
      <label class="check">
        <input
          type="checkbox"
          name="notifyOnComplete"
          checked={complete()}
          onChange={(e) => setComplete(e.currentTarget.checked)}
        />
        <span>When a download finishes</span>
      </label>
      <label class="check">
        <input
          type="checkbox"
          name="notifyOnError"
          checked={errors()}
          onChange={(e) => setErrors(e.currentTarget.checked)}
        />
        <span>When a torrent stops with an error</span>
      </label>
      <Show when={inExtension}>
        <label class="check">
          <input
            type="checkbox"
            name="takeOverTorrentDownloads"
            checked={takeOver()}
            onChange={(e) => setTakeOver(e.currentTarget.checked)}
          />
          <span>Open .torrent downloads in Tidepool instead of saving them</span>
        </label>
      </Show>
      <Show when={permission() !== 'granted'}>
        <div>
          <button
            type="button"
            onClick={() => void Notification.requestPermission().then(setPermission, () => setPermission('denied'))}
          >
            Allow notifications…
          </button>
          <small class="dim" role="status">
            {permission() === 'denied'
              ? 'The browser blocks notifications for this page; allow them in its site settings.'
              : 'The browser asks once; until then Tidepool shows none.'}
          </small>
        </div>
      </Show>
    </fieldset>
  )
}
