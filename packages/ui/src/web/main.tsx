/** The local web app: the engine runs in this page's worker and talks to the daemon on 127.0.0.1. */
import { render } from 'solid-js/web'
import { App } from '../app.tsx'
import { startEngineWorker } from '../worker/start-engine-worker.ts'
import { saveToken, takeTokenFromLocation } from './token.ts'
import '../styles.css'

interface WebConfig { daemonUrl: string }

async function main(): Promise<void> {
  const token = takeTokenFromLocation()
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

void main()
