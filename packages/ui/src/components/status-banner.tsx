import { Match, Show, Switch, type JSX } from 'solid-js'
import type { EngineStatus, TorrentSummary } from '@tidepool/engine'

export const isDiskFull = (msg: string | undefined): boolean => !!msg && /no-space|disk full|enospc|quota/i.test(msg)

/** The blocking and warning states: daemon missing or down, wrong token, disk full, torrent errors. */
export function StatusBanner(props: {
  status: EngineStatus | null
  apiError: string | null
  torrents: TorrentSummary[]
  installCommand: string
  onRetry?: () => void
  onToken?: (token: string) => void
}): JSX.Element {
  const diskFull = () => isDiskFull(props.status?.message) || props.torrents.some((t) => isDiskFull(t.error))
  const errored = () => props.torrents.filter((t) => t.status === 'error' || t.error).length
  return (
    <>
      <Show when={props.apiError}>
        <div class="banner bad" role="alert"><b>The engine is not responding.</b> {props.apiError} <Show when={props.onRetry}><button onClick={() => props.onRetry?.()}>Retry</button></Show></div>
      </Show>
      <Switch>
        <Match when={props.status?.daemon === 'not-installed'}>
          <div class="banner bad" role="alert" data-state="not-installed">
            <b>The Tidepool helper is not installed.</b> Tidepool needs a small helper program for network and disk access.
            Install it once from a checkout of Tidepool:
            <pre>{props.installCommand}</pre>
            then reload this page. <span class="dim">{props.status?.message}</span>
          </div>
        </Match>
        <Match when={props.status?.daemon === 'unreachable'}>
          <div class="banner bad" role="alert" data-state="unreachable">
            <b>Cannot reach the Tidepool helper.</b> It is not running or has stopped. Start it with <code>pnpm start</code> (web app),
            or if you use the extension install the helper with <code>{props.installCommand}</code>. Retrying…
            <span class="dim"> {props.status?.message}</span>
          </div>
        </Match>
        <Match when={props.status?.daemon === 'auth-failed'}>
          <div class="banner bad" role="alert" data-state="auth-failed">
            <b>The helper refused the access token.</b> Open the link printed by <code>pnpm start</code> again (it carries the current token),
            or paste the token here:
            <form class="inline" onSubmit={(e) => { e.preventDefault(); const v = new FormData(e.currentTarget).get('token'); if (typeof v === 'string' && v.trim()) props.onToken?.(v.trim()) }}>
              <input name="token" placeholder="token" aria-label="token" /> <button type="submit">Use token</button>
            </form>
          </div>
        </Match>
        <Match when={props.status?.daemon === 'connecting'}>
          <div class="banner info" data-state="connecting">Connecting to the Tidepool helper…</div>
        </Match>
      </Switch>
      <Show when={diskFull()}>
        <div class="banner bad" role="alert" data-state="disk-full"><b>Disk full.</b> A download stopped because there is no space left. Free some space, then start the torrent again.</div>
      </Show>
      <Show when={!diskFull() && errored() > 0}>
        <div class="banner warn" data-state="torrent-error">{errored()} torrent{errored() > 1 ? 's have' : ' has'} an error — select it to see the details.</div>
      </Show>
    </>
  )
}
