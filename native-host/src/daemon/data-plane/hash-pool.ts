/**
 * SHA-1 of whole data-plane pieces off the daemon's main thread: each piece's buffer is transferred
 * to a worker thread (node:crypto) and handed back with its digest (the engine's createWorkerHasher),
 * so the main thread keeps moving sockets. One pool per daemon, its workers started at the first
 * piece and ended with the daemon. The worker is inline source (`eval`), so the bundled helper needs
 * no second entry file. Answers come in the order asked, as they did when hashing was synchronous.
 */
import { createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { createWorkerHasher, type HashResult, type PieceHasher, type WorkerHasher } from '@tidepool/engine'

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
parentPort.on('message', ({ id, buffer }) => {
  const digest = createHash('sha1').update(new Uint8Array(buffer)).digest()
  parentPort.postMessage({ id, buffer, digest: new Uint8Array(digest) }, [buffer])
})
`

/** Hashing on the calling thread: threads=0, and after a worker died. */
export const mainThreadHasher: PieceHasher = {
  sha1: async (data) => ({ digest: createHash('sha1').update(data).digest(), data }),
}

/** Workers to use: TIDEPOOL_DAEMON_HASH_THREADS (0 = main thread), else one per core beyond the first, 1..2. */
export function hashThreadsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.TIDEPOOL_DAEMON_HASH_THREADS
  if (v !== undefined && /^\d+$/.test(v)) return Math.min(Number(v), 8)
  return Math.min(2, Math.max(1, availableParallelism() - 1))
}

export class HashPool implements PieceHasher {
  private workers: WorkerHasher | null = null
  /** The last answer handed out: the next one waits for it (order as asked). */
  private tail: Promise<unknown> = Promise.resolve()
  private closed = false

  constructor(readonly threads = hashThreadsFromEnv()) {}

  sha1(data: Uint8Array): Promise<{ digest: Uint8Array; data: Uint8Array }> {
    if (this.closed) return Promise.reject(new Error('the daemon is closed'))
    if (this.threads === 0) return mainThreadHasher.sha1(data)
    this.workers ??= startWorkers(this.threads)
    const job = this.workers.sha1(data)
    const answer = this.tail.then(() => job)
    this.tail = answer.catch(() => undefined)
    return answer
  }

  /** Ends the workers; jobs in flight fail (their sessions are gone with the daemon). */
  async close(): Promise<void> {
    this.closed = true
    const w = this.workers
    this.workers = null
    await w?.close()
  }
}

function startWorkers(threads: number): WorkerHasher {
  return createWorkerHasher(
    (_, onResult, onFailure) => {
      const w = new Worker(WORKER_SOURCE, { eval: true })
      w.unref() // hashing never keeps the daemon alive
      w.on('message', (m: HashResult) => onResult(m))
      w.on('error', (e) => onFailure(e))
      w.on('exit', (code) => onFailure(new Error(`hash worker exited (${code})`)))
      return { post: (job, transfer) => w.postMessage(job, transfer), terminate: () => w.terminate() }
    },
    threads,
    { fallback: mainThreadHasher }, // a dead worker loses its pieces (fetched again); later ones hash here
  )
}
