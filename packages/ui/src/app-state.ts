/**
 * The full client's state and what changes it, for App to lay out: the engine model, the selection,
 * which dialog is open, the toast, adding torrents, and the action list bound to all of these.
 */
import { createMemo, createSignal } from 'solid-js'
import type { AddReport, AddTorrentInput, EngineApi, TorrentSeedLimits } from '@tidepool/engine'
import { createTorrentActions, runForEach, type ActionContext } from './actions/torrent-actions.ts'
import { readPendingFile, type PendingFile } from './components/add-dialog.tsx'
import { plainError } from './format.ts'
import { createSelection } from './selection/selection.ts'
import { createEngineModel, type EngineModel, type Scheduler } from './store/engine-model.ts'
import { loadLayout, saveLayout, type ColumnLayout } from './store/column-layout.ts'
import type { SortState } from './store/sort.ts'
import { inState, onTracker, withLabel, type StateFilter } from './store/state-filter.ts'

export type DialogId = 'add' | 'settings' | 'remove' | 'label' | 'create' | 'move' | 'seed-limits'

/** What the toast says after adding. */
export function addedText(r: AddReport): string {
  const name = r.name && r.name !== r.infoHash ? `“${r.name}”` : 'This torrent'
  if (!r.alreadyAdded) return `Added ${name === 'This torrent' ? 'the torrent' : name}.`
  const trackers =
    r.trackersAdded > 0
      ? ` Its ${r.trackersAdded} new tracker${r.trackersAdded === 1 ? ' was' : 's were'} added to it.`
      : ''
  return `${name} is already in the list; nothing was added twice.${trackers}`
}

const TOAST_MS = 4000
const LAYOUT_KEY = 'tidepool-columns-torrents'

const sameKeys = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((k, i) => k === b[i])
const sameContext = (a: ActionContext, b: ActionContext) =>
  a.connected === b.connected &&
  sameKeys(a.selected, b.selected) &&
  sameKeys(a.shown, b.shown) &&
  sameKeys(a.statuses ?? [], b.statuses ?? [])

