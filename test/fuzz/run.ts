/**
 * pnpm fuzz — runs the parsers' fuzz targets (packages/engine/src/fuzz/targets.ts) for longer than
 * the unit suite does, each in a worker thread with a watchdog.
 * Usage: pnpm fuzz [--target T[,T...]] [--seconds S] [--seed N] [--slow-ms MS] [--hang-ms MS] [--out DIR]
 *        pnpm fuzz --target T --replay FILE     (runs one saved input again)
 * --seconds is per target (default 10). The seed is random unless given and is printed, so a run
 * reproduces; a crash, an input slower than --slow-ms (default 1000) or a hang (no next input for
 * --hang-ms, default 5000) saves the input to --out (default test/fuzz/crashes) and exits 1.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import { FUZZ_TARGETS, fuzzTarget, type FuzzReport } from '@tidepool/engine/fuzz'
import { option } from '../bench/bench-args.ts'

const SHARED_INPUT_BYTES = 4 * 1024 * 1024

const names = option('target', 'all') === 'all' ? FUZZ_TARGETS.map((t) => t.name) : option('target', '').split(',')
for (const n of names) fuzzTarget(n) // unknown names fail here, with the list of known ones
const seconds = Math.max(1, Number(option('seconds', '10')) || 10)
const baseSeed = option('seed', '') ? Number(option('seed', '')) >>> 0 : (Math.random() * 2 ** 32) >>> 0
const slowMs = Number(option('slow-ms', '1000'))
const hangMs = Number(option('hang-ms', '5000'))
const outDir = resolve(option('out', 'test/fuzz/crashes'))
const replay = option('replay', '')

interface Outcome {
  report: FuzzReport | null
  hang: { input: Uint8Array; inputs: number } | null
}

function fuzzInWorker(target: string, seed: number): Promise<Outcome> {
  const shared = new SharedArrayBuffer(8 + SHARED_INPUT_BYTES)
  const header = new Int32Array(shared, 0, 2)
  // Worker threads do not inherit tsx's loader hooks: register them before loading the TypeScript worker.
  const entry = new URL('./fuzz-worker.ts', import.meta.url).href
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => m.register()).then(() => import(${JSON.stringify(entry)}))`
  const worker = new Worker(boot, { eval: true, workerData: { target, seed, seconds, slowMs, shared } })
  return new Promise((done, fail) => {
    let lastCount = -1
    let lastChange = performance.now()
    const watchdog = setInterval(() => {
      const count = Atomics.load(header, 0)
      if (count !== lastCount) {
        lastCount = count
        lastChange = performance.now()
        return
      }
      if (performance.now() - lastChange < hangMs) return
      clearInterval(watchdog)
      const length = Math.min(Atomics.load(header, 1), SHARED_INPUT_BYTES)
      const input = new Uint8Array(shared, 8, length).slice()
      void worker.terminate()
      done({ report: null, hang: { input, inputs: count } })
    }, 100)
    worker.once('message', (report: FuzzReport) => {
      clearInterval(watchdog)
      void worker.terminate()
      done({ report, hang: null })
    })
    worker.once('error', (e) => {
      clearInterval(watchdog)
      fail(e)
    })
  })
}

function save(target: string, kind: string, seed: number, index: number, input: Uint8Array): string {
  mkdirSync(outDir, { recursive: true })
  const file = join(outDir, `${target}-${kind}-seed${seed}-input${index}.bin`)
  writeFileSync(file, input)
  return file
}

async function replayOne(target: string, file: string): Promise<number> {
  const input = new Uint8Array(readFileSync(file))
  const t0 = performance.now()
  try {
    const outcome = await fuzzTarget(target).run(input)
    console.log(`${target}: ${outcome} in ${(performance.now() - t0).toFixed(1)} ms (${input.length} bytes)`)
    return 0
  } catch (e) {
    console.log(`${target}: CRASH after ${(performance.now() - t0).toFixed(1)} ms:`, e)
    return 1
  }
}

async function main(): Promise<number> {
  if (replay) {
    if (names.length !== 1) throw new Error('--replay needs one --target')
    return replayOne(names[0], replay)
  }
  console.log(`fuzz: seed ${baseSeed}, ${seconds} s per target, slow > ${slowMs} ms, hang > ${hangMs} ms`)
  console.log(`(reproduce: pnpm fuzz --target ${names.join(',')} --seed ${baseSeed} --seconds ${seconds})`)
  let failures = 0
  for (const [i, name] of names.entries()) {
    const seed = (baseSeed + i) >>> 0 // each target its own stream, fixed by the base seed and the order
    const t0 = performance.now()
    const { report, hang } = await fuzzInWorker(name, seed)
    const elapsedSec = (performance.now() - t0) / 1000
    if (hang) {
      failures++
      const file = save(name, 'hang', seed, hang.inputs - 1, hang.input)
      console.log(`${name.padEnd(20)} HANG after ${hang.inputs} inputs (seed ${seed}); input saved: ${file}`)
      continue
    }
    const r = report!
    const rate = Math.round(r.inputs / elapsedSec)
    const line = `${name.padEnd(20)} ${String(r.inputs).padStart(9)} inputs (${rate}/s)  accepted ${r.accepted}  rejected ${r.rejected}  slowest ${r.slowestMs.toFixed(1)} ms`
    if (!r.failure) {
      console.log(line)
      continue
    }
    failures++
    const file = save(name, r.failure.kind, seed, r.failure.inputIndex, r.failure.input)
    console.log(
      `${line}\n  ${r.failure.kind.toUpperCase()} at input ${r.failure.inputIndex} (seed ${seed}); input saved: ${file}\n  ${r.failure.message.split('\n').join('\n  ')}`,
    )
    console.log(`  replay: pnpm fuzz --target ${name} --replay ${file}`)
  }
  console.log(failures ? `${failures} target(s) failed` : 'no failures')
  return failures ? 1 : 0
}

process.exitCode = await main()
