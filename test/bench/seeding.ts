// pnpm bench:seeding [--sizes 1024] [--piece-kib 1024] [--repeat N] [--phase-timeout 300] [--warm-pages] [--record]
//
// Seeding to a real libtorrent leecher, against libtorrent seeding to the same leecher in the same run
// (issue 16's "seeding stays >= 1.2x libtorrent seeding"). Per round: one libtorrent seed (data
// trusted, no re-hash) serves a fresh libtorrent leecher; then `tidepool seed` (daemon in-process, its
// data plane on unless TIDEPOOL_DATA_PLANE=0) serves another fresh one. Timed from the leecher's first
// status line to `finished`; the leecher checks every piece, and the bench compares its files with the
// original. CPU: seconds the seed's processes spent during the transfer (user + system, all threads,
// read from /proc before and after). Both seeds are on loopback and compete with the leecher for the
// same cores; --repeat keeps the fastest run of each.
import { appendFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable, startLibtorrent, waitSeeding } from '../fixtures/libtorrent.ts'
import { makeTorrent, type MadeTorrent } from '../fixtures/make-torrent.ts'
import { cpuSecondsOf, descendants } from '../fixtures/processes.ts'
import { REPO_ROOT, tidepoolSeed } from '../fixtures/tidepool-cli.ts'
import { flag, MiB, option } from './bench-args.ts'
import { warmPageCache } from './warm-pages.ts'

const sizesMiB = option('sizes', '1024')
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
const pieceLength = Number(option('piece-kib', '1024')) * 1024
const repeat = Math.max(1, Number(option('repeat', '2')))
const phaseTimeoutMs = Number(option('phase-timeout', '300')) * 1000
const record = flag('record')

interface Phase {
  ok: boolean
  mibps: number
  seconds: number
  seedCpuSec: number | null
  note: string
}

/** CPU seconds of a process and everything under it. */
async function treeCpu(pid: number): Promise<number | null> {
  let sum = 0
  let any = false
  for (const p of [pid, ...(await descendants(pid))]) {
    const s = await cpuSecondsOf(p)
    if (s === null) continue
    sum += s
    any = true
  }
  return any ? sum : null
}

/** A fresh libtorrent leecher fetches `t` from `endpoint`; the seed's CPU is sampled around it. */
async function leechFrom(t: MadeTorrent, endpoint: string, seedPid: number, work: string): Promise<Phase> {
  const save = join(work, 'leech')
  await warmPageCache(work, t.totalSize / MiB)
  const leech = await startLibtorrent({
    torrent: t.torrentPath,
    save,
    addPeers: [endpoint],
    name: 'libtorrent leech',
    intervalSec: 1,
  })
  try {
    const cpu0 = await treeCpu(seedPid)
    const first = await leech.proc.waitFor((l) => l.event === 'status', 10_000, 'first status')
    const t0 = leech.proc.jsonTimes[leech.proc.json.indexOf(first)]
    await leech.waitFinished(phaseTimeoutMs)
    const cpu1 = await treeCpu(seedPid)
    const t1 = leech.proc.jsonTimes[leech.proc.json.findIndex((l) => l.event === 'finished')]
    const seconds = (t1 - t0) / 1000
    const diffs = await diffTrees(t.contentPath, join(save, t.name))
    return {
      ok: diffs.length === 0,
      seconds,
      mibps: t.totalSize / MiB / seconds,
      seedCpuSec: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null,
      note: diffs.slice(0, 3).join('; '),
    }
  } catch (e) {
    return { ok: false, seconds: NaN, mibps: NaN, seedCpuSec: null, note: (e as Error).message.split('\n')[0] }
  } finally {
    await leech.stop()
    await rm(save, { recursive: true, force: true })
  }
}

