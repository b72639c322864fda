/**
 * magnet: links opened in the browser arrive as #magnet=<escaped link>: the extension's app.html (its
 * manifest's protocol_handlers) and the web app's page (navigator.registerProtocolHandler). The link is
 * added and the page says what happened: added, already listed, or why it could not be (a bad link is
 * not just a console warning).
 */
import type { EngineApi } from '@tidepool/engine'
import { normaliseMagnet } from './torrent-files.ts'

/** The link the handler was given (and strips it from the address bar), or null. */
export function takeHandlerMagnet(
  loc: Pick<Location, 'hash' | 'pathname'>,
  hist: Pick<History, 'replaceState'>,
): string | null {
  const m = /^#magnet=(.*)$/s.exec(loc.hash)
  if (!m) return null
  hist.replaceState(null, '', loc.pathname)
  try {
    return decodeURIComponent(m[1]!)
  } catch {
    return m[1]!
  }
}

export type HandlerOutcome = { ok: boolean; text: string }

export async function addHandlerMagnet(
  api: Pick<EngineApi, 'addTorrentReport'>,
  link: string,
): Promise<HandlerOutcome> {
  const magnet = normaliseMagnet(link)
  if (!magnet)
    return {
      ok: false,
      text: `Tidepool could not add this link: it is not a magnet link with a BitTorrent info-hash (${link.slice(0, 80) || 'empty'}).`,
    }
  try {
    const r = await api.addTorrentReport({ magnet })
    const name = r.name && r.name !== r.infoHash ? `“${r.name}”` : 'The torrent'
    if (!r.alreadyAdded) return { ok: true, text: `${name} was added from the magnet link.` }
    return {
      ok: true,
      text: `${name} is already in the list; nothing was added twice.${r.trackersAdded ? ` ${r.trackersAdded} new tracker(s) from the link were added to it.` : ''}`,
    }
  } catch (e) {
    return { ok: false, text: `Tidepool could not add this magnet link: ${e instanceof Error ? e.message : String(e)}` }
  }
}

export async function addFromHandler(
  api: Pick<EngineApi, 'addTorrentReport'>,
  link: string,
  body: HTMLElement,
): Promise<void> {
  const r = await addHandlerMagnet(api, link)
  const div = document.createElement('div')
  div.className = `banner ${r.ok ? 'info' : 'bad'} handler-result`
  div.setAttribute('role', r.ok ? 'status' : 'alert')
  div.textContent = r.text
  const close = document.createElement('button')
  close.textContent = 'Dismiss'
  close.style.marginLeft = '8px'
  close.addEventListener('click', () => div.remove())
  div.append(close)
  body.prepend(div)
}
