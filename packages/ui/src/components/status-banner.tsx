import { For, Match, Show, Switch, type JSX } from 'solid-js'
import type { EngineStatus, TorrentSummary } from '@tidepool/engine'

export const isDiskFull = (msg: string | undefined): boolean => !!msg && /no-space|disk full|enospc|quota/i.test(msg)

/** The helper's state in a few words (status bar, popup). */
export const DAEMON_LABEL: Record<EngineStatus['daemon'], string> = {
  connected: 'Helper connected',
  connecting: 'Connecting to the helper…',
  unreachable: 'Helper not running',
  'auth-failed': 'Helper restarted: open its new link',
  'not-installed': 'Helper not installed',
}

/** How to get the helper running, as the page in use needs it said. */
export type HelperHelp = { kind: 'extension'; extensionId: string } | { kind: 'webapp' }

/** Chromium reads native-messaging hosts from its own folder (~/.config/chromium), Chrome from google-chrome. */
export function browserIsChromium(
  nav: { userAgentData?: { brands?: Array<{ brand: string }> } } = navigator as never,
): boolean {
  const brands = nav.userAgentData?.brands?.map((b) => b.brand) ?? []
  return brands.includes('Chromium') && !brands.includes('Google Chrome')
}

/** The install commands, the browser in use first. */
export function installCommands(
  extensionId: string,
  chromium = browserIsChromium(),
): Array<{ browser: string; command: string }> {
  const list = [
    { browser: 'Chromium', command: `pnpm native-host install --browser chromium --extension-id ${extensionId}` },
    { browser: 'Google Chrome', command: `pnpm native-host install --browser chrome --extension-id ${extensionId}` },
  ]
  return chromium ? list : list.reverse()
}

/** The blocking and warning states: helper missing, stopped or restarted, disk full, torrent errors. */
export function StatusBanner(props: {
  status: EngineStatus | null
  apiError: string | null
  torrents: TorrentSummary[]
  help?: HelperHelp
  onRetry?: () => void
}): JSX.Element {
  const diskFull = () => isDiskFull(props.status?.message) || props.torrents.some((t) => isDiskFull(t.error))
  const errored = () => props.torrents.filter((t) => t.status === 'error' || t.error).length
  const webapp = () => props.help?.kind === 'webapp'
  const extensionId = () => (props.help?.kind === 'extension' ? props.help.extensionId : '')
  return (
    <>
      <Show when={props.apiError}>
        <div class="banner bad" role="alert">
          <b>The engine is not responding.</b> Reload this page; if that does not help, restart the browser.{' '}
          <span class="dim">({props.apiError})</span>{' '}
          <Show when={props.onRetry}>
            <button type="button" onClick={() => props.onRetry?.()}>
              Try again
            </button>
          </Show>
        </div>
      </Show>
      <Switch>
        <Match when={props.status?.daemon === 'not-installed'}>
          <div class="banner bad" role="alert" data-state="not-installed">
            <b>The Tidepool helper is not installed.</b> Tidepool needs this small program for network and disk access.
            Install it once: in a terminal, in your Tidepool folder, run the line for your browser, then reload this
            page.
            <For each={installCommands(extensionId())}>
              {(c) => (
                <div class="install">
                  <span class="dim">{c.browser}:</span>
                  <pre>{c.command}</pre>
                </div>
              )}
            </For>
            <Show when={props.status?.message}>
              <span class="dim">The browser said: {props.status?.message}</span>
            </Show>
          </div>
        </Match>
        <Match when={props.status?.daemon === 'unreachable'}>
          <div class="banner bad" role="alert" data-state="unreachable">
            <Show
              when={webapp()}
              fallback={
                <>
                  <b>The Tidepool helper stopped.</b> Tidepool is starting it again… If this message stays, restart the
                  browser; if it still stays, install the helper again (see Tidepool's README).
                </>
              }
            >
              <b>Cannot reach the Tidepool helper.</b> It stopped, or Tidepool was closed in its terminal. Start it
              again with <code>pnpm start</code> in your Tidepool folder and open the link it prints. Retrying…
            </Show>
            <Show when={props.status?.message}>
              <span class="dim"> ({props.status?.message})</span>
            </Show>
          </div>
        </Match>
        <Match when={props.status?.daemon === 'auth-failed'}>
          <div class="banner bad" role="alert" data-state="auth-failed">
            <Show
              when={webapp()}
              fallback={
                <>
                  <b>The Tidepool helper did not accept this browser.</b> Restart the browser; if that does not help,
                  install the helper again.
                </>
              }
            >
              <b>Tidepool was restarted.</b> Open the new link it printed in its terminal (paste it into this tab's
              address bar is fine), or press Enter in that terminal for a new link.
            </Show>
          </div>
        </Match>
        <Match when={props.status?.daemon === 'connecting'}>
          <div class="banner info" data-state="connecting">
            Connecting to the Tidepool helper…
          </div>
        </Match>
      </Switch>
      <Show when={diskFull()}>
        <div class="banner bad" role="alert" data-state="disk-full">
          <b>Disk full.</b> A download stopped because there is no space left. Free some space, then start the torrent
          again.
        </div>
      </Show>
      <Show when={!diskFull() && errored() > 0}>
        <div class="banner warn" data-state="torrent-error">
          {errored()} torrent{errored() > 1 ? 's have' : ' has'} an error. Select it to see what went wrong in its
          General and Log tabs.
        </div>
      </Show>
    </>
  )
}
