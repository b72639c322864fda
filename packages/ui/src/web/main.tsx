/** The local web app: the engine runs in this page's worker and talks to the daemon on 127.0.0.1. */
import { render } from 'solid-js/web'
import { App } from '../app.tsx'
import { startEngineWorker } from '../worker/start-engine-worker.ts'
import { saveToken, takeTokenFromLocation } from './token.ts'
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

// Taken (and stripped from the address bar) at once, also in a tab that will not run the engine.
const token = takeTokenFromLocation()

async function main(): Promise<void> {
  const { api } = startEngineWorker()
  const config = (await fetch('./config.json', { cache: 'no-store' }).then((r) => r.json())) as WebConfig
  void api.init({ daemonUrl: config.daemonUrl, token: token ?? '' })
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
