import { appendFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'

/**
 * Developer aid: with TIDEPOOL_CPU_PROFILE=FILE the CLI records a V8 CPU profile of its main thread
 * into FILE (open it in Chrome DevTools). NODE_OPTIONS cannot carry --cpu-prof, and the benchmark
 * starts the CLI through pnpm, so this is the way to profile a benchmark run.
 */
export function startCpuProfile(file: string | undefined): () => Promise<void> {
  if (!file) return async () => {}
  const session = new Session()
  session.connect()
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))),
    )
  const started = post('Profiler.enable')
    .then(() => post('Profiler.setSamplingInterval', { interval: 500 }))
    .then(() => post('Profiler.start'))
  return async () => {
    await started
    const res = (await post('Profiler.stop')) as { profile: unknown }
    writeFileSync(file, JSON.stringify(res.profile))
    session.disconnect()
  }
}

/**
 * Developer aid: with TIDEPOOL_CPU_USAGE=FILE the CLI appends one JSON line with its CPU time (main
 * thread and daemon thread together), minor page faults and context switches when it exits. CPU per MiB compares builds far more steadily
 * than MiB/s on a shared, loaded machine.
 */
export function reportCpuUsage(file: string | undefined): void {
  if (!file) return
  const u = process.resourceUsage()
  appendFileSync(
    file,
    `${JSON.stringify({
      userMs: u.userCPUTime / 1000,
      systemMs: u.systemCPUTime / 1000,
      maxRssKiB: u.maxRSS,
      minorFaults: u.minorPageFault,
      ctxSwitches: u.voluntaryContextSwitches + u.involuntaryContextSwitches,
      wallMs: Math.round(performance.now()),
    })}\n`,
  )
}
