/** The local web app: the engine runs in this page's worker and talks to the daemon on 127.0.0.1. */
import { render } from 'solid-js/web'
import { App } from '../app.tsx'
import { startEngineWorker } from '../worker/start-engine-worker.ts'
import { loginFromLocation, saveToken } from './token.ts'
import '../styles.css'

interface WebConfig { daemonUrl: string }

/**
 * One engine per browser profile: two tabs would run two engines on the same files and IndexedDB.
 * The first tab holds a Web Lock for its lifetime; a second tab says so instead of starting one.
 */
function startOnce(start: () => Promise<void>): void {
  if (!navigator.locks) {
    void start()
    return
  }
  void navigator.locks.request('tidepool-engine', { ifAvailable: true }, async (lock) => {
    if (!lock) {
      document.getElementById('root')!.innerHTML =
        '<div class="banner warn" style="margin:24px;border-radius:8px"><b>Tidepool is already open in another tab.</b> ' +
        'Use that tab, or close it and reload this one.</div>'
      return
    }
    await start()
    await new Promise<never>(() => {}) // hold the lock while this page lives
  })
}

// Login link taken (and stripped from the address bar) at once, also in a tab that will not run the engine.
const login = loginFromLocation()

/** A used or expired login link: say so above the app (which still offers to paste a token). */
function showLoginError(message: string): void {
  const div = document.createElement('div')
  div.className = 'banner warn'
  div.style.cssText = 'margin:12px 24px;border-radius:8px'
  div.textContent = message
  document.body.prepend(div)
}

async function main(): Promise<void> {
  const { api } = startEngineWorker()
  const [config, l] = await Promise.all([
    fetch('./config.json', { cache: 'no-store' }).then((r) => r.json()) as Promise<WebConfig>,
    login,
  ])
  if ('error' in l && l.error) showLoginError(l.error)
  void api.init({ daemonUrl: config.daemonUrl, token: l.token ?? '' })
  const root = document.getElementById('root')!
  render(
    () => (
      <App
        api={api}
        installCommand="pnpm start   # starts the helper and prints a new link"
        onToken={(t) => {
          saveToken(t)
          void api.init({ daemonUrl: config.daemonUrl, token: t })
        }}
      />
    ),
    root,
  )
}

startOnce(main)
