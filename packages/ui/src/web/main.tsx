/** The local web app: the engine runs in this page's worker and talks to the daemon on 127.0.0.1. */
import { render } from 'solid-js/web'
import { App } from '../app.tsx'
import { addFromHandler, takeHandlerMagnet } from '../magnet-handler.ts'
import { startEngineWorker } from '../worker/start-engine-worker.ts'
import { CompanionPanel } from './companion-panel.tsx'
import { runInOneTab } from './tab-lock.ts'
import { loginFromLocation } from './token.ts'
import { watchTorrentNotices } from '../notify/torrent-notices.ts'
import { showWebNotice } from '../notify/web-notices.ts'
import '../styles.css'

interface WebConfig {
  daemonUrl: string
  folders?: Record<string, string>
}

const fetchConfig = () => fetch('./config.json', { cache: 'no-store' }).then((r) => r.json()) as Promise<WebConfig>

/** A used or expired login link: say so above the app. */
function showLoginError(message: string): void {
  const div = document.createElement('div')
  div.className = 'banner warn login-error'
  div.setAttribute('role', 'alert')
  div.style.cssText = 'margin:12px 24px;border-radius:8px'
  div.textContent = message
  document.body.prepend(div)
}

function showOnly(html: string): HTMLElement {
  const root = document.getElementById('root')!
  root.innerHTML = `<div class="banner warn tab-notice" role="alert" style="margin:24px;border-radius:8px">${html}</div>`
  return root
}

// A magnet link from the browser's handler (registered in Settings) arrives as #magnet=…
const handlerMagnet = takeHandlerMagnet(location, history)
const openedWithLink = /(^#|&)login=/.test(location.hash)
// Login link taken (and stripped from the address bar) at once, also in a tab that will not run the engine.
const login = loginFromLocation()

let dispose: (() => void) | null = null
let worker: Worker | null = null
let addMagnet: ((magnet: string) => Promise<void>) | null = null

/** The browser shows its own question; links then open this origin with #magnet=… (handled above). */
function registerMagnetHandler(): void {
  navigator.registerProtocolHandler('magnet', `${location.origin}/#magnet=%s`)
}

async function start(): Promise<void> {
  const { api, worker: w } = startEngineWorker()
  worker = w
  const [config, l] = await Promise.all([fetchConfig(), login])
  if ('error' in l && l.error) showLoginError(l.error)
  const daemonUrl = config.daemonUrl
  void api.init({ daemonUrl, token: l.token ?? '' })
  // The new link pasted into this tab changes only the fragment: load the page again with it, so the
  // page takes the link and the helper's new address (the page's CSP names the daemon it may reach).
  window.addEventListener('hashchange', () => {
    if (/(^#|&)login=/.test(location.hash)) location.reload()
  })
  // A helper that went away and came back (pnpm app restarted) has a new address: say "restarted,
  // open the new link" instead of retrying the old address for ever.
  const follow = setInterval(() => {
    void api.getStatus().then(async (s) => {
      if (s.daemon !== 'unreachable') return
      const c = await fetchConfig().catch(() => null)
      if (c && c.daemonUrl !== daemonUrl) await api.markRestarted()
    })
  }, 3000)
  const root = document.getElementById('root')!
  root.innerHTML = ''
  const stopRender = render(
    () => (
      <App
        api={api}
        helperHelp={{ kind: 'webapp' }}
        {...(config.folders ? { folderPaths: config.folders } : {})}
        registerMagnetHandler={registerMagnetHandler}
      />
    ),
    root,
  )
  // finished downloads and errors, as notifications once the user allowed them (Settings)
  const stopNotices = watchTorrentNotices(api, showWebNotice)
  addMagnet = async (magnet: string) => {
    // The engine may still be connecting: wait for it (bounded), then add and say what happened.
    for (let i = 0; i < 60 && (await api.getStatus()).daemon === 'connecting'; i++)
      await new Promise((r) => setTimeout(r, 250))
    await addFromHandler(api, magnet, document.body)
  }
  if (handlerMagnet !== null) void addMagnet(handlerMagnet)
  // The daemon line (local helper or companion) sits above the app, in its own element.
  const companionRoot = document.createElement('div')
  root.before(companionRoot)
  const stopCompanion = render(
    () => <CompanionPanel api={api} clientName={`web app ${location.host}`} />,
    companionRoot,
  )
  dispose = () => {
    stopNotices()
    clearInterval(follow)
    stopRender()
    stopCompanion()
    companionRoot.remove()
  }
}

runInOneTab(
  {
    start,
    stopped() {
      dispose?.()
      dispose = null
      worker?.terminate()
      worker = null
      showOnly('<b>Tidepool moved to another tab.</b> Use that tab, or reload this one to bring it back here.')
    },
    magnet(m) {
      void addMagnet?.(m)
    },
    busy(takeOver, sendMagnet) {
      if (handlerMagnet !== null) {
        sendMagnet(handlerMagnet)
        showOnly(
          '<b>The magnet link went to the Tidepool tab that is already open.</b> It says there whether it was added. You can close this tab.',
        )
        return
      }
      const root = showOnly(
        '<b>Tidepool is open in another tab.</b> Use that tab, or <button type="button">use this tab instead</button>.',
      )
      root.querySelector('button')!.addEventListener('click', () => {
        showOnly('Moving Tidepool to this tab…')
        takeOver()
      })
    },
  },
  { takeOverNow: openedWithLink },
)
