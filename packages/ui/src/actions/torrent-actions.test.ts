import { describe, expect, it } from 'vitest'
import { FakeEngine } from '../dev/fake-engine.ts'
import { ariaShortcut, shortcutText } from './shortcut.ts'
import type { TorrentStatus } from '@tidepool/engine'
import {
  actionForKey,
  createTorrentActions,
  runForEach,
  type ActionContext,
  type ActionDeps,
  type ActionId,
} from './torrent-actions.ts'

/** Actions over a FakeEngine; what they asked the page to do is recorded. */
function setup() {
  const engine = new FakeEngine({ torrents: 4, peersInFirst: 2, peersPerTorrent: 2 })
  const did: string[] = []
  const said: string[] = []
  const copied: string[] = []
  const deps: ActionDeps = {
    api: engine,
    forEach: async (what, hashes, fn) => {
      const f = await runForEach(what, hashes, fn)
      if (f) said.push(f)
    },
    openAdd: () => did.push('open-add'),
    confirmRemove: () => did.push('confirm-remove'),
    openLabel: () => did.push('open-label'),
    openMove: () => did.push('open-move'),
    openSeedLimits: () => did.push('open-seed-limits'),
    selectAll: (keys) => did.push(`select:${keys.join(',')}`),
    copyText: async (t) => {
      copied.push(t)
    },
    say: (m) => said.push(m),
  }
  const actions = createTorrentActions(deps)
  const byId = (id: ActionId) => actions.find((a) => a.id === id)!
  const hashes = [...engine.torrents.keys()]
  return { engine, actions, byId, hashes, did, said, copied, deps }
}

const ctx = (selected: string[], shown: string[], connected = true): ActionContext => ({ selected, shown, connected })
const enabledIds = (actions: ReturnType<typeof setup>['actions'], c: ActionContext) =>
  actions.filter((a) => a.enabled(c)).map((a) => a.id)

describe('torrent actions: enabled per selection state', () => {
  const { actions } = setup()
  it('nothing selected: only add and select all', () => {
    expect(enabledIds(actions, ctx([], ['a', 'b']))).toEqual(['add', 'select-all'])
  })
  it('one or several selected: everything', () => {
    const all: ActionId[] = [
      'add',
      'start',
      'stop',
      'toggle',
      'force-start',
      'queue-up',
      'queue-down',
      'queue-top',
      'queue-bottom',
      'recheck',
      'copy-magnet',
      'label',
      'move',
      'seed-limits',
      'select-all',
      'remove',
    ]
    expect(enabledIds(actions, ctx(['a'], ['a', 'b']))).toEqual(all)
    expect(enabledIds(actions, ctx(['a', 'b'], ['a', 'b']))).toEqual(all)
  })
  it('an empty list has nothing to select (the page passes only selected rows the filter shows)', () => {
    expect(enabledIds(actions, ctx(['a'], []))).toEqual([
      'add',
      'start',
      'stop',
      'toggle',
      'force-start',
      'queue-up',
      'queue-down',
      'queue-top',
      'queue-bottom',
      'recheck',
      'copy-magnet',
      'label',
      'move',
      'seed-limits',
      'remove',
    ])
    expect(enabledIds(actions, ctx([], []))).toEqual(['add'])
  })
  it('without the helper nothing can be added or moved; other actions on torrents stay enabled', () => {
    expect(enabledIds(actions, ctx(['a'], ['a'], false))).toEqual([
      'start',
      'stop',
      'toggle',
      'force-start',
      'queue-up',
      'queue-down',
      'queue-top',
      'queue-bottom',
      'recheck',
      'copy-magnet',
      'label',
      'seed-limits',
      'select-all',
      'remove',
    ])
  })
  it('Start and Stop reflect the selected torrents: Start only for paused or failed ones, Stop only for running ones', () => {
    const c = (statuses: TorrentStatus[]): ActionContext => ({
      selected: statuses.map((_, i) => `h${i}`),
      statuses,
      shown: [],
      connected: true,
    })
    const startStop = (x: ActionContext) => enabledIds(actions, x).filter((id) => id === 'start' || id === 'stop')
    expect(startStop(c(['seeding']))).toEqual(['stop'])
    expect(startStop(c(['downloading', 'fetching-metadata']))).toEqual(['stop'])
    expect(startStop(c(['paused']))).toEqual(['start'])
    expect(startStop(c(['error']))).toEqual(['start'])
    expect(startStop(c(['paused', 'seeding']))).toEqual(['start', 'stop'])
  })
})

