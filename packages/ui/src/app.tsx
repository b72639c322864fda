/**
 * The whole client UI. Mount it into any page with an EngineApi (a comlink Remote of the engine
 * worker, or a fake for the benchmark): `render(() => <App api={api} />, el)`.
 * Layout only: state and what changes it are in app-state.ts, torrent actions in actions/, selection in
 * selection/, page-wide input (drop, paste, shortcuts) in input/.
 */
import { createMemo, createSignal, onCleanup, onMount, Show, untrack, type JSX } from 'solid-js'
import type { DhtStatus, EngineApi } from '@tidepool/engine'
import { createAppState } from './app-state.ts'
import { actionMenuItems, ToolbarActions } from './components/action-controls.tsx'
import { AddDialog } from './components/add-dialog.tsx'
import { ContextMenu, type MenuItem } from './components/context-menu.tsx'
import { DetailPane } from './components/detail-pane.tsx'
import { RemoveDialog } from './components/remove-dialog.tsx'
import { SettingsDialog } from './components/settings-dialog.tsx'
import { AltSpeedToggle } from './components/speed-limits.tsx'
import { LabelDialog } from './components/label-dialog.tsx'
import { CreateDialog } from './components/create-dialog.tsx'
import { MoveDialog } from './components/move-dialog.tsx'
import { SeedLimitsDialog } from './components/seed-limits-dialog.tsx'
import { Sidebar } from './components/sidebar.tsx'
import { DAEMON_LABEL, StatusBanner, type HelperHelp } from './components/status-banner.tsx'
import { TORRENT_COLUMNS, TorrentTable } from './components/torrent-table.tsx'
import { applyLayout, moveColumn, resizeColumn, toggleHidden } from './store/column-layout.ts'
import { formatRate } from './format.ts'
import { portLabel } from './port-label.ts'
import { listenGlobalInput } from './input/global-input.ts'
import { listCommand } from './selection/list-keys.ts'
import { clickMods } from './selection/selection.ts'
import type { EngineModel, Scheduler } from './store/engine-model.ts'
import { nextSort } from './store/sort.ts'
import { effectiveTheme, toggleTheme } from './theme.ts'

export interface AppProps {
  api: EngineApi
  /** How to install or start the helper, shown when it is missing (see HelperHelp). */
  helperHelp?: HelperHelp
  /** Real paths of the helper's download folders by name, where the page knows them (web app). */
  folderPaths?: Record<string, string>
  /** Asks the browser to open magnet: links with this page (web app; the browser asks the user). */
  registerMagnetHandler?: () => void
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

  let list: HTMLDivElement | undefined
  // The header's menu: show or hide each column, move the one it was opened on.
  const [headerMenu, setHeaderMenu] = createSignal<{ id: string; x: number; y: number } | null>(null)
  const allIds = TORRENT_COLUMNS.map((c) => c.id)
  // New column objects only when the layout changes: the table rebuilds cells per column object.
  const columns = createMemo(() => applyLayout(TORRENT_COLUMNS, s.layout()))
  const columnMenuItems = (id: string): MenuItem[] => {
    const title = TORRENT_COLUMNS.find((c) => c.id === id)?.title ?? id
    const hidden = s.layout().hidden
    return [
      { label: `Move “${title}” left`, action: () => s.setLayout((l) => moveColumn(l, id, -1, allIds)) },
      { label: `Move “${title}” right`, action: () => s.setLayout((l) => moveColumn(l, id, 1, allIds)) },
      ...TORRENT_COLUMNS.map((c) => ({
        label: `${hidden.includes(c.id) ? 'Show' : 'Hide'} ${c.title}`,
        action: () => s.setLayout((l) => toggleHidden(l, c.id, allIds)),
      })),
    ]
  }
  /** The context menu for the selection, at a point (pointer) or below the keyboard's row. */
  const openMenuAt = (key: string, x: number, y: number) => {
    selection.openMenuOn(key)
    s.setMenu({ x, y })
  }
  const onListKey = (e: KeyboardEvent, order: () => string[]) => {
    const cmd = listCommand(e, order(), selection.focus())
    if (!cmd) return
    e.preventDefault()
    if (cmd.kind === 'move') {
      if (cmd.focusOnly) selection.moveFocus(cmd.key)
      else selection.click(cmd.key, order(), cmd.mods)
    } else if (cmd.kind === 'toggle') selection.click(cmd.key, order(), { toggle: true, range: false })
    else if (cmd.kind === 'clear') selection.clear()
    else if (cmd.kind === 'details')
      document.querySelector<HTMLElement>('.detail [role="tab"][aria-selected="true"]')?.focus()
    else {
      const row = list?.querySelector(`[role="row"][data-key="${cmd.key}"]`)?.getBoundingClientRect()
      openMenuAt(cmd.key, row ? row.left + 40 : 40, row ? row.bottom : 80)
    }
  }

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

