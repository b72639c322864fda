import { Modal } from './modal.tsx'
import { createSignal, For, onMount, Show, type JSX } from 'solid-js'
import { SETTING_BOUNDS, type EngineApi, type EngineSettings } from '@tidepool/engine'
import { formatBytes, parseSize } from '../format.ts'
import { SaveFoldersSettings } from './save-folders-settings.tsx'
import { QUEUE_FIELDS, QueueSettings, queueSettingsPatch, queueSettingsText } from './queue-settings.tsx'
import { AltSpeedFields } from './speed-limits.tsx'
import { NotifyFields } from './notify-fields.tsx'

type NumKey = { [K in keyof EngineSettings]: EngineSettings[K] extends number ? K : never }[keyof EngineSettings]
const ENCRYPTION: Array<{ value: EngineSettings['encryption']; label: string }> = [
  { value: 'prefer', label: 'Prefer encrypted (fall back to plain for peers that refuse)' },
  { value: 'require', label: 'Require encryption (RC4 peers only, both ways)' },
  { value: 'disable', label: 'Disable encryption (plain peers only)' },
]
export type NumField = {
  key: NumKey
  label: string
  hint: string
  size?: boolean
  /** Two decimals allowed (a share ratio). */
  decimal?: boolean
  min: number
  max: number
}
const FIELDS: NumField[] = [
  {
    key: 'maxConnectionsGlobal',
    label: 'Connection limit (all torrents)',
    hint: 'peers connected or connecting at once',
    min: 1,
    max: 5000,
  },
  // the engine's own bounds, so the dialog never accepts what the engine would clamp
  {
    key: 'maxPeersPerTorrent',
    label: 'Peer limit per torrent',
    hint: '',
    min: SETTING_BOUNDS.maxPeersPerTorrent[0],
    max: SETTING_BOUNDS.maxPeersPerTorrent[1],
  },
  { key: 'connectionRatePerSec', label: 'New connections per second', hint: '0 = unlimited', min: 0, max: 1000 },
  {
    key: 'connectionBurst',
    label: 'Connection burst',
    hint: 'connects allowed at once after a quiet spell',
    min: 0,
    max: 1000,
  },
  {
    key: 'downloadRateLimit',
    label: 'Download limit',
    hint: 'e.g. 2 MiB (per second), 0 = unlimited',
    size: true,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
  },
  {
    key: 'uploadRateLimit',
    label: 'Upload limit',
    hint: 'e.g. 512k (per second), 0 = unlimited',
    size: true,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
  },
  { key: 'listenPort', label: 'Listen port', hint: '0 = any free port', min: 0, max: 65535 },
  { key: 'dhtPort', label: 'DHT port (UDP)', hint: '0 = the listen port', min: 0, max: 65535 },
  ...QUEUE_FIELDS,
]

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/

/** Engine settings; the engine persists them (setSettings), so they survive restarts. */
/** How a download folder is named to people: the default one says where it is by default. */
export const folderLabel = (name: string) =>
  name === 'downloads' ? 'Downloads (Downloads/Tidepool in your home folder unless set otherwise)' : name

