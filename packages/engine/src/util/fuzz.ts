/** Deterministic mutation helpers for fuzz tests (seeded, bounded). */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 2 ** 32
  }
}

/** One random mutation of `input`: flip, insert, delete, truncate or duplicate a span. */
export function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  const b = Array.from(input)
  const pos = Math.floor(rnd() * (b.length + 1))
  const op = Math.floor(rnd() * 6)
  const interesting = [0x64, 0x6c, 0x69, 0x65, 0x3a, 0x30, 0x39, 0x2d, 0x00, 0xff]
  if (op === 0 && b.length) b[pos % b.length] ^= 1 << Math.floor(rnd() * 8)
  else if (op === 1) b.splice(pos, 0, interesting[Math.floor(rnd() * interesting.length)])
  else if (op === 2 && b.length) b.splice(pos % b.length, 1 + Math.floor(rnd() * 4))
  else if (op === 3) b.length = pos
  else if (op === 4) b.splice(pos, 0, ...b.slice(pos, pos + Math.floor(rnd() * 16)))
  else if (b.length) b[pos % b.length] = interesting[Math.floor(rnd() * interesting.length)]
  return new Uint8Array(b)
}

export type FuzzOutcome = 'accepted' | 'rejected'

/** One parser under fuzz: inputs to mutate and a run that returns or throws only its typed error. */
export interface FuzzTarget {
  name: string
  seeds: readonly Uint8Array[]
  /**
   * Parses one input: 'accepted', or 'rejected' when the parser refused it with its own typed
   * error. Anything else thrown (a TypeError, a broken invariant) is a bug the fuzzer reports.
   */
  run(input: Uint8Array): FuzzOutcome | Promise<FuzzOutcome>
}

export interface FuzzOptions {
  seed: number
  /** Stop after this many inputs... */
  maxInputs?: number
  /** ...or once this returns true (checked between inputs). */
  stop?: () => boolean
  /** An input that takes longer than this is reported (a parser must cost in proportion to its input). */
  slowMs?: number
  /** Called with each input before it runs (a watchdog keeps it, to save the input of a hang). */
  beforeInput?: (input: Uint8Array) => void
}

export interface FuzzFailure {
  kind: 'crash' | 'slow'
  input: Uint8Array
  message: string
  inputIndex: number
}

export interface FuzzReport {
  target: string
  seed: number
  inputs: number
  accepted: number
  rejected: number
  slowestMs: number
  failure: FuzzFailure | null
}

const POOL_LIMIT = 256

/**
 * Feeds a target mutants of its seeds (1-3 mutations each) and of inputs it accepted before (a
 * bounded pool, so the search goes deeper than one step from the seeds). Deterministic for a seed;
 * stops at the first failure, after maxInputs, or when stop() says so.
 */
export async function runFuzz(target: FuzzTarget, opts: FuzzOptions): Promise<FuzzReport> {
  const rnd = xorshift(opts.seed)
  const pool: Uint8Array[] = [...target.seeds]
  const report: FuzzReport = {
    target: target.name,
    seed: opts.seed,
    inputs: 0,
    accepted: 0,
    rejected: 0,
    slowestMs: 0,
    failure: null,
  }
  const maxInputs = opts.maxInputs ?? Infinity
  const slowMs = opts.slowMs ?? Infinity
  while (report.inputs < maxInputs && !opts.stop?.()) {
    let input = pool[Math.floor(rnd() * pool.length)]
    for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) input = mutate(input, rnd)
    const index = report.inputs++
    opts.beforeInput?.(input)
    const t0 = performance.now()
    let outcome: FuzzOutcome
    try {
      outcome = await target.run(input)
    } catch (e) {
      report.failure = {
        kind: 'crash',
        input,
        message: e instanceof Error ? (e.stack ?? e.message) : String(e),
        inputIndex: index,
      }
      return report
    }
    const ms = performance.now() - t0
    report.slowestMs = Math.max(report.slowestMs, ms)
    if (ms > slowMs) {
      report.failure = {
        kind: 'slow',
        input,
        message: `one input took ${ms.toFixed(0)} ms (bound ${slowMs} ms)`,
        inputIndex: index,
      }
      return report
    }
    if (outcome === 'accepted') {
      report.accepted++
      if (pool.length < POOL_LIMIT + target.seeds.length) pool.push(input)
      else pool[target.seeds.length + Math.floor(rnd() * POOL_LIMIT)] = input
    } else report.rejected++
  }
  return report
}
