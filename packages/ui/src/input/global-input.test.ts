import { describe, expect, it } from 'vitest'
import { createTorrentActions, type ActionContext } from '../actions/torrent-actions.ts'
import { handleGlobalKey, isTorrentFile, listenGlobalInput, type GlobalInputDeps } from './global-input.ts'

function setup(opts: { selected?: string[]; shown?: string[]; dialog?: boolean } = {}) {
  const log: string[] = []
  let dialog = opts.dialog ?? false
  const actions = createTorrentActions({
    api: {
      startTorrent: async () => {},
      stopTorrent: async () => {},
      recheckTorrent: async () => {},
      magnetLink: async (h) => `magnet:?xt=urn:btih:${h}`,
      moveInQueue: async () => {},
      setForceStart: async () => {},
    },
    forEach: async () => {},
    openAdd: () => log.push('open-add'),
    confirmRemove: () => log.push('confirm-remove'),
    openLabel: () => log.push('open-label'),
    openMove: () => log.push('open-move'),
    openSeedLimits: () => log.push('open-seed-limits'),
    selectAll: (keys) => log.push(`select:${keys.join(',')}`),
    copyText: async () => {},
    say: (m) => log.push(`say:${m}`),
  })
  const context = (): ActionContext => ({
    selected: opts.selected ?? [],
    shown: opts.shown ?? ['a', 'b'],
    connected: true,
  })
  const deps: GlobalInputDeps = {
    dialogOpen: () => dialog,
    closeDialog: () => {
      dialog = false
      log.push('close-dialog')
    },
    actions,
    context,
    setDragging: (on) => log.push(`dragging:${on}`),
    onTorrentFiles: (files) => log.push(`files:${files.map((f) => f.name).join(',')}`),
    onOtherDrop: () => log.push('other-drop'),
    onMagnet: (m) => log.push(`magnet:${m}`),
  }
  return { deps, log, isDialogOpen: () => dialog }
}

function key(k: string, opts: { ctrl?: boolean; meta?: boolean; tagName?: string } = {}) {
  const e = {
    key: k,
    ctrlKey: !!opts.ctrl,
    metaKey: !!opts.meta,
    target: opts.tagName ? { tagName: opts.tagName } : null,
    prevented: false,
    preventDefault() {
      e.prevented = true
    },
  }
  return e
}

describe('global keys', () => {
  it('Delete with a selection opens the remove dialog', () => {
    const { deps, log } = setup({ selected: ['a'] })
    const e = key('Delete')
    handleGlobalKey(e, deps)
    expect(log).toEqual(['confirm-remove'])
    expect(e.prevented).toBe(true)
  })
  it('a disabled action does nothing from the keyboard either (its key is still taken)', () => {
    const { deps, log } = setup({ selected: [] })
    const e = key('Delete')
    handleGlobalKey(e, deps)
    expect(log).toEqual([])
    expect(e.prevented).toBe(true)
  })
  it('Ctrl+A and Cmd+A select the rows on screen', () => {
    const { deps, log } = setup({ shown: ['b', 'c'] })
    handleGlobalKey(key('a', { ctrl: true }), deps)
    handleGlobalKey(key('a', { meta: true }), deps)
    expect(log).toEqual(['select:b,c', 'select:b,c'])
  })
  it('keys typed into a field belong to the field', () => {
    const { deps, log } = setup({ selected: ['a'] })
    for (const tagName of ['INPUT', 'TEXTAREA', 'SELECT']) {
      const e = key('Delete', { tagName })
      handleGlobalKey(e, deps)
      expect(e.prevented).toBe(false)
    }
    handleGlobalKey(key('a', { ctrl: true, tagName: 'INPUT' }), deps)
    expect(log).toEqual([])
  })
  it('with a dialog open, Escape closes it and shortcuts do nothing', () => {
    const { deps, log, isDialogOpen } = setup({ selected: ['a'], dialog: true })
    handleGlobalKey(key('Delete'), deps)
    expect(log).toEqual([])
    handleGlobalKey(key('Escape'), deps)
    expect(log).toEqual(['close-dialog'])
    expect(isDialogOpen()).toBe(false)
    handleGlobalKey(key('Escape'), deps)
    expect(log).toEqual(['close-dialog'])
  })
  it('unknown keys pass through', () => {
    const { deps, log } = setup({ selected: ['a'] })
    const e = key('x')
    handleGlobalKey(e, deps)
    expect(log).toEqual([])
    expect(e.prevented).toBe(false)
  })
})

