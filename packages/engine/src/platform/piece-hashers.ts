/**
 * PieceHashers. `webCryptoHasher` hashes on the calling thread (the engine's default).
 * `createWorkerHasher` hashes in worker threads: each piece's buffer is transferred to a worker and
 * handed back with its digest, so neither the hashing nor a copy costs the calling thread anything.
 * Platform-neutral: the caller supplies the workers (Web Workers in the browser, worker_threads in
 * Node) through `HashWorkerHandle`; the worker side answers each `HashJob` with a `HashResult`.
 */
import { sha1 } from '../util/sha1.ts'
import type { PieceHasher } from './ports.ts'

/** SHA-1 with WebCrypto on this thread; the data stays where it is. */
export const webCryptoHasher: PieceHasher = { sha1: async (data) => ({ digest: await sha1(data), data }) }

export interface HashJob {
  id: number
  buffer: ArrayBuffer
}

export interface HashResult {
  id: number
  buffer: ArrayBuffer
  digest: Uint8Array
}

/** One worker as the client needs it. */
export interface HashWorkerHandle {
  post(job: HashJob, transfer: ArrayBuffer[]): void
  terminate(): unknown
}

/** Starts worker `index`; it calls `onResult` for each answer and `onFailure` if it dies. */
export type SpawnHashWorker = (
  index: number,
  onResult: (r: HashResult) => void,
  onFailure: (e: Error) => void,
) => HashWorkerHandle

export interface WorkerHasher extends PieceHasher {
  close(): Promise<void>
}

/**
 * A job's piece went to a worker that died: the data is gone with it (it was transferred, not copied).
 * Not a verdict on the data: the piece must be downloaded again, and nobody is to blame.
 */
export class HashJobLost extends Error {
  override name = 'HashJobLost'
}

/**
 * `fallback` hashes every job after a worker has died (the jobs that worker held are lost); without
 * one, later jobs fail too. After close() every job fails.
 */
export function createWorkerHasher(
  spawn: SpawnHashWorker,
  threads: number,
  opts: { fallback?: PieceHasher } = {},
): WorkerHasher {
  const jobs = new Map<number, { resolve(r: { digest: Uint8Array; data: Uint8Array }): void; reject(e: Error): void }>()
  let nextId = 1
  let turn = 0
  let failed: Error | null = null
  let closed = false
  const rejectAll = (e: Error) => {
    for (const j of jobs.values()) j.reject(e)
    jobs.clear()
  }
  const fail = (e: Error) => {
    if (closed) return // terminate() makes workers exit: not a failure
    failed ??= e
    rejectAll(new HashJobLost(`hash worker failed with the piece: ${e.message}`))
  }
  const onResult = (r: HashResult) => {
    const job = jobs.get(r.id)
    if (!job) return
    jobs.delete(r.id)
    job.resolve({ digest: r.digest, data: new Uint8Array(r.buffer) })
  }
  const workers = Array.from({ length: Math.max(1, threads) }, (_, i) => spawn(i, onResult, fail))

  return {
    sha1(data) {
      if (failed) return !closed && opts.fallback ? opts.fallback.sha1(data) : Promise.reject(failed)
      // Only a whole ArrayBuffer can be transferred; anything else is copied once.
      const own =
        data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer
          ? data
          : data.slice()
      return new Promise((resolve, reject) => {
        const id = nextId++
        jobs.set(id, { resolve, reject })
        const buffer = own.buffer as ArrayBuffer
        workers[turn++ % workers.length]!.post({ id, buffer }, [buffer])
      })
    },
    async close() {
      closed = true
      failed = new Error('hash workers closed')
      rejectAll(failed)
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}