async function libtorrentSeeds(t: MadeTorrent, dir: string, work: string): Promise<Phase> {
  const seed = await startLibtorrent({
    torrent: t.torrentPath,
    save: dir,
    seed: true,
    trustData: true,
    name: 'libtorrent seed',
  })
  try {
    await waitSeeding(seed, 60_000)
    return await leechFrom(t, seed.endpoint, seed.proc.pid, work)
  } finally {
    await seed.stop()
  }
}

async function tidepoolSeeds(t: MadeTorrent, dir: string, work: string): Promise<Phase> {
  const seed = await tidepoolSeed(t.torrentPath, { data: dir, name: 'tidepool seed', startTimeoutMs: 180_000 })
  try {
    return await leechFrom(t, seed.endpoint, seed.proc.pid, work)
  } finally {
    await seed.stop()
  }
}

function best(runs: Phase[]): Phase {
  const ok = runs.filter((r) => r.ok)
  return ok.length > 0 ? ok.reduce((a, b) => (b.mibps > a.mibps ? b : a)) : runs[0]!
}

const show = (p: Phase, size: number) =>
  p.ok
    ? `${p.mibps.toFixed(1)} MiB/s (${p.seconds.toFixed(1)} s), seed ${p.seedCpuSec === null ? '?' : ((p.seedCpuSec * 1024) / size).toFixed(1)} CPU-s/GiB`
    : `FAILED ${p.note}`

async function main(): Promise<void> {
  if (!libtorrentAvailable()) {
    console.error('bench:seeding needs python3-libtorrent (scripts/setup installs it)')
    process.exit(2)
  }
  const work = join(tmpdir(), `tidepool-bench-seeding-${process.pid}`)
  const rows: string[] = []
  let allMet = true
  try {
    for (const sizeMiB of sizesMiB) {
      const dir = join(work, `size-${sizeMiB}`)
      const t = await makeTorrent({
        dir,
        name: `seed-${sizeMiB}MiB.bin`,
        size: sizeMiB * MiB,
        pieceLength,
        seed: sizeMiB + 7,
      })
      console.log(
        `size ${sizeMiB} MiB, piece ${pieceLength / 1024} KiB, data plane ${process.env.TIDEPOOL_DATA_PLANE === '0' ? 'off' : 'on'}`,
      )
      const lts: Phase[] = []
      const tps: Phase[] = []
      for (let i = 0; i < repeat; i++) {
        const l = await libtorrentSeeds(t, dir, work)
        console.log(`  libtorrent seeding: ${show(l, sizeMiB)}`)
        const p = await tidepoolSeeds(t, dir, work)
        console.log(`  tidepool seeding:   ${show(p, sizeMiB)}`)
        lts.push(l)
        tps.push(p)
      }
      const lt = best(lts)
      const tp = best(tps)
      const ratio = lt.ok && tp.ok ? tp.mibps / lt.mibps : NaN
      if (!(ratio >= 1.2)) allMet = false
      const cpu = (p: Phase) => (p.seedCpuSec === null ? '?' : ((p.seedCpuSec * 1024) / sizeMiB).toFixed(1))
      rows.push(
        `| ${sizeMiB} MiB | ${lt.ok ? lt.mibps.toFixed(1) : 'failed'} | ${tp.ok ? tp.mibps.toFixed(1) : 'failed'} | ${Number.isNaN(ratio) ? '—' : ratio.toFixed(2)} | ${cpu(lt)} / ${cpu(tp)} |`,
      )
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  const table = [
    '| size | libtorrent seeding MiB/s | Tidepool seeding MiB/s | ratio | seed CPU-s per GiB, libtorrent / Tidepool |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n')
  console.log(`\n${table}\ntarget: ratio >= 1.2 ${allMet ? 'met' : 'NOT met'}`)
  if (record) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ')
    await appendFile(
      join(REPO_ROOT, 'docs/benchmarks.md'),
      `\n### bench:seeding, ${when} UTC (repeat ${repeat}, best run of each)\n\n${table}\n`,
    )
  }
}

await main()
