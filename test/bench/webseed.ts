// pnpm bench:webseed [--size-mib 128] [--repeat 2]
//
// Tidepool's CLI downloads one single-file torrent twice: from a web seed alone (Debian's nginx on
// 127.0.0.1, foreground, own config, no rate limit) and from one libtorrent seed alone, same content.
// Prints MiB/s and CPU seconds of each, and the ratio web seed / libtorrent seed (compare the ratio:
// wall-clock figures swing with the machine's load, printed with them). --repeat N keeps the fastest run.
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable, startLibtorrent, waitSeeding } from '../fixtures/libtorrent.ts'
import { makeTorrent } from '../fixtures/make-torrent.ts'
import { nginxAvailable, startNginx } from '../fixtures/nginx.ts'
import { stopAll } from '../fixtures/processes.ts'
import { cliCpuSeconds, tidepoolDownload } from '../fixtures/tidepool-cli.ts'
import { startTracker } from '../fixtures/tracker.ts'
import { MiB, option } from './bench-args.ts'

const sizeMiB = Number(option('size-mib', '128'))
const repeat = Math.max(1, Number(option('repeat', '2')))

async function main(): Promise<void> {
  if (!nginxAvailable() || !libtorrentAvailable())
    throw new Error('needs nginx and python3-libtorrent (bootstrap --test-deps)')
  const work = await mkdtemp(join(tmpdir(), 'tidepool-bench-webseed-'))
  const owned: Array<{ stop(): Promise<unknown> }> = []
  const tracker = await startTracker()
  try {
    const nginx = await startNginx({ root: join(work, 'source'), prefix: join(work, 'nginx') })
    owned.push(nginx)
    const spec = { dir: join(work, 'source'), name: 'bench.bin', size: sizeMiB * MiB, pieceLength: 1024 * 1024 }
    const web = await makeTorrent({ ...spec, urlList: [nginx.url], torrentPath: join(work, 'web.torrent') })
    const peer = await makeTorrent({ ...spec, trackers: [[tracker.httpUrl]], torrentPath: join(work, 'peer.torrent') })
    const seed = await startLibtorrent({ torrent: peer.torrentPath, save: spec.dir, seed: true, trustData: true })
    owned.push(seed)
    await waitSeeding(seed, 120_000)
    const results: Record<string, { mibs: number; cpu: number | null }> = {}
    for (const [label, t] of [
      ['web seed (nginx)', web],
      ['libtorrent seed', peer],
    ] as const) {
      for (let r = 0; r < repeat; r++) {
        const out = join(work, `out-${label.length}-${r}`)
        const cpuFile = join(work, `cpu-${label.length}-${r}`)
        const started = performance.now()
        const run = tidepoolDownload([t.torrentPath], { out, timeoutSec: 600, cpuUsageFile: cpuFile })
        const code = await run.wait(660_000)
        const secs = (performance.now() - started) / 1000
        if (code !== 0) throw new Error(`${label}: exit ${code}\n${run.describe()}`)
        const diffs = await diffTrees(t.contentPath, join(out, t.name))
        if (diffs.length) throw new Error(`${label}: content differs: ${diffs.join(', ')}`)
        const mibs = sizeMiB / secs
        const cpu = await cliCpuSeconds(cpuFile)
        if (!results[label] || mibs > results[label]!.mibs) results[label] = { mibs, cpu }
        await rm(out, { recursive: true, force: true })
      }
    }
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')
    console.log(`${sizeMiB} MiB, 1 MiB pieces, best of ${repeat}, load ${load}`)
    for (const [label, r] of Object.entries(results))
      console.log(`  ${label.padEnd(18)} ${r.mibs.toFixed(1).padStart(7)} MiB/s  CPU ${r.cpu?.toFixed(2) ?? '?'} s`)
    const w = results['web seed (nginx)']!.mibs
    const p = results['libtorrent seed']!.mibs
    console.log(`  web seed / libtorrent seed: ${(w / p).toFixed(2)}x`)
  } finally {
    await stopAll(owned)
    await tracker.close()
    await rm(work, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