describe('listenGlobalInput', () => {
  const file = (name: string, type = '') => ({ name, type }) as File
  const event = (type: string, props: Record<string, unknown>, target?: unknown) => {
    const e = Object.assign(new Event(type, { cancelable: true }), props)
    if (target) Object.defineProperty(e, 'target', { value: target })
    return e
  }

  it('drops keep .torrent files only; a drop without one is reported', () => {
    const win = new EventTarget()
    const { deps, log } = setup()
    const stop = listenGlobalInput(win, new EventTarget(), deps)
    win.dispatchEvent(event('dragover', { dataTransfer: { types: ['Files'] } }))
    const drop = event('drop', {
      dataTransfer: { files: [file('a.torrent'), file('notes.txt'), file('b', 'application/x-bittorrent')] },
    })
    win.dispatchEvent(drop)
    win.dispatchEvent(event('drop', { dataTransfer: { files: [file('notes.txt')] } }))
    expect(log).toEqual(['dragging:true', 'dragging:false', 'files:a.torrent,b', 'dragging:false', 'other-drop'])
    expect(drop.defaultPrevented).toBe(true)
    stop()
  })
  it('dragging text is not a file drop; leaving the window ends the highlight', () => {
    const win = new EventTarget()
    const { deps, log } = setup()
    const stop = listenGlobalInput(win, new EventTarget(), deps)
    win.dispatchEvent(event('dragover', { dataTransfer: { types: ['text/plain'] } }))
    win.dispatchEvent(event('dragleave', { relatedTarget: {} }))
    win.dispatchEvent(event('dragleave', { relatedTarget: null }))
    expect(log).toEqual(['dragging:false'])
    stop()
  })
  it('a pasted magnet link or info-hash is added, except in a text field', () => {
    const doc = new EventTarget()
    const { deps, log } = setup()
    const stop = listenGlobalInput(new EventTarget(), doc, deps)
    const text = (t: string) => ({ clipboardData: { getData: () => t } })
    const hash = '0123456789abcdef0123456789abcdef01234567'
    doc.dispatchEvent(event('paste', text(`  magnet:?xt=urn:btih:${hash}&dn=x `)))
    doc.dispatchEvent(event('paste', text(hash)))
    doc.dispatchEvent(event('paste', text('hello')))
    doc.dispatchEvent(event('paste', text(hash), { tagName: 'INPUT' }))
    expect(log).toEqual([`magnet:magnet:?xt=urn:btih:${hash}&dn=x`, `magnet:magnet:?xt=urn:btih:${hash}`])
    stop()
  })
  it('keys reach the actions, and nothing is heard after stop', () => {
    const win = new EventTarget()
    const doc = new EventTarget()
    const { deps, log } = setup({ selected: ['a'] })
    const stop = listenGlobalInput(win, doc, deps)
    doc.dispatchEvent(event('keydown', { key: 'Delete', ctrlKey: false, metaKey: false }))
    stop()
    doc.dispatchEvent(event('keydown', { key: 'Delete', ctrlKey: false, metaKey: false }))
    doc.dispatchEvent(event('paste', { clipboardData: { getData: () => '0123456789abcdef0123456789abcdef01234567' } }))
    win.dispatchEvent(event('drop', { dataTransfer: { files: [file('a.torrent')] } }))
    expect(log).toEqual(['confirm-remove'])
  })
  it('recognises .torrent files by name or type', () => {
    expect(isTorrentFile(file('X.TORRENT'))).toBe(true)
    expect(isTorrentFile(file('x', 'application/x-bittorrent'))).toBe(true)
    expect(isTorrentFile(file('x.torrent.txt'))).toBe(false)
  })
})
