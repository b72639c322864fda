/**
 * Every action on torrents, defined once. The toolbar, the context menu and the keyboard handler all
 * render or dispatch from this list, so an action disabled here is disabled everywhere, and every
 * shortcut has a button or menu item that shows it.
 */
import type { EngineApi, TorrentStatus } from '@tidepool/engine'
import { matchesShortcut, type KeyLike, type Shortcut } from './shortcut.ts'

/** What the actions decide on: the selection, the rows on screen, and whether the engine is up. */
export interface ActionContext {
  /** Selected torrents the list shows: a filter hides the others from every action. */
  selected: readonly string[]
  /** Status of each selected torrent, in the same order (Start and Stop are enabled by them). */
  statuses?: readonly TorrentStatus[]
  /** Torrents in the list as filtered, in display order. */
  shown: readonly string[]
  /** The helper is connected, so new torrents can be added. */
  connected: boolean
}

export type ActionId =
  | 'add'
  | 'start'
  | 'stop'
  | 'toggle'
  | 'recheck'
  | 'copy-magnet'
  | 'label'
  | 'move'
  | 'select-all'
  | 'remove'
  | 'force-start'
  | 'queue-up'
  | 'queue-down'
  | 'queue-top'
  | 'queue-bottom'
  | 'seed-limits'

export interface TorrentAction {
  id: ActionId
  label: string
  /** Tooltip: what the action does. */
  title: string
  shortcut?: Shortcut
  tone?: 'primary' | 'danger'
  toolbar: boolean
  menu: boolean
  /** Toolbar buttons of different groups are separated. */
  group: number
  enabled(ctx: ActionContext): boolean
  run(ctx: ActionContext): void | Promise<void>
}

export interface ActionDeps {
  api: Pick<
    EngineApi,
    'startTorrent' | 'stopTorrent' | 'recheckTorrent' | 'magnetLink' | 'moveInQueue' | 'setForceStart'
  >
  /** Runs `fn` for each torrent, says which failed, then refreshes the list. */
  forEach(what: string, hashes: readonly string[], fn: (infoHash: string) => Promise<void>): Promise<void>
  openAdd(): void
  /** Opens the remove dialog for the selection (it asks whether to delete the data). */
  confirmRemove(): void
  /** Opens the label dialog for the selection (set one label, or clear it). */
  openLabel(): void
  /** Opens the move dialog for the selection (another folder for its data). */
  openMove(): void
  /** Opens the seeding limits dialog for the selection. */
  openSeedLimits(): void
  selectAll(keys: readonly string[]): void
  copyText(text: string): Promise<void>
  say(message: string): void
}

const some = (ctx: ActionContext) => ctx.selected.length > 0

/** Statuses Start has something to do for (a torrent that is not running). */
const STARTABLE: ReadonlySet<TorrentStatus> = new Set(['paused', 'error'])
/** Without statuses (older callers) both stay enabled, as before. */
const canStart = (ctx: ActionContext) => some(ctx) && (!ctx.statuses || ctx.statuses.some((s) => STARTABLE.has(s)))
const canStop = (ctx: ActionContext) => some(ctx) && (!ctx.statuses || ctx.statuses.some((s) => !STARTABLE.has(s)))
/** The selected torrents Start (or Stop) would change: the others are left alone. */
const startable = (ctx: ActionContext, start: boolean) =>
  ctx.statuses ? ctx.selected.filter((_, i) => STARTABLE.has(ctx.statuses![i]!) === start) : ctx.selected