  // Where the download folders are: the helper says (newer helpers), the web app's page knows its own.
  // The daemon's word wins: on a companion the folders are the companion's, not the page's.
  const folderPaths = () => ({ ...(props.folderPaths ?? {}), ...(model.status()?.downloadFolderPaths ?? {}) })
  const filtered = () => s.filtering() && model.torrents.length > 0
  const clearFilters = () => {
    s.setFilter('')
    s.setStateFilter('all')
    s.setTrackerFilter(null)
    s.setLabelFilter(null)
  }

  return (
    <div class="app" classList={{ dragging: s.dragging() }}>
      <header class="toolbar">
        <div class="brand">
          <span class="logo">◐</span> Tidepool
        </div>
        <ToolbarActions actions={s.actions} context={s.context} />
        <span class="grow" />
        <input
          class="search"
          type="search"
          placeholder="Filter torrents"
          aria-label="Filter torrents"
          value={s.filter()}
          onInput={(e) => s.setFilter(e.currentTarget.value)}
        />
        <button type="button" onClick={() => s.setDialog('create')} title="Create a torrent from a file or folder">
          <span aria-hidden="true">✚</span> Create
        </button>
        <button type="button" onClick={() => s.setDialog('settings')} title="Settings">
          <span aria-hidden="true">⚙</span> Settings
        </button>
        <button
          type="button"
          onClick={() => toggleTheme()}
          title="Switch between light and dark theme"
          aria-label={effectiveTheme() === 'dark' ? 'Use the light theme' : 'Use the dark theme'}
        >
          {effectiveTheme() === 'dark' ? '☀' : '☾'}
        </button>
      </header>
      <StatusBanner
        status={model.status()}
        apiError={model.apiError()}
        torrents={model.torrents}
        {...(props.helperHelp ? { help: props.helperHelp } : {})}
        onRetry={() => void model.refresh()}
      />
      <main class="main">
        <div class="list-row">
          <Sidebar
            torrents={model.torrents}
            version={model.version}
            state={s.stateFilter()}
            tracker={s.trackerFilter()}
            onState={s.setStateFilter}
            onTracker={s.setTrackerFilter}
            label={s.labelFilter()}
            onLabel={s.setLabelFilter}
          />
          <div class="list" ref={list}>
            <TorrentTable
              columns={columns()}
              onResize={(id, w) => s.setLayout((l) => resizeColumn(l, id, w))}
              onHeaderMenu={(id, at) => setHeaderMenu({ id, ...at })}
              onGridKey={onListKey}
              cursor={selection.focus()}
              torrents={s.shown()}
              version={model.version}
              sort={s.sort()}
              onSort={(id, dir) => s.setSort((cur) => nextSort(cur, id, dir))}
              selected={selection.has}
              onRowClick={(key, ev, order) => selection.click(key, order(), clickMods(ev))}
              onContextMenu={(key, ev) => {
                ev.preventDefault()
                openMenuAt(key, ev.clientX, ev.clientY)
              }}
              empty={
                <Show
                  when={!filtered()}
                  fallback={
                    <div class="empty-hero">
                      <div class="big">
                        No torrents match{s.filter().trim() ? ` “${s.filter().trim()}”` : ' this filter'}
                      </div>
                      <div>
                        <button type="button" onClick={clearFilters}>
                          Show all
                        </button>{' '}
                        {model.torrents.length} torrent
                        {model.torrents.length === 1 ? '' : 's'}.
                      </div>
                    </div>
                  }
                >
                  <Show
                    when={model.loaded() && model.status()?.daemon === 'connected'}
                    fallback={<span>{model.loaded() ? 'Waiting for the Tidepool helper…' : 'Loading…'}</span>}
                  >
                    <div class="empty-hero">
                      <div class="big">No torrents yet</div>
                      <div>
                        Click <b>+ Add</b> (Ctrl+O), drop a .torrent file here, or paste a magnet link.
                      </div>
                    </div>
                  </Show>
                </Show>
              }
            />
          </div>
        </div>
        <DetailPane api={props.api} model={model} torrent={s.focused()} folderPaths={folderPaths()} />
      </main>
      <footer class="statusbar">
        <span>
          {s.filtering() ? `${s.shown().length} of ` : ''}
          {model.torrents.length} torrent{model.torrents.length === 1 ? '' : 's'}
          {s.context().selected.length ? `, ${s.context().selected.length} selected` : ''}
        </span>
        <span class="grow" />
        <span class="daemon" data-daemon={model.status()?.daemon ?? 'connecting'}>
          ● {DAEMON_LABEL[model.status()?.daemon ?? 'connecting']}
        </span>
        <Show when={model.status()?.listenPort}>
          <span
            class="portmap"
            data-portmap={model.status()?.portMapping?.state ?? 'off'}
            title={model.status()?.portMapping?.summary ?? ''}
          >
            {portLabel(model.status()!)}
          </span>
        </Show>
        <Show when={model.status()?.dht}>
          {(d) => (
            <span class="dht" data-dht={d().state} title={dhtTitle(d())}>
              DHT: {dhtLabel(d())}
            </span>
          )}
        </Show>
        <AltSpeedToggle api={props.api} status={model.status()} onChanged={() => model.refresh()} />
        <span class="rate down">▼ {formatRate(model.status()?.downloadRate ?? 0) || '0 B/s'}</span>
        <span class="rate up">▲ {formatRate(model.status()?.uploadRate ?? 0) || '0 B/s'}</span>
      </footer>
      <Show when={s.menu()}>
        {(m) => (
          <ContextMenu
            x={m().x}
            y={m().y}
            onClose={() => s.setMenu(null)}
            items={untrack(() => actionMenuItems(s.actions, s.context()))}
          />
        )}
      </Show>
      <Show when={headerMenu()}>
        {(m) => (
          <ContextMenu
            x={m().x}
            y={m().y}
            label="Columns"
            onClose={() => setHeaderMenu(null)}
            items={untrack(() => columnMenuItems(m().id))}
          />
        )}
      </Show>
      <Show when={s.toast()}>
        <div class="toast" role="status">
          {s.toast()}
        </div>
      </Show>
      <Show when={s.dialog() === 'add'}>
        <AddDialog
          initial={s.dropped()}
          onAdd={s.add}
          onClose={() => s.setDialog(null)}
          folders={model.status()?.downloadFolders ?? []}
          folderPaths={folderPaths()}
        />
      </Show>
      <Show when={s.dialog() === 'settings'}>
        <SettingsDialog
          api={props.api}
          onClose={() => s.setDialog(null)}
          folders={model.status()?.downloadFolders ?? []}
          paths={folderPaths()}
          {...(props.registerMagnetHandler ? { onRegisterMagnet: props.registerMagnetHandler } : {})}
        />
      </Show>
      <Show when={s.dialog() === 'create'}>
        <CreateDialog
          api={props.api}
          folders={model.status()?.downloadFolders ?? []}
          onClose={() => s.setDialog(null)}
        />
      </Show>
      <Show when={s.dialog() === 'label'}>
        <LabelDialog
          count={s.context().selected.length}
          labels={untrack(s.selectedLabels)}
          inUse={untrack(s.labelsInUse)}
          onSet={(label) => void s.setLabel(label)}
          onClose={() => s.setDialog(null)}
        />
      </Show>
      <Show when={s.dialog() === 'move'}>
        <MoveDialog
          names={s.selectedNames()}
          current={untrack(s.selectedPlace)}
          folders={model.status()?.downloadFolders ?? []}
          paths={folderPaths()}
          onMove={(to) => s.move(to)}
          onClose={() => s.setDialog(null)}
        />
      </Show>
      <Show when={s.dialog() === 'seed-limits'}>
        <SeedLimitsDialog
          count={s.context().selected.length}
          current={untrack(s.selectedSeedLimits)}
          onSet={(limits) => void s.setSeedLimits(limits)}
          onClose={() => s.setDialog(null)}
        />
      </Show>
      <Show when={s.dialog() === 'remove'}>
        <RemoveDialog
          names={s.selectedNames()}
          onConfirm={(deleteData) => void s.remove(deleteData)}
          onClose={() => s.setDialog(null)}
        />
      </Show>
    </div>
  )
}

/** The status bar's DHT cell: the node count once joined, else its state. */
function dhtLabel(d: DhtStatus): string {
  switch (d.state) {
    case 'ready':
      return `${d.nodes} node${d.nodes === 1 ? '' : 's'}`
    case 'off':
      return 'off'
    case 'starting':
    case 'bootstrapping':
      return 'joining…'
    case 'no-nodes':
      return 'no nodes'
    case 'error':
      return 'error'
  }
}

function dhtTitle(d: DhtStatus): string {
  return [
    `DHT ${d.state}`,
    d.port ? `UDP port ${d.port}` : '',
    `${d.nodes} nodes in the routing table`,
    d.message ?? '',
  ]
    .filter(Boolean)
    .join(' · ')
}
