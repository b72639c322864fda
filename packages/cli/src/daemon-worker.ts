import { parentPort, workerData } from 'node:worker_threads'
import { startDaemon, type DaemonOptions } from '@tidepool/native-host'

/**
 * Optional (TIDEPOOL_DAEMON_THREAD=1): the CLI's daemon in a worker thread of the CLI process, so
 * its socket, WebSocket and file work runs on another core. Off by default: the second V8 heap
 * costs ~60 MiB and on a busy 2-core machine it measured no faster than one thread.
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
