/**
 * Service worker: bootstraps the native host, keeps the offscreen document (which hosts the engine
 * worker) alive, and routes magnet links / .torrent links from the context menu and the omnibox.
 * It holds no engine state: it can be stopped and restarted by Chrome at any time.
 */
import type { ExtMessage } from '../shared/messages.ts'
import { NativeHostLink, type HostState } from './native-host.ts'
import { takeOver } from './torrent-downloads.ts'

const OFFSCREEN = 'offscreen.html'
let creating: Promise<void> | null = null

async function ensureOffscreen(): Promise<void> {
  const url = chrome.runtime.getURL(OFFSCREEN)
  const existing = await chrome.runtime.getContexts({
    contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT],
    documentUrls: [url],
  })
  if (existing.length > 0) return
  creating ??= chrome.offscreen
    .createDocument({
      url: OFFSCREEN,
      reasons: [chrome.offscreen.Reason.WORKERS],
      justification: 'Runs the Tidepool BitTorrent engine in a worker so downloads continue with no Tidepool tab open.',
    })
    .catch((e: unknown) => {
      if (!/single offscreen document/i.test(String(e))) throw e
    })
    .finally(() => {
      creating = null
    })
  await creating
}

async function toOffscreen(msg: ExtMessage): Promise<void> {
  await ensureOffscreen()
  try {
    await chrome.runtime.sendMessage(msg)
  } catch {
    /* offscreen not listening yet: it asks for the daemon itself once loaded */
  }
}

function stateMessage(s: HostState): ExtMessage {
  return s.kind === 'ready'
    ? { to: 'offscreen', type: 'daemon', info: s.info }
    : { to: 'offscreen', type: 'daemon-unavailable', state: s.kind, message: s.message }
}

const host = new NativeHostLink((s) => void toOffscreen(stateMessage(s)))

async function boot(): Promise<void> {
  await ensureOffscreen()
  await host.connect()
}

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({ id: 'tidepool-add-link', title: 'Download with Tidepool', contexts: ['link'] })
  void boot()
})
chrome.runtime.onStartup.addListener(() => void boot())

chrome.runtime.onMessage.addListener((msg: ExtMessage, _sender, reply) => {
  if (msg?.to !== 'background') return false
  if (msg.type === 'offscreen-ready' || msg.type === 'ensure-engine') {
    // Answer with the daemon state (connecting to the host if needed).
    void ensureOffscreen()
      .then(() => host.connect())
      .then(
        (s) => reply(stateMessage(s)),
        (e) => reply({ to: 'offscreen', type: 'daemon-unavailable', state: 'unreachable', message: String(e) }),
      )
    return true
  }
  if (msg.type === 'daemon-lost') {
    void host.reconnect().then(
      (s) => reply(stateMessage(s)),
      (e) => reply({ to: 'offscreen', type: 'daemon-unavailable', state: 'unreachable', message: String(e) }),
    )
    return true
  }
  if (msg.type === 'keepalive') {
    reply({ ok: true })
    return false
  }
  if (msg.type === 'notify') {
    // the tag as the id: a repeat for the same torrent and kind replaces the old notification
    chrome.notifications?.create(msg.tag, {
      type: 'basic',
      iconUrl: 'icons/icon128.png',
      title: msg.title,
      message: msg.message,
    })
    return false
  }
  return false
})

function notify(message: string): void {
  chrome.notifications?.create({ type: 'basic', iconUrl: 'icons/icon128.png', title: 'Tidepool', message })
}

/** Sends an add to the engine and says in a notification what it did (added, already there, or why not). */
async function addThroughEngine(msg: Extract<ExtMessage, { type: 'add' }>): Promise<void> {
  await ensureOffscreen()
  const r = (await chrome.runtime
    .sendMessage(msg)
    .catch((e: unknown) => ({ ok: false, text: `Tidepool could not add it: ${String(e)}` }))) as
    | { ok: boolean; text: string }
    | undefined
  notify(r?.text ?? 'Tidepool is still starting; try again in a moment.')
}

/** A link from a page: magnets go straight to the engine; .torrent files are fetched first. */
async function addLink(url: string): Promise<void> {
  if (/^magnet:/i.test(url)) return addThroughEngine({ to: 'offscreen', type: 'add', magnet: url })
  try {
    const origin = `${new URL(url).origin}/*`
    // Reading a .torrent from another site needs that site's permission (asked once, on this click).
    if (!(await chrome.permissions.contains({ origins: [origin] })))
      await chrome.permissions.request({ origins: [origin] })
    const res = await fetch(url, { credentials: 'include' })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    const bytes = new Uint8Array(await res.arrayBuffer())
    if (bytes.length > 16 * 1024 * 1024) throw new Error('file too large for a .torrent')
    await addThroughEngine({ to: 'offscreen', type: 'add', torrentFile: Array.from(bytes) })
  } catch (e) {
    notify(`Could not add ${url}: ${String((e as Error)?.message ?? e)}`)
  }
}

chrome.downloads.onCreated.addListener((item) => {
  void takeOver(item, {
    pause: (id) => chrome.downloads.pause(id),
    resume: (id) => chrome.downloads.resume(id),
    cancelAndErase: async (id) => {
      await chrome.downloads.cancel(id)
      await chrome.downloads.erase({ id })
    },
    offer: async (url) => {
      await ensureOffscreen()
      const r = (await chrome.runtime.sendMessage({
        to: 'offscreen',
        type: 'take-over-download',
        url,
      } satisfies ExtMessage)) as { taken: boolean; text?: string } | undefined
      return r ?? { taken: false }
    },
    notify,
  })
})

chrome.contextMenus.onClicked.addListener((info) => {
  if (info.menuItemId === 'tidepool-add-link' && info.linkUrl) void addLink(info.linkUrl)
})

// Omnibox: "tp <magnet link>" adds it; "tp" alone opens the full UI.
chrome.omnibox.onInputEntered.addListener((text) => {
  const t = text.trim()
  if (/^magnet:/i.test(t) || /^[0-9a-f]{40}$/i.test(t))
    void addLink(t.startsWith('magnet:') ? t : `magnet:?xt=urn:btih:${t}`)
  void chrome.tabs.create({ url: chrome.runtime.getURL('app.html') })
})

// Boot on every service-worker start too (it may have been stopped while the browser runs).
void boot()
