/**
 * The offscreen document (reason WORKERS): hosts the engine worker for the extension's lifetime and
 * serves it to extension pages over chrome.runtime ports (comlink over portEndpoint).
 */
import * as Comlink from 'comlink'
import { startEngineWorker } from '@tidepool/ui/worker'
import { forwardCompanionApi, forwardEngineApi } from '../shared/engine-methods.ts'
import { ENGINE_PORT, type ExtMessage } from '../shared/messages.ts'
import { portEndpoint } from '../shared/port-endpoint.ts'
import { watchTorrentNotices } from '@tidepool/ui/notify'

const { api } = startEngineWorker()
let lastKey = ''
/** Whether the service worker has told us the daemon's state at least once (see the interval below). */
let answered = false

async function applyState(msg: ExtMessage | undefined): Promise<void> {
  if (msg?.to !== 'offscreen') return
  if (msg.type === 'daemon' || msg.type === 'daemon-unavailable') answered = true
  if (msg.type === 'daemon') {
    const key = `${msg.info.port}:${msg.info.token}`
    if (key === lastKey) return // same daemon: keep the running engine
    lastKey = key
    await api.init({ daemonUrl: `ws://127.0.0.1:${msg.info.port}`, token: msg.info.token })
  } else if (msg.type === 'daemon-unavailable') {
    lastKey = ''
    await api.setUnavailable(msg.state, msg.message)
  }
}

/** Adds a link from the context menu or the omnibox; the answer is what the notification says. */
async function addLink(msg: Extract<ExtMessage, { type: 'add' }>): Promise<{ ok: boolean; text: string }> {
  try {
    const r = await api.addTorrentReport(
      msg.magnet ? { magnet: msg.magnet } : { torrentFile: new Uint8Array(msg.torrentFile ?? []) },
    )
    const name = r.name && r.name !== r.infoHash ? `“${r.name}”` : 'The torrent'
    return {
      ok: true,
      text: r.alreadyAdded
        ? `${name} is already in Tidepool; nothing was added twice.`
        : `${name} was added to Tidepool.`,
    }
  } catch (e) {
    return { ok: false, text: `Tidepool could not add it: ${e instanceof Error ? e.message : String(e)}` }
  }
}

/**
 * A .torrent download the browser started: read it (the site must allow it: CORS, or access granted
 * to the extension) and add it, unless Settings say to leave downloads alone. Not taken: the browser
 * goes on with its download.
 */
async function takeOverDownload(url: string): Promise<{ taken: boolean; text?: string }> {
  if (!(await api.getSettings()).takeOverTorrentDownloads) return { taken: false }
  let bytes: Uint8Array
  try {
    // with the site's cookies where the extension may read the site (a private tracker's link); a
    // public file served with CORS '*' refuses credentials, so it is read again without them
    const res = await fetch(url, { credentials: 'include' }).catch(() => fetch(url, { credentials: 'omit' }))
    if (!res.ok) return { taken: false }
    bytes = new Uint8Array(await res.arrayBuffer())
  } catch {
    // unreadable without access to the site: the file downloads as usual; the link's context menu
    // (Download with Tidepool) asks for that access
    return { taken: false }
  }
  if (bytes.length > 16 * 1024 * 1024 || bytes[0] !== 0x64) return { taken: false } // not a bencoded dictionary
  const r = await addLink({ to: 'offscreen', type: 'add', torrentFile: Array.from(bytes) })
  return r.ok ? { taken: true, text: r.text } : { taken: false, text: r.text }
}

chrome.runtime.onMessage.addListener((msg: ExtMessage, _sender, reply) => {
  if (msg?.to !== 'offscreen') return false
  if (msg.type === 'take-over-download') {
    void takeOverDownload(msg.url).then(reply, () => reply({ taken: false }))
    return true
  }
  if (msg.type === 'add') {
    void addLink(msg).then(reply)
    return true
  }
  void applyState(msg).catch((e) => console.warn('tidepool offscreen:', e))
  return false
})

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== ENGINE_PORT) return
  Comlink.expose({ ...forwardEngineApi(() => api), ...forwardCompanionApi(() => api) }, portEndpoint(port))
})

// Finished downloads and errors reach the user even with no Tidepool page open: the offscreen
// document watches the engine and the service worker shows them (chrome.notifications).
watchTorrentNotices(api, (n) => {
  chrome.runtime
    .sendMessage({
      to: 'background',
      type: 'notify',
      title: n.title,
      message: n.body,
      tag: `${n.kind}:${n.infoHash}`,
    } satisfies ExtMessage)
    .catch((e: unknown) => console.warn('tidepool offscreen: notification not delivered', e))
})

async function askBackground(): Promise<void> {
  const reply = (await chrome.runtime.sendMessage({
    to: 'background',
    type: 'offscreen-ready',
  } satisfies ExtMessage)) as ExtMessage | undefined
  await applyState(reply)
}
void askBackground().catch((e) => console.warn('tidepool offscreen: no answer from the service worker', e))

// Wake the service worker now and then (it may have been stopped), and when the daemon we were given
// has stayed unreachable for a while, ask for a fresh one: the host restarts it (new port and token).
let unreachableSince = 0
setInterval(() => {
  void (async () => {
    chrome.runtime.sendMessage({ to: 'background', type: 'keepalive' } satisfies ExtMessage).catch(() => {})
    // Our first question and the service worker's first push can both be lost while the two start
    // (each finds the other not listening yet): ask again until one answer has arrived.
    if (!answered) return askBackground()
    const s = await api.getStatus()
    if (s.daemon !== 'unreachable') {
      unreachableSince = 0
      return
    }
    unreachableSince ||= Date.now()
    if (Date.now() - unreachableSince < 15_000) return
    unreachableSince = 0
    const reply = (await chrome.runtime.sendMessage({ to: 'background', type: 'daemon-lost' } satisfies ExtMessage)) as
      | ExtMessage
      | undefined
    await applyState(reply)
  })().catch((e) => console.warn('tidepool offscreen:', e))
}, 5_000)
