// pnpm bench:swarm [--size 1024] [--seeds 32] [--seed-kib-s 4096] [--piece-kib 1024] [--phase-timeout 300]
//                  [--skip-webapp] [--extension]
//
// A swarm shaped like a real one rather than one fast seed: many seeds, each slow (32 libtorrent seeds,
// each limited to 4 MiB/s upload, 128 MiB/s together), where per-message costs rule rather than
// per-byte ones. The seeds are sessions of one python3-libtorrent process (libtorrent-peer.py
// --sessions), each on its own 127.0.0.1 port, all announced to a local tracker; each client finds
// them there. One after another in the same run: libtorrent's leecher (the reference), Tidepool's CLI,
// the web app in headless Chromium (--skip-webapp leaves it out), and with --extension the built
// extension. Each is timed at the tracker from its started announce to its completed one (see
// client-phases.ts); prints time, MiB/s, CPU seconds per GiB and peak memory of each, its time as a
// multiple of libtorrent's (target: within 1.1x), and how many seeds sent it data.
//
// The content is generated once into a temp dir and removed at the end (also after a failure).
import { rm, statfs } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromiumAvailable, until } from '../browser/helpers/browser.ts'
import { ensureExtensionBuilt } from '../browser/helpers/extension.ts'
import { libtorrentAvailable, startLibtorrent, waitSeeding, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import { makeTorrent } from '../fixtures/make-torrent.ts'
import { startTracker } from '../fixtures/tracker.ts'
import { flag, MiB, option } from './bench-args.ts'
import { benchWorkDir } from './work-dir.ts'
import { runPhase, type Client, type Phase, type PhaseOptions } from './client-phases.ts'
import { loadText, phaseLine, resultTable, usageLines } from './phase-report.ts'

const sizeMiB = Number(option('size', '1024'))
const seedCount = Number(option('seeds', '32'))
const seedLimit = Number(option('seed-kib-s', '4096')) * 1024
const pieceLength = Number(option('piece-kib', '1024')) * 1024
const phase: PhaseOptions = { timeoutMs: Number(option('phase-timeout', '300')) * 1000 }
const clients: Client[] = [
  'libtorrent',
  'CLI',
  ...(flag('skip-webapp') ? [] : (['web app'] as const)),
  ...(flag('extension') ? (['extension'] as const) : []),
]

/** Each seed's total upload so far, from the seeds process's latest status line. */
function uploads(seeds: LibtorrentPeer): number[] {
  return ((seeds.status()?.uploads as number[] | undefined) ?? []).map(Number)
}

interface SeedView {
  /** the seeds' upload totals and status-line count when the phase began */
  uploads: number[]
  line: number
}

const seedView = (seeds: LibtorrentPeer): SeedView => ({ uploads: uploads(seeds), line: seeds.proc.json.length })

/**
 * How the client used the swarm during a phase: the most seeds connected at once (each seed's only
 * peer is the client) and each seed's upload, up to the first status line after the phase ended.
 */
async function seedUse(seeds: LibtorrentPeer, from: SeedView): Promise<string> {
  const seen = seeds.proc.json.length
  await seeds.proc
    .waitFor((l) => l.event === 'status' && seeds.proc.json.indexOf(l) >= seen, 10_000, 'a fresh status line')
    .catch(() => undefined) // then the latest line is the best there is
  const lines = seeds.proc.json.slice(from.line).filter((l) => l.event === 'status')
  const connected = Math.max(0, ...lines.map((l) => ((l.peerCounts ?? []) as number[]).filter((n) => n > 0).length))
  const shares = uploads(seeds).map((u, i) => u - (from.uploads[i] ?? 0))
  const sent = shares.filter((b) => b >= pieceLength).map((b) => b / MiB)
  const spread = sent.length > 0 ? ` (${Math.min(...sent).toFixed(0)}–${Math.max(...sent).toFixed(0)} MiB each)` : ''
  return `connected to up to ${connected} of ${shares.length} seeds at once; ${sent.length} sent a piece or more${spread}`
}

async function main(): Promise<number> {
  if (!libtorrentAvailable() || (clients.some((c) => c === 'web app' || c === 'extension') && !chromiumAvailable())) {
    console.error('bench:swarm needs python3-libtorrent and chromium (npm test installs both)')
    return 1
  }
  // the content, and one client's copy at a time, plus room to spare
  const fs = await statfs(tmpdir())
  const freeMiB = (fs.bavail * fs.bsize) / MiB
  if (freeMiB < 3 * sizeMiB) {
    console.error(`bench:swarm needs ${3 * sizeMiB} MiB free in ${tmpdir()}, has ${freeMiB.toFixed(0)}`)
    return 1
  }
  if (clients.includes('extension')) ensureExtensionBuilt()
  const work = await benchWorkDir('tidepool-bench-swarm-')
  const tracker = await startTracker()
  let seeds: LibtorrentPeer | null = null
  try {
    let began = performance.now()
    const t = await makeTorrent({
      dir: join(work, 'source'),
      name: `swarm-${sizeMiB}MiB.bin`,
      size: sizeMiB * MiB,
      pieceLength,
      trackers: [[tracker.httpUrl]],
      seed: sizeMiB,
    })
    console.log(`made ${sizeMiB} MiB (${t.pieceCount} pieces) in ${((performance.now() - began) / 1000).toFixed(1)} s`)
    began = performance.now()
    seeds = await startLibtorrent(
      {
        torrent: t.torrentPath,
        save: t.dir,
        seed: true,
        trustData: true,
        uploadLimit: seedLimit,
        sessions: seedCount,
        name: `${seedCount} libtorrent seeds`,
        intervalSec: 1,
      },
      60_000,
    )
    await waitSeeding(seeds, 60_000)
    const s = seeds
    await until(() => tracker.peers(t.infoHash).length >= seedCount, 60_000, `${seedCount} seeds at the tracker`, 100)
    console.log(
      `${seedCount} libtorrent seeds (one process, ports ${s.port}…) at ${seedLimit / 1024} KiB/s each, seeding and announced in ${((performance.now() - began) / 1000).toFixed(1)} s; piece ${pieceLength / 1024} KiB; load ${loadText()}`,
    )
    const results: Phase[] = []
    for (const c of clients) {
      const from = seedView(s)
      const p = await runPhase(c, t, tracker, work, phase)
      results.push(p)
      console.log(phaseLine(p, sizeMiB))
      if (p.ok) console.log(`    ${await seedUse(s, from)}`)
      for (const l of usageLines(p, sizeMiB)) console.log(l)
    }
    console.log(`\n${resultTable(results, sizeMiB, results[0], 'time')}`)
    console.log(`\ntarget: CLI and web app within 1.1x libtorrent's time; load at the end ${loadText()}`)
    return results.every((p) => p.ok) ? 0 : 1
  } finally {
    await seeds?.stop()
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
