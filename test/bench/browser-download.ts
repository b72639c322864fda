// pnpm bench:browser-download [--size 256] [--seeds 4] [--piece-kib 1024] [--phase-timeout 300]
//                             [--extension [--close-tab]] [--skip-webapp] [--cdp] [--profile DIR]
//
// The product paths' download speed against Tidepool's CLI (the same engine in Node) in the same run,
// all fed by several libtorrent seeds on loopback, one client after another: the CLI, then the local
// web app in headless Chromium (the engine in the page's Web Worker, every byte through the daemon over
// a WebSocket), and with --extension also the built extension (extension/dist, rebuilt when older than
// its sources) in a fresh Chromium profile with the native host installed into it: its tab adds the
// torrent, the offscreen document's engine worker downloads through the daemon the native host started.
// --extension adds the extension to the run; --skip-webapp leaves the web app out (extension vs CLI).
// --close-tab closes the extension's tab once the torrent is added (only the offscreen document runs).
//
// Prints MiB/s, CPU seconds per GiB and peak memory of each, the browser clients' CPU and memory split
// by process (and their renderer by thread: main thread, workers, service worker), and the ratios to
// the CLI. Timing and CPU: see client-phases.ts. --cdp stays attached to Chromium while it downloads
// instead, to see what DevTools cost. --profile writes V8 CPU profiles of the pages and workers into DIR/web and DIR/ext.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { chromiumAvailable } from '../browser/helpers/browser.ts'
import { ensureExtensionBuilt } from '../browser/helpers/extension.ts'
import { libtorrentAvailable, startLibtorrent, waitSeeding, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import { makeTorrent } from '../fixtures/make-torrent.ts'
import { stopAll } from '../fixtures/processes.ts'
import { startTracker } from '../fixtures/tracker.ts'
import { flag, MiB, option } from './bench-args.ts'
import { benchWorkDir } from './work-dir.ts'
import { runPhase, type Client, type Phase, type PhaseOptions } from './client-phases.ts'
import { loadText, phaseLine, resultTable, usageLines } from './phase-report.ts'

const sizeMiB = Number(option('size', '256'))
const seedCount = Number(option('seeds', '4'))
const pieceLength = Number(option('piece-kib', '1024')) * 1024
const phase: PhaseOptions = {
  timeoutMs: Number(option('phase-timeout', '300')) * 1000,
  stayAttached: flag('cdp'),
  closeTab: flag('close-tab'),
  profileDir: option('profile', '') || undefined,
}
const clients: Client[] = [
  'CLI',
  ...(flag('skip-webapp') ? [] : (['web app'] as const)),
  ...(flag('extension') ? (['extension'] as const) : []),
]

async function main(): Promise<number> {
  if (!libtorrentAvailable() || !chromiumAvailable()) {
    console.error('bench:browser-download needs python3-libtorrent and chromium (npm test installs both)')
    return 1
  }
  if (clients.includes('extension')) ensureExtensionBuilt()
  const work = await benchWorkDir('tidepool-bench-browser-')
  const tracker = await startTracker()
  const seeds: LibtorrentPeer[] = []
  try {
    const t = await makeTorrent({
      dir: join(work, 'source'),
      name: `bench-${sizeMiB}MiB.bin`,
      size: sizeMiB * MiB,
      pieceLength,
      trackers: [[tracker.httpUrl]],
      seed: sizeMiB,
    })
    for (let i = 0; i < seedCount; i++)
      seeds.push(
        await startLibtorrent({
          torrent: t.torrentPath,
          save: t.dir,
          seed: true,
          trustData: true,
          name: `seed ${i + 1}`,
          intervalSec: 2,
        }),
      )
    await Promise.all(seeds.map((s) => waitSeeding(s, 60_000)))
    console.log(
      `size ${sizeMiB} MiB, ${seedCount} libtorrent seeds, piece ${pieceLength / 1024} KiB${phase.stayAttached ? ', CDP attached' : ''}; load ${loadText()}`,
    )
    const results: Phase[] = []
    for (const c of clients) {
      const p = await runPhase(c, t, tracker, work, phase)
      results.push(p)
      console.log(phaseLine(p, sizeMiB))
      for (const l of usageLines(p, sizeMiB)) console.log(l)
    }
    console.log(`\n${resultTable(results, sizeMiB, results[0], 'speed')}\n`)
    console.log("targets: web app and extension each >= 0.8x the CLI's MiB/s, CPU <= 2x the CLI's per GiB")
    console.log(`load at the end ${loadText()}`)
    return results.every((p) => p.ok) ? 0 : 1
  } finally {
    await stopAll(seeds)
    await tracker.close()
    await rm(work, { recursive: true, force: true })
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
