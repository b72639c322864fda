/**
 * The whole client UI. Mount it into any page with an EngineApi (a comlink Remote of the engine
 * worker, or a fake for the benchmark): `render(() => <App api={api} />, el)`.
 */
import { createMemo, createSignal, onCleanup, onMount, Show, type JSX } from 'solid-js'
import type { AddTorrentInput, EngineApi, EngineStatus } from '@tidepool/engine'
import { AddDialog, readPendingFile, type PendingFile } from './components/add-dialog.tsx'
import { ContextMenu } from './components/context-menu.tsx'
import { DetailPane } from './components/detail-pane.tsx'
import { RemoveDialog } from './components/remove-dialog.tsx'
import { SettingsDialog } from './components/settings-dialog.tsx'
import { StatusBanner } from './components/status-banner.tsx'
import { TorrentTable } from './components/torrent-table.tsx'
import { formatRate } from './format.ts'
import { createEngineModel, type EngineModel, type Scheduler } from './store/engine-model.ts'
import { nextSelection, nextSort, type SortState } from './store/sort.ts'
import { effectiveTheme, toggleTheme } from './theme.ts'
import { normaliseMagnet } from './torrent-files.ts'

const DAEMON_LABEL: Record<EngineStatus['daemon'], string> = {
  connected: 'helper connected',
  connecting: 'connecting to helper…',
  unreachable: 'helper not running',
  'auth-failed': 'helper: wrong token',
  'not-installed': 'helper not installed',
}

export interface AppProps {
  api: EngineApi
  /** Shown when the helper is missing, e.g. `pnpm native-host install --extension-id …`. */
  installCommand?: string
  /** Called when the user pastes a new daemon token (web app: reconnect the worker). */
  onToken?: (token: string) => void
  scheduler?: Scheduler
  /** Exposes the model (benchmark and tests). */
  onModel?: (m: EngineModel) => void
}