export function SettingsDialog(props: {
  api: EngineApi
  onClose: () => void
  folders: readonly string[]
  paths?: Record<string, string>
  onRegisterMagnet?: () => void
}): JSX.Element {
  const [registered, setRegistered] = createSignal<string | null>(null)
  const register = () => {
    try {
      props.onRegisterMagnet?.()
      setRegistered(
        'Your browser asks whether Tidepool may open magnet links; once you agree, clicking a magnet link adds it here.',
      )
    } catch (e) {
      setRegistered(`Your browser did not allow it: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  const [settings, setSettings] = createSignal<EngineSettings | null>(null)
  const [text, setText] = createSignal<Record<string, string>>({})
  const [error, setError] = createSignal<string | null>(null)
  const [saved, setSaved] = createSignal(false)
  const [lsd, setLsd] = createSignal(true)
  const [portMapping, setPortMapping] = createSignal(true)
  const [mappingText, setMappingText] = createSignal('')
  const [dhtOn, setDhtOn] = createSignal(true)
  const [webSeedsOn, setWebSeedsOn] = createSignal(true)
  const [utp, setUtp] = createSignal(true)
  const [dataPlane, setDataPlane] = createSignal(true)
  let collectAltSpeed: (() => Partial<EngineSettings> | string) | undefined
  let collectNotify: (() => Partial<EngineSettings>) | undefined
  const fill = (s: EngineSettings) => {
    setSettings(s)
    setLsd(s.localPeerDiscovery)
    setPortMapping(s.portMapping)
    setDhtOn(s.dhtEnabled)
    setWebSeedsOn(s.webSeeds)
    setUtp(s.utp)
    setDataPlane(s.dataPlane)
    const t: Record<string, string> = {
      downloadRoot: s.downloadRoot,
      encryption: s.encryption,
      dhtBootstrap: s.dhtBootstrap.join(', '),
      ...queueSettingsText(s),
    }
    for (const f of FIELDS) t[f.key] = f.size ? (s[f.key] ? formatBytes(s[f.key]) : '0') : String(s[f.key])
    setText(t)
  }
  onMount(() => props.api.getSettings().then(fill, (e) => setError(String(e))))
  onMount(() =>
    props.api.getStatus().then(
      (st) => setMappingText(st.portMapping?.summary ?? ''),
      () => undefined,
    ),
  )

  const save = async (e: Event) => {
    e.preventDefault()
    setError(null)
    const patch: Partial<EngineSettings> = { localPeerDiscovery: lsd(), portMapping: portMapping() }
    const t = text()
    if (t.downloadRoot && t.downloadRoot !== settings()?.downloadRoot) patch.downloadRoot = t.downloadRoot
    const enc = ENCRYPTION.find((o) => o.value === t.encryption)
    if (enc) patch.encryption = enc.value
    patch.dhtEnabled = dhtOn()
    patch.webSeeds = webSeedsOn()
    patch.utp = utp()
    patch.dataPlane = dataPlane()
    const nodes = (t.dhtBootstrap ?? '').split(/[\s,]+/).filter((n) => n !== '')
    const bad = nodes.find((n) => !HOST_PORT.test(n))
    if (bad !== undefined) return setError(`DHT bootstrap nodes: "${bad}" is not HOST:PORT.`)
    patch.dhtBootstrap = nodes
    Object.assign(patch, queueSettingsPatch(t))
    for (const f of FIELDS) {
      const raw = t[f.key] ?? ''
      const number = f.decimal ? /^\s*\d+(\.\d{1,2})?\s*$/ : /^\s*\d+\s*$/
      const v = f.size ? parseSize(raw) : number.test(raw) ? Number(raw) : null
      if (v === null || v < f.min || v > f.max) return setError(`${f.label}: enter a number from ${f.min} to ${f.max}.`)
      patch[f.key] = v
    }
    const alt = collectAltSpeed?.()
    if (typeof alt === 'string') return setError(alt)
    Object.assign(patch, alt, collectNotify?.())
    try {
      fill(await props.api.setSettings(patch))
      setSaved(true)
      setTimeout(() => props.onClose(), 400)
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    }
  }
  // The helper's folders, and the current one even when the helper is not connected.
  const folders = () => {
    const cur = settings()?.downloadRoot
    return cur && !props.folders.includes(cur) ? [cur, ...props.folders] : [...props.folders]
  }
  const set = (k: string, v: string) => {
    setText({ ...text(), [k]: v })
    setSaved(false)
  }

  return (
    <Modal label="Settings" onClose={props.onClose} onSubmit={save}>
      <h2>Settings</h2>
      <Show when={settings()} fallback={<div class="dim">Loading…</div>}>
        <label class="field">
          <span>Download folder</span>
          <select
            name="downloadRoot"
            value={text().downloadRoot ?? ''}
            onChange={(e) => set('downloadRoot', e.currentTarget.value)}
          >
            <For each={folders()}>{(f) => <option value={f}>{props.paths?.[f] ?? folderLabel(f)}</option>}</For>
          </select>
          <small class="dim">
            New torrents are saved here. The folders are the ones the Tidepool helper was given when it was set up (the
            web app: the folder after --out when you start it; by default Downloads/Tidepool in your home folder).
          </small>
        </label>
        <SaveFoldersSettings api={props.api} folders={folders()} paths={props.paths} />
        <label class="field">
          <span>Encryption (MSE/PE)</span>
          <select
            name="encryption"
            value={text().encryption ?? 'prefer'}
            onChange={(e) => set('encryption', e.currentTarget.value)}
          >
            <For each={ENCRYPTION}>{(o) => <option value={o.value}>{o.label}</option>}</For>
          </select>
          <small class="dim">Applies to new connections; the peers table marks RC4 peers E, handshake-only e.</small>
        </label>
        <Show when={props.onRegisterMagnet}>
          <div class="field">
            <span>Magnet links</span>
            <div>
              <button type="button" onClick={register}>
                Open magnet links with Tidepool…
              </button>
            </div>
            <Show when={registered()}>
              <small class="dim" role="status">
                {registered()}
              </small>
            </Show>
          </div>
        </Show>
        <div class="grid2">
          <For each={FIELDS}>
            {(f) => (
              <label class="field">
                <span>{f.label}</span>
                <input
                  name={f.key}
                  inputMode={f.size ? 'text' : 'numeric'}
                  value={text()[f.key] ?? ''}
                  onInput={(e) => set(f.key, e.currentTarget.value)}
                />
                <Show when={f.hint}>
                  <small class="dim">{f.hint}</small>
                </Show>
              </label>
            )}
          </For>
        </div>
        <label class="field check">
          <span>
            <input
              type="checkbox"
              name="localPeerDiscovery"
              checked={lsd()}
              onChange={(e) => {
                setLsd(e.currentTarget.checked)
                setSaved(false)
              }}
            />{' '}
            Local peer discovery
          </span>
          <small class="dim">Find peers on this network by multicast (never for private torrents).</small>
        </label>
        <label class="field check">
          <span>
            <input
              type="checkbox"
              name="utp"
              checked={utp()}
              onChange={(e) => {
                setUtp(e.currentTarget.checked)
                setSaved(false)
              }}
            />{' '}
            uTP (µTP) beside TCP
          </span>
          <small class="dim">
            Accept uTP on the listen port and use it for peers that announce it; a peer one transport cannot reach is
            tried on the other. Listening follows on the next start.
          </small>
        </label>
        <label class="field check">
          <span>
            <input
              type="checkbox"
              name="dataPlane"
              checked={dataPlane()}
              onChange={(e) => {
                setDataPlane(e.currentTarget.checked)
                setSaved(false)
              }}
            />{' '}
            Keep piece data in the helper
          </span>
          <small class="dim">
            When the helper can, it receives, checks and writes the pieces itself and the browser only steers, which is
            several times less work here. Off: every byte passes through the browser. Applies to torrents as they next
            start.
          </small>
        </label>
        <label class="field check">
          <span>
            <input
              type="checkbox"
              name="portMapping"
              checked={portMapping()}
              onChange={(e) => {
                setPortMapping(e.currentTarget.checked)
                setSaved(false)
              }}
            />{' '}
            Forward the listen port on the router (UPnP / NAT-PMP / PCP)
          </span>
          <Show when={mappingText()}>
            <small class="dim" data-testid="portmap-status">
              {mappingText()}
            </small>
          </Show>
        </label>
        <label class="check">
          <input
            type="checkbox"
            name="dhtEnabled"
            checked={dhtOn()}
            onChange={(e) => {
              setDhtOn(e.currentTarget.checked)
              setSaved(false)
            }}
          />
          <span>Find peers through the DHT (never for private torrents)</span>
        </label>
        <QueueSettings text={text()} set={set} />
        <label class="field">
          <span>DHT bootstrap nodes</span>
          <input
            name="dhtBootstrap"
            value={text().dhtBootstrap ?? ''}
            onInput={(e) => set('dhtBootstrap', e.currentTarget.value)}
          />
          <small class="dim">HOST:PORT, comma-separated; used while the DHT knows no nodes of its own.</small>
        </label>
        <label class="check">
          <input
            type="checkbox"
            name="webSeeds"
            checked={webSeedsOn()}
            onChange={(e) => {
              setWebSeedsOn(e.currentTarget.checked)
              setSaved(false)
            }}
          />
          <span>Download from web seeds (HTTP/HTTPS mirrors a torrent or magnet names)</span>
        </label>
        <AltSpeedFields settings={settings()!} register={(c) => (collectAltSpeed = c)} />
        <NotifyFields settings={settings()!} register={(c) => (collectNotify = c)} />
      </Show>
      <Show when={error()}>
        <div class="form-error" role="alert">
          {error()}
        </div>
      </Show>
      <div class="actions">
        <Show when={saved()}>
          <span class="ok">Saved</span>
        </Show>
        <button type="button" onClick={() => props.onClose()}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={!settings()}>
          Save
        </button>
      </div>
    </Modal>
  )
}