describe('torrent actions: one list for toolbar, menu and keys', () => {
  const { actions } = setup()
  it('every action is shown somewhere, and so is every shortcut', () => {
    // Space (pause or resume) has no item of its own: Start and Stop are its items.
    for (const a of actions) expect(a.toolbar || a.menu || a.id === 'toggle', a.id).toBe(true)
    expect(new Set(actions.map((a) => a.id)).size).toBe(actions.length)
    const keys = actions
      .filter((a) => a.shortcut)
      .map((a) => `${a.shortcut!.mod ? 'mod+' : ''}${a.shortcut!.alt ? 'alt+' : ''}${a.shortcut!.key}`)
    expect(new Set(keys).size).toBe(keys.length)
  })
  it('toolbar and menu keep their order', () => {
    expect(actions.filter((a) => a.toolbar).map((a) => a.label)).toEqual([
      '+ Add',
      '▶ Start',
      '■ Stop',
      '▲ Move up',
      '▼ Move down',
      '⟳ Recheck',
      '✕ Remove…',
    ])
    expect(actions.filter((a) => a.menu).map((a) => a.label)).toEqual([
      '▶ Start',
      '■ Stop',
      '⏩ Force start',
      '▲ Move up',
      '▼ Move down',
      'Move to top of queue',
      'Move to bottom of queue',
      '⟳ Recheck',
      'Copy magnet link',
      'Label…',
      'Move data…',
      'Seeding limits…',
      'Select all',
      '✕ Remove…',
    ])
  })
  it('keys: Alt with the arrows, Home and End moves the selection in the queue, in one call', async () => {
    const { actions, engine, hashes } = setup()
    const k = (key: string, altKey: boolean, ctrlKey = false) =>
      actionForKey(actions, { key, ctrlKey, metaKey: false, altKey })?.id
    expect(k('ArrowUp', true)).toBe('queue-up')
    expect(k('ArrowDown', true)).toBe('queue-down')
    expect(k('Home', true)).toBe('queue-top')
    expect(k('End', true)).toBe('queue-bottom')
    expect(k('ArrowUp', false)).toBeUndefined() // the list's cursor
    expect(k('ArrowUp', true, true)).toBeUndefined()
    await actions.find((a) => a.id === 'queue-top')!.run(ctx([hashes[2]!, hashes[3]!], hashes))
    expect(engine.calls.at(-1)).toBe(`queue:top:${hashes[2]},${hashes[3]}`)
    await actions.find((a) => a.id === 'force-start')!.run(ctx([hashes[1]!], hashes))
    expect(engine.calls.at(-1)).toBe(`force:${hashes[1]}:true`)
  })
  it('keys: Delete removes, Ctrl+A or Cmd+A selects all, a plain A is nothing', () => {
    const k = (key: string, ctrlKey = false, metaKey = false) => actionForKey(actions, { key, ctrlKey, metaKey })?.id
    expect(k('Delete')).toBe('remove')
    expect(k('a', true)).toBe('select-all')
    expect(k('a', false, true)).toBe('select-all')
    expect(k('a')).toBeUndefined()
    expect(k('Backspace')).toBeUndefined()
    expect(k('o', true)).toBe('add')
    expect(k('o')).toBeUndefined()
    expect(k(' ')).toBe('toggle')
    expect(k(' ', true)).toBeUndefined() // Ctrl+Space toggles the row's selection instead
  })
  it('shortcut text for people and for aria-keyshortcuts', () => {
    expect(shortcutText({ key: 'a', mod: true }, false)).toBe('Ctrl+A')
    expect(shortcutText({ key: 'a', mod: true }, true)).toBe('⌘A')
    expect(shortcutText({ key: 'Delete' }, false)).toBe('Delete')
    expect(ariaShortcut({ key: 'a', mod: true }, false)).toBe('Control+A')
    expect(ariaShortcut({ key: 'a', mod: true }, true)).toBe('Meta+A')
  })
})