export function App(props: AppProps): JSX.Element {
  const model = createEngineModel(props.api, props.scheduler ? { scheduler: props.scheduler } : {})
  props.onModel?.(model)
  onCleanup(() => model.dispose())

  const [selected, setSelected] = createSignal<Set<string>>(new Set())
  const [anchor, setAnchor] = createSignal<string | null>(null)
  const [focus, setFocus] = createSignal<string | null>(null)
  const [sort, setSort] = createSignal<SortState | null>({ id: 'added', dir: 'desc' })
  const [filter, setFilter] = createSignal('')
  const [dialog, setDialog] = createSignal<null | 'add' | 'settings' | 'remove'>(null)
  const [dropped, setDropped] = createSignal<PendingFile | null>(null)
  const [toast, setToast] = createSignal<string | null>(null)
  const [dragging, setDragging] = createSignal(false)
  const [menu, setMenu] = createSignal<{ x: number; y: number } | null>(null)

  const shown = createMemo(() => {
    const f = filter().trim().toLowerCase()
    return f ? model.torrents.filter((t) => t.name.toLowerCase().includes(f) || t.infoHash.startsWith(f)) : model.torrents
  })
  const focused = createMemo(() => model.torrents.find((t) => t.infoHash === focus()))
  const count = () => selected().size
  const say = (msg: string) => {
    setToast(msg)
    setTimeout(() => setToast((t) => (t === msg ? null : t)), 4000)
  }

  const forSelected = async (what: string, fn: (h: string) => Promise<void>) => {
    const hashes = [...selected()]
    const results = await Promise.allSettled(hashes.map(fn))
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
    if (failed.length) say(`${what} failed for ${failed.length} torrent(s): ${String(failed[0]!.reason?.message ?? failed[0]!.reason)}`)
    void model.refresh()
  }
  const add = async (input: AddTorrentInput) => {
    const hash = await props.api.addTorrent(input)
    setSelected(new Set([hash]))
    setFocus(hash)
    void model.refresh()
  }

  onMount(() => {
    // Drop a .torrent anywhere; paste a magnet anywhere outside a text field.
    const over = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) { e.preventDefault(); setDragging(true) }
    }
    const leave = (e: DragEvent) => { if (!e.relatedTarget) setDragging(false) }
    const drop = async (e: DragEvent) => {
      e.preventDefault()
      setDragging(false)
      const files = [...(e.dataTransfer?.files ?? [])].filter((f) => /\.torrent$/i.test(f.name) || f.type === 'application/x-bittorrent')
      if (files.length === 0) return say('Drop .torrent files to add them.')
      if (files.length === 1) {
        try { setDropped(await readPendingFile(files[0]!)); setDialog('add') } catch (err) { say(String((err as Error).message)) }
        return
      }
      for (const f of files) {
        try { await add({ torrentFile: (await readPendingFile(f)).bytes }) } catch (err) { say(String((err as Error).message)) }
      }
    }
    const paste = (e: ClipboardEvent) => {
      const el = e.target as HTMLElement | null
      if (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA')) return
      const m = normaliseMagnet(e.clipboardData?.getData('text') ?? '')
      if (m) { e.preventDefault(); add({ magnet: m }).then(() => say('Magnet link added.'), (err) => say(String(err?.message ?? err))) }
    }
    const key = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && dialog()) return setDialog(null)
      const el = e.target as HTMLElement | null
      if (dialog() || (el && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return
      if (e.key === 'Delete' && selected().size) { e.preventDefault(); setDialog('remove') }
      else if (e.key === 'a' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); setSelected(new Set(shown().map((t) => t.infoHash))) }
    }
    document.addEventListener('keydown', key)
    onCleanup(() => document.removeEventListener('keydown', key))
    window.addEventListener('dragover', over)
    window.addEventListener('dragleave', leave)
    window.addEventListener('drop', drop)
    document.addEventListener('paste', paste)
    onCleanup(() => {
      window.removeEventListener('dragover', over)
      window.removeEventListener('dragleave', leave)
      window.removeEventListener('drop', drop)
      document.removeEventListener('paste', paste)
    })
  })

  const installCommand = () => props.installCommand ?? 'pnpm native-host install --extension-id <your extension id>'
  // Adding needs a running engine; the other actions fail per torrent with a message anyway.
  const blocked = () => model.status()?.daemon !== 'connected'

  return (
    <div class="app" classList={{ dragging: dragging() }}>
      <header class="toolbar">
        <div class="brand"><span class="logo">◐</span> Tidepool</div>
        <button class="primary" onClick={() => { setDropped(null); setDialog('add') }} disabled={blocked()} title="Add a .torrent or a magnet link">+ Add</button>
        <span class="sep" />
        <button onClick={() => forSelected('Start', (h) => props.api.startTorrent(h))} disabled={!count()} title="Start">▶ Start</button>
        <button onClick={() => forSelected('Stop', (h) => props.api.stopTorrent(h))} disabled={!count()} title="Stop">■ Stop</button>
        <button onClick={() => forSelected('Recheck', (h) => props.api.recheckTorrent(h))} disabled={!count()} title="Verify the data on disk">⟳ Recheck</button>
        <button class="danger" onClick={() => setDialog('remove')} disabled={!count()} title="Remove">✕ Remove</button>
        <span class="grow" />
        <input class="search" type="search" placeholder="Filter torrents" aria-label="Filter torrents" value={filter()} onInput={(e) => setFilter(e.currentTarget.value)} />
        <button onClick={() => setDialog('settings')} title="Settings">⚙ Settings</button>
        <button onClick={() => toggleTheme()} title="Toggle light/dark theme" aria-label="Toggle theme">{effectiveTheme() === 'dark' ? '☀' : '☾'}</button>
      </header>
      <StatusBanner
        status={model.status()}
        apiError={model.apiError()}
        torrents={model.torrents}
        installCommand={installCommand()}
        onRetry={() => void model.refresh()}
        {...(props.onToken ? { onToken: props.onToken } : {})}
      />
      <main class="main">
        <div class="list">
          <TorrentTable
            torrents={shown()}
            version={model.version}
            sort={sort()}
            onSort={(id, dir) => setSort((s) => nextSort(s, id, dir))}
            selected={(k) => selected().has(k)}
            onRowClick={(key, ev, order) => {
              const r = nextSelection(order(), selected(), anchor(), key, { toggle: ev.ctrlKey || ev.metaKey, range: ev.shiftKey })
              setSelected(r.selected)
              setAnchor(r.anchor)
              setFocus(key)
            }}
            onContextMenu={(key, ev) => {
              ev.preventDefault()
              // Right-click on an unselected row acts on that row alone.
              if (!selected().has(key)) { setSelected(new Set([key])); setAnchor(key) }
              setFocus(key)
              setMenu({ x: ev.clientX, y: ev.clientY })
            }}
            empty={
              <Show when={model.loaded() && model.status()?.daemon === 'connected'} fallback={<span>{model.loaded() ? 'Waiting for the Tidepool helper…' : 'Loading…'}</span>}>
                <div class="empty-hero">
                  <div class="big">No torrents yet</div>
                  <div>Click <b>+ Add</b>, drop a .torrent file here, or paste a magnet link.</div>
                </div>
              </Show>
            }
          />
        </div>
        <DetailPane api={props.api} model={model} torrent={focused()} />
      </main>
      <footer class="statusbar">
        <span>{model.torrents.length} torrent{model.torrents.length === 1 ? '' : 's'}{count() ? `, ${count()} selected` : ''}</span>
        <span class="grow" />
        <span class="daemon" data-daemon={model.status()?.daemon ?? 'connecting'}>● {DAEMON_LABEL[model.status()?.daemon ?? 'connecting']}</span>
        <Show when={model.status()?.listenPort}><span>port {model.status()!.listenPort}</span></Show>
        <span class="rate down">▼ {formatRate(model.status()?.downloadRate ?? 0) || '0 B/s'}</span>
        <span class="rate up">▲ {formatRate(model.status()?.uploadRate ?? 0) || '0 B/s'}</span>
      </footer>
      <Show when={menu()}>
        {(m) => (
          <ContextMenu
            x={m().x}
            y={m().y}
            onClose={() => setMenu(null)}
            items={[
              { label: '▶ Start', action: () => void forSelected('Start', (h) => props.api.startTorrent(h)) },
              { label: '■ Stop', action: () => void forSelected('Stop', (h) => props.api.stopTorrent(h)) },
              { label: '⟳ Recheck', action: () => void forSelected('Recheck', (h) => props.api.recheckTorrent(h)) },
              { label: 'Copy magnet link', action: () => void navigator.clipboard?.writeText([...selected()].map((h) => `magnet:?xt=urn:btih:${h}`).join('\n')).then(() => say('Copied.'), () => say('Could not copy.')) },
              { label: '✕ Remove…', danger: true, action: () => setDialog('remove') },
            ]}
          />
        )}
      </Show>
      <Show when={toast()}><div class="toast" role="status">{toast()}</div></Show>
      <Show when={dialog() === 'add'}><AddDialog initial={dropped()} onAdd={add} onClose={() => setDialog(null)} /></Show>
      <Show when={dialog() === 'settings'}><SettingsDialog api={props.api} onClose={() => setDialog(null)} /></Show>
      <Show when={dialog() === 'remove'}>
        <RemoveDialog
          names={model.torrents.filter((t) => selected().has(t.infoHash)).map((t) => t.name)}
          onConfirm={(deleteData) => {
            setDialog(null)
            void forSelected('Remove', (h) => props.api.removeTorrent(h, { deleteData })).then(() => setSelected(new Set<string>()))
          }}
          onClose={() => setDialog(null)}
        />
      </Show>
    </div>
  )
}