export function createTorrentActions(deps: ActionDeps): readonly TorrentAction[] {
  return [
    {
      id: 'add',
      label: '+ Add',
      title: 'Add a .torrent or a magnet link',
      shortcut: { key: 'o', mod: true },
      tone: 'primary',
      toolbar: true,
      menu: false,
      group: 0,
      // Adding needs a running engine; the other actions fail per torrent with a message anyway.
      enabled: (ctx) => ctx.connected,
      run: () => deps.openAdd(),
    },
    {
      id: 'start',
      label: '▶ Start',
      title: 'Start the selected paused torrents',
      toolbar: true,
      menu: true,
      group: 1,
      enabled: canStart,
      run: (ctx) => deps.forEach('Start', startable(ctx, true), (h) => deps.api.startTorrent(h)),
    },
    {
      id: 'stop',
      label: '■ Stop',
      title: 'Pause the selected torrents',
      toolbar: true,
      menu: true,
      group: 1,
      enabled: canStop,
      run: (ctx) => deps.forEach('Stop', startable(ctx, false), (h) => deps.api.stopTorrent(h)),
    },
    {
      // Space: one key that pauses running torrents and resumes paused ones (menu and toolbar show Start/Stop).
      id: 'toggle',
      label: 'Pause or resume',
      title: 'Pause the running selected torrents, or resume them if all are paused',
      shortcut: { key: ' ' },
      toolbar: false,
      menu: false,
      group: 1,
      enabled: some,
      run: (ctx) =>
        canStop(ctx)
          ? deps.forEach('Stop', startable(ctx, false), (h) => deps.api.stopTorrent(h))
          : deps.forEach('Start', startable(ctx, true), (h) => deps.api.startTorrent(h)),
    },
    {
      id: 'force-start',
      label: '⏩ Force start',
      title: 'Run the selected torrents now, whatever the queue limits say',
      toolbar: false,
      menu: true,
      group: 1,
      enabled: some,
      run: (ctx) => deps.forEach('Force start', ctx.selected, (h) => deps.api.setForceStart(h, true)),
    },
    ...queueMoves(deps),
    {
      id: 'recheck',
      label: '⟳ Recheck',
      title: 'Verify the data on disk',
      toolbar: true,
      menu: true,
      group: 1,
      enabled: some,
      run: (ctx) => deps.forEach('Recheck', ctx.selected, (h) => deps.api.recheckTorrent(h)),
    },
    {
      id: 'copy-magnet',
      label: 'Copy magnet link',
      title: 'Copy the magnet links of the selected torrents',
      toolbar: false,
      menu: true,
      group: 1,
      enabled: some,
      // with name and trackers: a bare info-hash is findable only through the DHT
      run: (ctx) =>
        Promise.all(ctx.selected.map((h) => deps.api.magnetLink(h)))
          .then((links) => deps.copyText(links.join('\n')))
          .then(
            () => deps.say('Copied.'),
            () => deps.say('Could not copy.'),
          ),
    },
    {
      id: 'label',
      label: 'Label…',
      title: 'Give the selected torrents a label, or clear it',
      shortcut: { key: 'l' },
      toolbar: false,
      menu: true,
      group: 1,
      enabled: some,
      run: () => deps.openLabel(),
    },
    {
      id: 'move',
      label: 'Move data…',
      title: "Move the selected torrents' data to another folder",
      toolbar: false,
      menu: true,
      group: 1,
      enabled: (ctx) => some(ctx) && ctx.connected,
      run: () => deps.openMove(),
    },
    {
      id: 'seed-limits',
      label: 'Seeding limits…',
      title: 'Share ratio and seeding time at which the selected torrents stop seeding',
      toolbar: false,
      menu: true,
      group: 1,
      enabled: some,
      run: () => deps.openSeedLimits(),
    },
    {
      id: 'select-all',
      label: 'Select all',
      title: 'Select every torrent in the list',
      shortcut: { key: 'a', mod: true },
      toolbar: false,
      menu: true,
      group: 1,
      enabled: (ctx) => ctx.shown.length > 0,
      run: (ctx) => deps.selectAll(ctx.shown),
    },
    {
      id: 'remove',
      label: '✕ Remove…',
      title: 'Remove the selected torrents',
      shortcut: { key: 'Delete' },
      tone: 'danger',
      toolbar: true,
      menu: true,
      group: 1,
      enabled: some,
      run: () => deps.confirmRemove(),
    },
  ]
}

const QUEUE_MOVES = [
  { id: 'queue-up', to: 'up', label: '▲ Move up', what: 'Move up in queue', key: 'ArrowUp', toolbar: true },
  { id: 'queue-down', to: 'down', label: '▼ Move down', what: 'Move down in queue', key: 'ArrowDown', toolbar: true },
  { id: 'queue-top', to: 'top', label: 'Move to top of queue', what: 'Move to top', key: 'Home', toolbar: false },
  {
    id: 'queue-bottom',
    to: 'bottom',
    label: 'Move to bottom of queue',
    what: 'Move to bottom',
    key: 'End',
    toolbar: false,
  },
] as const

/** Moving the selection in the queue, together (one engine call keeps a block's order). */
function queueMoves(deps: ActionDeps): TorrentAction[] {
  return QUEUE_MOVES.map((m) => ({
    id: m.id,
    label: m.label,
    title: `${m.what}: the queue decides which torrents run when the active limits are reached`,
    shortcut: { key: m.key, alt: true },
    toolbar: m.toolbar,
    menu: true,
    group: 2,
    enabled: some,
    run: (ctx: ActionContext) =>
      deps.forEach(m.what, [ctx.selected.join()], () => deps.api.moveInQueue([...ctx.selected], m.to)),
  }))
}

/** Runs `fn` for every torrent at once; the text to show when any failed (how many, the first reason), else null. */
export async function runForEach(
  what: string,
  hashes: readonly string[],
  fn: (infoHash: string) => Promise<void>,
): Promise<string | null> {
  const results = await Promise.allSettled(hashes.map(fn))
  const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
  if (!failed.length) return null
  const reason = failed[0]!.reason as Error | undefined
  return `${what} failed for ${failed.length} torrent(s): ${String(reason?.message ?? reason)}`
}

/** The action a key press is the shortcut of, enabled or not. */
export function actionForKey(actions: readonly TorrentAction[], e: KeyLike): TorrentAction | undefined {
  return actions.find((a) => a.shortcut && matchesShortcut(e, a.shortcut))
}