describe('torrent actions: what they do', () => {
  it('start, stop and recheck act on exactly the selected torrents', async () => {
    const { engine, byId, hashes } = setup()
    const [a, b, c] = hashes as [string, string, string]
    const status = (h: string) => engine.torrents.get(h)!.summary.status
    const before = status(c)
    await byId('stop').run(ctx([a, b], hashes))
    expect([status(a), status(b), status(c)]).toEqual(['paused', 'paused', before])
    await byId('start').run(ctx([a], hashes))
    expect(status(a)).toMatch(/^(downloading|seeding)$/)
    expect(status(b)).toBe('paused')
    await byId('recheck').run(ctx([b], hashes))
    expect(status(b)).toBe('checking')
  })
  it('Space pauses the running ones of a mixed selection, and resumes when all are paused', async () => {
    const { engine, byId, hashes } = setup()
    const [a, b] = hashes as [string, string]
    const status = (h: string) => engine.torrents.get(h)!.summary.status
    await engine.stopTorrent(a)
    const withStatus = (): ActionContext => ({
      selected: [a, b],
      statuses: [status(a), status(b)],
      shown: hashes,
      connected: true,
    })
    await byId('toggle').run(withStatus())
    expect([status(a), status(b)]).toEqual(['paused', 'paused'])
    await byId('toggle').run(withStatus())
    expect([status(a), status(b)].every((x) => x !== 'paused')).toBe(true)
  })
  it('a failure is reported with its count and first reason', async () => {
    const { byId, hashes, said } = setup()
    await byId('stop').run(ctx([hashes[0]!, 'f'.repeat(40)], hashes))
    expect(said).toEqual([`Stop failed for 1 torrent(s): unknown torrent ${'f'.repeat(40)}`])
  })
  it('copy magnet copies one link per selected torrent, with its name and trackers', async () => {
    const { byId, hashes, copied, said, engine } = setup()
    await byId('copy-magnet').run(ctx([hashes[0]!, hashes[1]!], hashes))
    expect(copied).toEqual([`${await engine.magnetLink(hashes[0]!)}\n${await engine.magnetLink(hashes[1]!)}`])
    const links = copied[0]!.split('\n')
    expect(links[0]).toMatch(new RegExp(`^magnet:\\?xt=urn:btih:${hashes[0]}&dn=[^&]+&tr=`))
    expect(said).toEqual(['Copied.'])
  })
  it('copy magnet says so when the clipboard refuses', async () => {
    const s = setup()
    const actions = createTorrentActions({ ...s.deps, copyText: () => Promise.reject(new Error('denied')) })
    await actions.find((a) => a.id === 'copy-magnet')!.run(ctx([s.hashes[0]!], s.hashes))
    expect(s.said).toEqual(['Could not copy.'])
  })
  it('remove asks first; add opens the dialog; select all takes the rows on screen', async () => {
    const { byId, hashes, did, engine } = setup()
    await byId('remove').run(ctx([hashes[0]!], hashes))
    await byId('add').run(ctx([], hashes))
    await byId('select-all').run(ctx([], [hashes[2]!, hashes[1]!]))
    await byId('label').run(ctx([hashes[0]!], hashes))
    expect(did).toEqual(['confirm-remove', 'open-add', `select:${hashes[2]},${hashes[1]}`, 'open-label'])
    expect(actionForKey(byId('label') ? [byId('label')] : [], { key: 'L', ctrlKey: false, metaKey: false })?.id).toBe(
      'label',
    )
    expect(engine.torrents.size).toBe(4)
  })
})
