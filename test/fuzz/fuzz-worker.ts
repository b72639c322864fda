// One fuzz target in a worker thread, so the runner can stop a hang (terminate) and still read the
// input that caused it from shared memory.
import { parentPort, workerData } from 'node:worker_threads'
import { fuzzTarget, runFuzz } from '@tidepool/engine/fuzz'

export interface WorkerJob {
  target: string
  seed: number
  seconds: number
  slowMs: number
  /** [inputs started, length of the current input] as Int32, then the current input's bytes. */
  shared: SharedArrayBuffer
}

const job = workerData as WorkerJob
const header = new Int32Array(job.shared, 0, 2)
const bytes = new Uint8Array(job.shared, 8)
const deadline = performance.now() + job.seconds * 1000

const report = await runFuzz(fuzzTarget(job.target), {
  seed: job.seed,
  slowMs: job.slowMs,
  stop: () => performance.now() > deadline,
  beforeInput: (input) => {
    const n = Math.min(input.length, bytes.length)
    bytes.set(input.subarray(0, n))
    Atomics.store(header, 1, input.length)
    Atomics.add(header, 0, 1)
  },
})
parentPort!.postMessage(report)