export function createAppState(api: EngineApi, opts: { scheduler?: Scheduler; onModel?: (m: EngineModel) => void }) {
  const model = createEngineModel(api, opts.scheduler ? { scheduler: opts.scheduler } : {})
  opts.onModel?.(model)
  const selection = createSelection()
  // Columns and sort as the user left them (localStorage), saved on every change.
  const savedLayout = loadLayout(LAYOUT_KEY)
  const [layout, setLayoutSignal] = createSignal<ColumnLayout>(savedLayout)
  const [sort, setSortSignal] = createSignal<SortState | null>(savedLayout.sort ?? { id: 'added', dir: 'desc' })
  const setLayout = (fn: (l: ColumnLayout) => ColumnLayout) => {
    const next = fn(layout())
    setLayoutSignal(next)
    saveLayout(LAYOUT_KEY, { ...next, sort: sort() })
  }
  const setSort = (fn: (s: SortState | null) => SortState | null) => {
    const next = fn(sort())
    setSortSignal(next)
    saveLayout(LAYOUT_KEY, { ...layout(), sort: next })
  }
  const [filter, setFilter] = createSignal('')
  const [dialog, setDialog] = createSignal<DialogId | null>(null)
  // A .torrent dropped on the window, preloaded into the add dialog.
  const [dropped, setDropped] = createSignal<PendingFile | null>(null)
  const [toast, setToast] = createSignal<string | null>(null)
  const [dragging, setDragging] = createSignal(false)
  const [menu, setMenu] = createSignal<{ x: number; y: number } | null>(null)

  const [stateFilter, setStateFilter] = createSignal<StateFilter>('all')
  const [trackerFilter, setTrackerFilter] = createSignal<string | null>(null)
  const [labelFilter, setLabelFilter] = createSignal<string | null>(null)
  const shown = createMemo(() => {
    model.version() // statuses change in place
    const f = filter().trim().toLowerCase()
    const st = stateFilter()
    const tr = trackerFilter()
    const lb = labelFilter()
    if (!f && st === 'all' && tr === null && lb === null) return model.torrents
    return model.torrents.filter(
      (t) =>
        (!f || t.name.toLowerCase().includes(f) || t.infoHash.startsWith(f)) &&
        inState(t, st) &&
        onTracker(t, tr) &&
        withLabel(t, lb),
    )
  })
  /** Something hides torrents: the typed filter or a sidebar choice. */
  const filtering = () =>
    filter().trim() !== '' || stateFilter() !== 'all' || trackerFilter() !== null || labelFilter() !== null
  /** The selected torrents the list shows, in model order: what every action acts on. */
  const visibleSelected = createMemo(() => shown().filter((t) => selection.has(t.infoHash)))
  const focused = createMemo(() => model.torrents.find((t) => t.infoHash === selection.focus()))

  const say = (msg: string) => {
    setToast(msg)
    setTimeout(() => setToast((t) => (t === msg ? null : t)), TOAST_MS)
  }
  const errorText = (e: unknown) => plainError(String((e as Error | undefined)?.message ?? e))

  const forEach = async (what: string, hashes: readonly string[], fn: (h: string) => Promise<void>) => {
    const failure = await runForEach(what, hashes, fn)
    if (failure) say(failure)
    void model.refresh()
  }

  /** Adds, selects the torrent and says what happened (a torrent already listed is not added twice). */
  const add = async (input: AddTorrentInput) => {
    const r = await api.addTorrentReport(input)
    selection.showAdded(r.infoHash)
    void model.refresh()
    say(addedText(r))
  }

  const openAdd = (file: PendingFile | null = null) => {
    setDropped(file)
    setDialog('add')
  }

  const actions = createTorrentActions({
    api,
    forEach,
    openAdd: () => openAdd(),
    confirmRemove: () => setDialog('remove'),
    openLabel: () => setDialog('label'),
    openMove: () => setDialog('move'),
    openSeedLimits: () => setDialog('seed-limits'),
    selectAll: (keys) => selection.selectAll(keys),
    copyText: (text) =>
      navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject(new Error('no clipboard')),
    say,
  })
  // The toolbar's buttons all read this: a new value only when the selection, the rows on screen or the
  // connection changed, not on every poll.
  const context = createMemo(
    (): ActionContext => ({
      selected: visibleSelected().map((t) => t.infoHash),
      statuses: visibleSelected().map((t) => t.status),
      shown: shown().map((t) => t.infoHash),
      connected: model.status()?.daemon === 'connected',
    }),
    undefined,
    { equals: sameContext },
  )

  return {
    model,
    selection,
    actions,
    context,
    shown,
    focused,
    sort,
    setSort,
    layout,
    setLayout,
    filter,
    setFilter,
    stateFilter,
    setStateFilter,
    trackerFilter,
    setTrackerFilter,
    labelFilter,
    setLabelFilter,
    filtering,
    dialog,
    setDialog,
    dropped,
    toast,
    dragging,
    setDragging,
    menu,
    setMenu,
    add,
    openAdd,
    say,
    /** One dropped .torrent opens the add dialog to choose files; several are added as they are. */
    async addDropped(files: File[]): Promise<void> {
      if (files.length === 1) {
        try {
          openAdd(await readPendingFile(files[0]!))
        } catch (err) {
          say(errorText(err))
        }
        return
      }
      for (const f of files) {
        try {
          await add({ torrentFile: (await readPendingFile(f)).bytes })
        } catch (err) {
          say(errorText(err))
        }
      }
    },
    addMagnet(magnet: string): void {
      add({ magnet }).catch((err) => say(errorText(err)))
    },
    async remove(deleteData: boolean): Promise<void> {
      setDialog(null)
      const keys = context().selected
      await forEach('Remove', keys, (h) => api.removeTorrent(h, { deleteData }))
      selection.clear()
    },
    /** Moves the selection's data; the dialog closes at once, rows show the progress. */
    move(to: { root: string; dir: string }): void {
      setDialog(null)
      const keys = context().selected
      void forEach('Move', keys, (h) => api.moveTorrent(h, to.root, to.dir))
    },
    /** Where the first selected torrent's data is (the move dialog starts there). */
    selectedPlace: () => {
      const t = visibleSelected()[0]
      return { root: t?.savePath ?? '', dir: t?.saveDir ?? '' }
    },
    selectedNames: () => visibleSelected().map((t) => t.name || t.infoHash),
    /** The selected torrents' labels (undefined for none), in selection order. */
    selectedLabels: () => visibleSelected().map((t) => t.label),
    /** Labels in use, by name: the label dialog offers them. */
    labelsInUse: () => [...new Set(model.torrents.flatMap((t) => (t.label ? [t.label] : [])))].sort(),
    /** One label for every selected torrent, or none (null); says so. */
    async setLabel(label: string | null): Promise<void> {
      setDialog(null)
      const keys = context().selected
      const clean = label?.trim() || null
      await forEach('Label', keys, (h) => api.setTorrentLabel(h, clean))
      const n = keys.length === 1 ? 'the torrent' : `${keys.length} torrents`
      say(clean ? `Labelled ${n} “${clean}”.` : `Removed the label of ${n}.`)
    },
    /** The first selected torrent's own seeding limits (the dialog starts from them). */
    selectedSeedLimits: () => visibleSelected()[0]?.seedLimits,
    async setSeedLimits(limits: TorrentSeedLimits): Promise<void> {
      setDialog(null)
      await forEach('Seeding limits', context().selected, (h) => api.setSeedLimits(h, limits))
    },
  }
}

export type AppState = ReturnType<typeof createAppState>
