// Preloaded (`node --expose-gc --import tsx --import ./test/soak/memory-probe.ts ...`) into the processes
// `pnpm soak` watches, so it can read their heap: RSS alone cannot tell a leak from garbage not yet
// collected. Every 10 s it runs a full GC and prints one JSON line to stdout:
// {"probe":"memory","heapUsed":…,"external":…,"arrayBuffers":…,"rss":…}. It does nothing unless
// TIDEPOOL_SOAK_PROBE=1, and its timer never keeps a process alive.
const PROBE_INTERVAL_MS = 10_000

if (process.env.TIDEPOOL_SOAK_PROBE === '1') {
  const gc = (globalThis as { gc?: () => void }).gc
  setInterval(() => {
    gc?.() // the live heap, not what the next collection would free
    const m = process.memoryUsage()
    const line = {
      probe: 'memory',
      gc: gc !== undefined,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      rss: m.rss,
    }
    process.stdout.write(`${JSON.stringify(line)}\n`)
  }, PROBE_INTERVAL_MS).unref()
}
