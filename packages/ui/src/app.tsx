/**
 * The whole client UI. Mount it into any page with an EngineApi (a comlink Remote of the engine
 * worker, or a fake for the benchmark): `render(() => <App api={api} />, el)`.
 * Layout only: state and what changes it are in app-state.ts, torrent actions in actions/, selection in
 * selection/, page-wide input (drop, paste, shortcuts) in input/.
 */
import { onCleanup, onMount, Show, untrack, type JSX } from 'solid-js'
import type { DhtStatus, EngineApi, EngineStatus } from '@tidepool/engine'
import { createAppState } from './app-state.ts'
import { actionMenuItems, ToolbarActions } from './components/action-controls.tsx'
import { AddDialog } from './components/add-dialog.tsx'
import { ContextMenu } from './components/context-menu.tsx'
import { DetailPane } from './components/detail-pane.tsx'
import { RemoveDialog } from './components/remove-dialog.tsx'
import { SettingsDialog } from './components/settings-dialog.tsx'
import { StatusBanner } from './components/status-banner.tsx'
import { TorrentTable } from './components/torrent-table.tsx'
import { formatRate } from './format.ts'
import { portLabel } from './port-label.ts'
import { listenGlobalInput } from './input/global-input.ts'
import { clickMods } from './selection/selection.ts'
import type { EngineModel, Scheduler } from './store/engine-model.ts'
import { nextSort } from './store/sort.ts'
import { effectiveTheme, toggleTheme } from './theme.ts'

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
  const s = createAppState(props.api, {
    ...(props.scheduler ? { scheduler: props.scheduler } : {}),
    ...(props.onModel ? { onModel: props.onModel } : {}),
  })
  const { model, selection } = s
  onCleanup(() => model.dispose())

  onMount(() => {
    const stop = listenGlobalInput(window, document, {
      dialogOpen: () => s.dialog() !== null,
      closeDialog: () => s.setDialog(null),
      actions: s.actions,
      context: s.context,
      setDragging: s.setDragging,
      onTorrentFiles: (files) => void s.addDropped(files),
      onOtherDrop: () => s.say('Drop .torrent files to add them.'),
      onMagnet: (m) => s.addMagnet(m),
    })
    onCleanup(stop)
  })

  const installCommand = () => props.installCommand ?? 'pnpm native-host install --extension-id <your extension id>'
  const count = () => selection.count()

  return (
    <div class="app" classList={{ dragging: s.dragging() }}>
      <header class="toolbar">
        <div class="brand"><span class="logo">◐</span> Tidepool</div>
        <ToolbarActions actions={s.actions} context={s.context} />
        <span class="grow" />
        <input class="search" type="search" placeholder="Filter torrents" aria-label="Filter torrents" value={s.filter()} onInput={(e) => s.setFilter(e.currentTarget.value)} />
        <button onClick={() => s.setDialog('settings')} title="Settings">⚙ Settings</button>
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
            torrents={s.shown()}
            version={model.version}
            sort={s.sort()}
            onSort={(id, dir) => s.setSort((cur) => nextSort(cur, id, dir))}
            selected={selection.has}
            onRowClick={(key, ev, order) => selection.click(key, order(), clickMods(ev))}
            onContextMenu={(key, ev) => {
              ev.preventDefault()
              selection.openMenuOn(key)
              s.setMenu({ x: ev.clientX, y: ev.clientY })
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
        <DetailPane api={props.api} model={model} torrent={s.focused()} />
      </main>
      <footer class="statusbar">
        <span>{model.torrents.length} torrent{model.torrents.length === 1 ? '' : 's'}{count() ? `, ${count()} selected` : ''}</span>
        <span class="grow" />
        <span class="daemon" data-daemon={model.status()?.daemon ?? 'connecting'}>● {DAEMON_LABEL[model.status()?.daemon ?? 'connecting']}</span>
        <Show when={model.status()?.listenPort}>
          <span class="portmap" data-portmap={model.status()?.portMapping?.state ?? 'off'} title={model.status()?.portMapping?.summary ?? ''}>
            {portLabel(model.status()!)}
          </span>
        </Show>
        <Show when={model.status()?.dht}>{(d) => <span class="dht" data-dht={d().state} title={dhtTitle(d())}>DHT: {dhtLabel(d())}</span>}</Show>
        <span class="rate down">▼ {formatRate(model.status()?.downloadRate ?? 0) || '0 B/s'}</span>
        <span class="rate up">▲ {formatRate(model.status()?.uploadRate ?? 0) || '0 B/s'}</span>
      </footer>
      <Show when={s.menu()}>
        {(m) => <ContextMenu x={m().x} y={m().y} onClose={() => s.setMenu(null)} items={untrack(() => actionMenuItems(s.actions, s.context()))} />}
      </Show>
      <Show when={s.toast()}><div class="toast" role="status">{s.toast()}</div></Show>
      <Show when={s.dialog() === 'add'}><AddDialog initial={s.dropped()} onAdd={s.add} onClose={() => s.setDialog(null)} /></Show>
      <Show when={s.dialog() === 'settings'}><SettingsDialog api={props.api} onClose={() => s.setDialog(null)} /></Show>
      <Show when={s.dialog() === 'remove'}>
        <RemoveDialog names={s.selectedNames()} onConfirm={(deleteData) => void s.remove(deleteData)} onClose={() => s.setDialog(null)} />
      </Show>
    </div>
  )
}

/** The status bar's DHT cell: the node count once joined, else its state. */
function dhtLabel(d: DhtStatus): string {
  switch (d.state) {
    case 'ready': return `${d.nodes} node${d.nodes === 1 ? '' : 's'}`
    case 'off': return 'off'
    case 'starting': case 'bootstrapping': return 'joining…'
    case 'no-nodes': return 'no nodes'
    case 'error': return 'error'
  }
}

function dhtTitle(d: DhtStatus): string {
  return [`DHT ${d.state}`, d.port ? `UDP port ${d.port}` : '', `${d.nodes} nodes in the routing table`, d.message ?? ''].filter(Boolean).join(' · ')
}
