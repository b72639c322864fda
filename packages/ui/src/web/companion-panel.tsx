/**
 * The web app's daemon line: which daemon the engine runs on (this computer's helper or a paired
 * companion, with its name and round trip), switching between them, and pairing with a companion
 * (address and the code it printed). Kept outside <App> so the app's own components stay unchanged.
 */
import { createSignal, onCleanup, Show, type JSX } from 'solid-js'
import type { EngineStatus } from '@tidepool/engine'
import type { DaemonInUse, DaemonKind } from '../worker/daemon-chooser.ts'

const POLL_MS = 2000

/** What the panel needs of the engine host (the web app's worker, or the extension's through its port). */
export interface CompanionApi {
  getStatus(): Promise<EngineStatus>
  daemonInUse(): Promise<DaemonInUse | null>
  pairCompanion(address: string, code: string, clientName: string): Promise<{ name: string; url: string }>
  useDaemon(kind: DaemonKind): Promise<void>
}

export function CompanionPanel(props: { api: CompanionApi; clientName: string }): JSX.Element {
  const [inUse, setInUse] = createSignal<DaemonInUse | null>(null)
  // null: this engine host has no companion support (nothing to show)
  const [status, setStatus] = createSignal<EngineStatus | null>(null)
  const [pairing, setPairing] = createSignal(false)
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  let address!: HTMLInputElement
  let code!: HTMLInputElement

  const refresh = async (): Promise<void> => {
    const [d, s] = await Promise.all([props.api.daemonInUse(), props.api.getStatus()])
    setInUse(d)
    setStatus(s)
  }
  void refresh()
  const timer = setInterval(() => void refresh().catch(() => undefined), POLL_MS)
  onCleanup(() => clearInterval(timer))

  const act = async (fn: () => Promise<unknown>): Promise<void> => {
    setBusy(true)
    setError(null)
    try {
      await fn()
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
    } finally {
      setBusy(false)
      await refresh().catch(() => undefined)
    }
  }

  const onCompanion = () => inUse()?.use === 'companion'
  const connected = () => status()?.daemon === 'connected'
  const where = () => {
    const d = inUse()
    if (!d) return 'Daemon: …'
    if (d.use === 'local') return 'Daemon: local helper (this computer)'
    return `Daemon: companion “${d.companion?.name}” at ${d.companion?.url.replace(/^ws:\/\//, '')}`
  }
  const folder = () => inUse()?.rootPaths.downloads

  return (
    <Show when={inUse() !== null}>
      <section class="banner info companion-panel" aria-label="Daemon in use" data-testid="companion-panel">
        <span data-testid="daemon-in-use">{where()}</span>
        <Show when={connected() && inUse()?.latencyMs != null}>
          <span class="dim" data-testid="daemon-latency">
            {' '}
            · {inUse()!.latencyMs} ms
          </span>
        </Show>
        <Show when={onCompanion() && connected()}>
          <span data-testid="companion-downloads">
            {' '}
            — downloads are saved on {inUse()!.companion?.name}
            {folder() ? `, in ${folder()}` : ''}
          </span>
        </Show>
        <Show when={onCompanion() && status() && status()!.daemon !== 'connected' && status()!.daemon !== 'connecting'}>
          <div role="alert" data-testid="companion-unreachable">
            <b>The companion “{inUse()!.companion?.name}” cannot be reached.</b>{' '}
            <span class="dim">{status()!.message}</span> Tidepool keeps trying; or{' '}
            <button type="button" disabled={busy()} onClick={() => act(() => props.api.useDaemon('local'))}>
              Use the local helper
            </button>
          </div>
        </Show>{' '}
        <Show when={inUse()?.companion && !onCompanion()}>
          <button type="button" disabled={busy()} onClick={() => act(() => props.api.useDaemon('companion'))}>
            Use companion “{inUse()!.companion!.name}”
          </button>{' '}
        </Show>
        <Show when={onCompanion() && connected()}>
          <button type="button" disabled={busy()} onClick={() => act(() => props.api.useDaemon('local'))}>
            Use the local helper
          </button>{' '}
        </Show>
        <button type="button" aria-expanded={pairing()} onClick={() => setPairing(!pairing())}>
          Pair with a companion…
        </button>
        <Show when={pairing()}>
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault()
              void act(async () => {
                await props.api.pairCompanion(address.value, code.value, props.clientName)
                setPairing(false)
              })
            }}
          >
            <label>
              Companion address{' '}
              <input ref={address} name="companion-address" placeholder="192.168.1.20:8742" required />
            </label>{' '}
            <label>
              Pairing code{' '}
              <input ref={code} name="companion-code" placeholder="XXXX-XXXX" autocomplete="off" required />
            </label>{' '}
            <button type="submit" disabled={busy()}>
              Pair
            </button>
          </form>
        </Show>
        <Show when={error()}>
          <div role="alert" class="dim" data-testid="companion-error">
            {error()}
          </div>
        </Show>
      </section>
    </Show>
  )
}
