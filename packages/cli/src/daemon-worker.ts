import { parentPort, workerData } from 'node:worker_threads'
import { startDaemon, type DaemonOptions } from '@tidepool/native-host'

/**
 * The CLI's daemon, in a worker thread of the CLI process: same process (one PID, one memory
 * figure, gone when the CLI exits), but its socket, WebSocket and file work runs on another core
 * in parallel with the engine.
 */
const port = parentPort!
try {
  const daemon = await startDaemon(workerData as DaemonOptions)
  port.on('message', (m: unknown) => {
    if (m !== 'close') return
    daemon.close().finally(() => {
      port.postMessage({ type: 'closed' })
      port.close()
    })
  })
  port.postMessage({ type: 'ready', url: daemon.url, port: daemon.port })
} catch (err) {
  port.postMessage({ type: 'error', message: (err as Error).message })
}
