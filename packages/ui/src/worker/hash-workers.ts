/**
 * The browser engine's PieceHasher: SHA-1 in a nested Web Worker, so hashing (which halves the engine
 * worker's receive throughput when done in place, see platform facts) runs beside the wire parsing
 * instead of on its thread. The worker is used once it has answered a first tiny job; until then, and
 * for good if it cannot start (no nested workers, a blocked script), pieces are hashed in place.
 * A worker that dies later loses the pieces it held (their buffers went with it: the engine downloads
 * them again) and is not used again.
 */
import { createWorkerHasher, webCryptoHasher, type HashResult, type PieceHasher } from '@tidepool/engine'

export interface BrowserHasher extends PieceHasher {
  /** 'worker' once the worker answered; 'in-place' before that or when it is unusable. */
  readonly mode: 'worker' | 'in-place'
  close(): Promise<void>
}

export function startHashWorkers(threads = 1): BrowserHasher {
  let mode: 'worker' | 'in-place' = 'in-place'
  let workers: ReturnType<typeof createWorkerHasher> | null = null
  if (typeof Worker !== 'undefined') {
    try {
      workers = createWorkerHasher(
        (i, onResult, onFailure) => {
          const w = new Worker(new URL('./sha1-worker.ts', import.meta.url), {
            type: 'module',
            name: `tidepool-sha1-${i + 1}`,
          })
          w.onmessage = (ev: MessageEvent<HashResult>) => onResult(ev.data)
          w.onerror = (ev) => {
            mode = 'in-place'
            onFailure(new Error(`hash worker failed: ${ev.message || 'could not start'}`))
          }
          return { post: (job, transfer) => w.postMessage(job, transfer), terminate: () => w.terminate() }
        },
        threads,
        { fallback: webCryptoHasher },
      )
      workers.sha1(new Uint8Array(1)).then(
        () => {
          if (workers) mode = 'worker'
        },
        () => {
          mode = 'in-place'
        },
      )
    } catch {
      workers = null
    }
  }
  return {
    get mode() {
      return mode
    },
    sha1: (data) => (mode === 'worker' && workers ? workers.sha1(data) : webCryptoHasher.sha1(data)),
    async close() {
      mode = 'in-place'
      await workers?.close()
      workers = null
    },
  }
}
