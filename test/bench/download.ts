// pnpm bench:download [--sizes 256,1024] [--seeds 4] [--piece-kib 1024] [--phase-timeout 300] [--repeat N]
//                     [--separate-daemon | --websocket] [--encryption | --utp] [--warm-pages] [--record]
//
// Several libtorrent seeds on loopback serve one torrent, first to a libtorrent leecher, then to
// Tidepool's CLI (`tidepool download --json`, daemon in-process, joined to the engine by an in-process
// link; --websocket joins them by a loopback WebSocket instead, as a browser is). Prints MiB/s of both, the ratio
// Tidepool/libtorrent, and Tidepool's peak memory (VmHWM of the CLI process, which holds the engine
// and the daemon). Run at two sizes to show memory does not grow with the torrent. --record appends
// the results to docs/benchmarks.md. --repeat N runs each phase N times and keeps the fastest run of
// each client (other processes on a shared machine only ever make a run slower). --separate-daemon
// runs the daemon as its own process (`pnpm daemon`) and reports the engine's and the daemon's peaks.
// Each leecher's CPU time (user + system, all threads) is printed too: the MiB/s ratio depends on how
// fast the reference runs on the machine that day, CPU seconds per GiB much less; the system part is
// printed apart (the page cache's cost depends on the VM, see warm-pages.ts for --warm-pages).
// --encryption (MSE/PE): per size, four leechers against the same seeds (libtorrent defaults: they
// accept plain and MSE): libtorrent plain and RC4-only, Tidepool --encryption disable and require
// (RC4-only: the seeds select RC4). Prints the ratios Tidepool RC4 / Tidepool plain (target >= 0.8)
// and Tidepool RC4 / libtorrent RC4, and checks from each leecher's own report that its peers were
// what the phase claims.
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { startLibtorrent, waitSeeding, libtorrentAvailable, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import { makeTorrent, type MadeTorrent } from '../fixtures/make-torrent.ts'
import { cpuTimesOf, descendants, peakRssKiB, stopAll } from '../fixtures/processes.ts'
import { startTracker, type LocalTracker } from '../fixtures/tracker.ts'
import {
  cliCpuTimes,
  REPO_ROOT,
  startDaemonProcess,
  tidepoolDownload,
  type DaemonProcess,
} from '../fixtures/tidepool-cli.ts'
import { flag, MiB, option } from './bench-args.ts'
import { warmPageCache } from './warm-pages.ts'

const utpMode = flag('utp')
// libtorrent's own uTP on loopback runs at a few percent of its TCP speed: smaller sizes by default
const sizesMiB = option('sizes', utpMode ? '64' : '256,1024')
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
const seedCount = Number(option('seeds', '4'))
const pieceLength = Number(option('piece-kib', '1024')) * 1024
const phaseTimeoutMs = Number(option('phase-timeout', '300')) * 1000
const record = flag('record')
const repeat = Math.max(1, Number(option('repeat', '1')))
const separateDaemon = flag('separate-daemon')
const websocketBridge = flag('websocket')
const encryptionMode = flag('encryption')

interface PhaseResult {
  ok: boolean
  seconds: number
  mibps: number
  note: string
  cpuSec: number | null
  /** Of cpuSec, the kernel's part (page-cache copies of the written data, socket work). */
  sysSec?: number
  protection?: string
}
interface TidepoolResult extends PhaseResult {
  peakMiB: number | null
  daemonPeakMiB: number | null
  peaks: string
}
interface Row {
  sizeMiB: number
  lt: PhaseResult
  tp: TidepoolResult
}

type Counts = Record<string, number>
/** Peers by how they were protected, as a leecher reported them (most of each kind in one line). */
function protectionOf(lines: Array<Record<string, unknown>>): Counts {
  const out: Counts = {}
  for (const l of lines)
    for (const [k, v] of Object.entries((l.encryption ?? {}) as Counts)) out[k] = Math.max(out[k] ?? 0, Number(v) || 0)
  return out
}
/** Peers by transport as Tidepool's status lines report them (most of each in one line). */
function transportsOf(lines: Array<Record<string, unknown>>): Counts {
  const out: Counts = {}
  for (const l of lines)
    for (const [k, v] of Object.entries((l.transport ?? {}) as Counts)) out[k] = Math.max(out[k] ?? 0, Number(v) || 0)
  return out
}
const protectionText = (c: Counts) =>
  Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none seen'

async function libtorrentPhase(
  t: MadeTorrent,
  seeds: LibtorrentPeer[],
  work: string,
  encryption?: 'forced' | 'disabled',
  transport?: 'utp',
): Promise<PhaseResult> {
  const save = join(work, 'lt-leech')
  const leech = await startLibtorrent({
    torrent: t.torrentPath,
    save,
    addPeers: seeds.map((s) => s.endpoint),
    name: 'libtorrent leech',
    intervalSec: 1,
    encryption,
    transport,
  })
  try {
    const first = await leech.proc.waitFor((l) => l.event === 'status', 10_000, 'first status')
    const t0 = leech.proc.jsonTimes[leech.proc.json.indexOf(first)]
    await leech.waitFinished(phaseTimeoutMs)
    const cpu = await cpuTimesOf(leech.proc.pid) // the whole run of the leecher, start-up included
    const t1 = leech.proc.jsonTimes[leech.proc.json.findIndex((l) => l.event === 'finished')]
    const seconds = (t1 - t0) / 1000
    const diffs = await diffTrees(t.contentPath, join(save, t.name))
    const seen = protectionOf(leech.proc.json.filter((l) => l.event === 'status'))
    const wrong =
      encryption === 'forced'
        ? (seen.plain ?? 0) + (seen.plaintextInMse ?? 0) > 0 || !seen.rc4
        : encryption === 'disabled'
          ? (seen.rc4 ?? 0) + (seen.plaintextInMse ?? 0) > 0
          : false
    const note = [...diffs.slice(0, 3), ...(wrong ? [`peers not as asked: ${protectionText(seen)}`] : [])].join('; ')
    return {
      ok: diffs.length === 0 && !wrong,
      seconds,
      mibps: t.totalSize / MiB / seconds,
      note,
      cpuSec: cpu && cpu.user + cpu.system,
      ...(cpu ? { sysSec: cpu.system } : {}),
      protection: encryption ? protectionText(seen) : undefined,
    }
  } catch (e) {
    return { ok: false, seconds: NaN, mibps: NaN, note: (e as Error).message.split('\n')[0], cpuSec: null }
  } finally {
    await leech.stop()
    await rm(save, { recursive: true, force: true })
  }
}

/** Peak VmHWM per process of the CLI's tree (pnpm -> tsx -> node running the CLI). */
async function sampleTree(rootPid: number, peaks: Map<number, { kib: number; cmd: string }>): Promise<void> {
  for (const pid of [rootPid, ...(await descendants(rootPid))]) {
    const kib = await peakRssKiB(pid)
    if (kib === null) continue
    let cmd = peaks.get(pid)?.cmd
    if (!cmd) cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim()
    peaks.set(pid, { kib: Math.max(kib, peaks.get(pid)?.kib ?? 0), cmd })
  }
}

async function tidepoolPhase(
  t: MadeTorrent,
  work: string,
  encryption?: 'require' | 'disable',
  noUtp?: boolean,
): Promise<TidepoolResult> {
  const out = join(work, 'tp-out')
  await mkdir(out, { recursive: true })
  let daemon: DaemonProcess | null = null
  if (separateDaemon)
    daemon = await startDaemonProcess({ tokenFile: join(work, 'daemon.token'), roots: { downloads: out } })
  const cpuFile = join(work, `tp-cpu-${Date.now()}.jsonl`)
  const run = tidepoolDownload([t.torrentPath], {
    out,
    timeoutSec: Math.round(phaseTimeoutMs / 1000),
    name: 'tidepool download',
    daemonUrl: daemon?.url,
    tokenFile: daemon?.tokenFile,
    cpuUsageFile: cpuFile,
    websocketBridge,
    encryption,
    noUtp,
  })
  const peaks = new Map<number, { kib: number; cmd: string }>()
  const daemonPeaks = new Map<number, { kib: number; cmd: string }>()
  const sampler = setInterval(() => {
    void sampleTree(run.proc.pid, peaks)
    if (daemon) void sampleTree(daemon.proc.pid, daemonPeaks)
  }, 200)
  // the process that runs the script itself (not pnpm, not the tsx launcher): highest peak among matches
  const peakOf = (m: Map<number, { kib: number; cmd: string }>, script: RegExp) => {
    const hits = [...m.values()].filter((p) => script.test(p.cmd))
    return hits.length > 0 ? Math.max(...hits.map((p) => p.kib)) / 1024 : null
  }
  try {
    const code = await run.wait(phaseTimeoutMs + 30_000)
    const lines = run.statuses(t.infoHash)
    const firstIdx = run.proc.json.findIndex((l) => l.infoHash !== undefined)
    const doneIdx = run.proc.json.findIndex((l) => l.done === true)
    const seconds =
      firstIdx >= 0 && doneIdx >= 0 ? (run.proc.jsonTimes[doneIdx] - run.proc.jsonTimes[firstIdx]) / 1000 : NaN
    const diffs = code === 0 ? await diffTrees(t.contentPath, join(out, t.name)) : ['not compared']
    const peakMiB = peakOf(peaks, /packages\/cli\/(bin\/tidepool\.mjs|src\/main\.ts)/)
    const daemonPeakMiB = daemon ? peakOf(daemonPeaks, /native-host\/src\/cli\/daemon\.ts/) : null
    const peaksText = [...peaks.values(), ...daemonPeaks.values()]
      .map((p) => `${(p.kib / 1024).toFixed(0)} MiB ${p.cmd.slice(0, 60)}`)
      .join(' | ')
    const errLines = run.proc.stderr().trim().split('\n')
    const why = errLines.find((l) => /Error|tidepool:/.test(l)) ?? errLines.at(-1) ?? ''
    const seen = protectionOf(lines)
    const transports = transportsOf(lines)
    const wrong =
      utpMode && (noUtp ? (transports.utp ?? 0) > 0 : (transports.tcp ?? 0) > 0)
        ? true
        : encryption === 'require'
          ? (seen.plain ?? 0) + (seen['plaintext-in-mse'] ?? 0) > 0 || !seen.rc4
          : encryption === 'disable'
            ? (seen.rc4 ?? 0) + (seen['plaintext-in-mse'] ?? 0) > 0
            : false
    const note = [
      code === 0
        ? diffs.slice(0, 3).join('; ')
        : `exit ${code}: ${why.slice(0, 300)} (last progress ${lines.at(-1)?.progress ?? 'none'})`,
      wrong ? `peers not as asked: ${protectionText(seen)}; ${protectionText(transports)}` : '',
    ]
      .filter(Boolean)
      .join('; ')
    const cpu = await cliCpuTimes(cpuFile) // with --separate-daemon: the engine's process only
    return {
      ok: code === 0 && diffs.length === 0 && !wrong,
      seconds,
      mibps: t.totalSize / MiB / seconds,
      note,
      peakMiB,
      daemonPeakMiB,
      peaks: peaksText,
      cpuSec: cpu && cpu.user + cpu.system,
      ...(cpu ? { sysSec: cpu.system } : {}),
      protection: encryption ? protectionText(seen) : undefined,
    }
  } catch (e) {
    return {
      ok: false,
      seconds: NaN,
      mibps: NaN,
      note: (e as Error).message.split('\n')[0],
      peakMiB: null,
      daemonPeakMiB: null,
      peaks: '',
      cpuSec: null,
    }
  } finally {
    clearInterval(sampler)
    await run.stop()
    await daemon?.stop()
    await rm(out, { recursive: true, force: true })
  }
}

const cpuText = (s: number | null, sys?: number) =>
  s === null ? 'CPU ?' : `${s.toFixed(1)} CPU-s${sys !== undefined ? `, ${sys.toFixed(1)} of it system` : ''}`

/** The fastest successful run, else the first. */
function best<T extends PhaseResult>(runs: T[]): T {
  const ok = runs.filter((r) => r.ok)
  return ok.length > 0 ? ok.reduce((a, b) => (b.mibps > a.mibps ? b : a)) : runs[0]
}

async function benchSize(sizeMiB: number, tracker: LocalTracker, work: string): Promise<Row> {
  const dir = join(work, `size-${sizeMiB}`)
  let started = performance.now()
  const t = await makeTorrent({
    dir,
    name: `bench-${sizeMiB}MiB.bin`,
    size: sizeMiB * MiB,
    pieceLength,
    trackers: [[tracker.httpUrl]],
    seed: sizeMiB,
  })
  console.log(
    `  made ${sizeMiB} MiB torrent (${t.pieceCount} pieces) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
  const seeds: LibtorrentPeer[] = []
  try {
    started = performance.now()
    for (let i = 0; i < seedCount; i++)
      seeds.push(
        await startLibtorrent({
          torrent: t.torrentPath,
          save: dir,
          seed: true,
          trustData: true,
          name: `seed ${i + 1}`,
          intervalSec: 2,
        }),
      )
    await Promise.all(seeds.map((s) => waitSeeding(s, 60_000)))
    console.log(`  ${seedCount} libtorrent seeds up in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    const lts: PhaseResult[] = []
    const tps: TidepoolResult[] = []
    for (let i = 0; i < repeat; i++) {
      await warmPageCache(work, sizeMiB)
      const l = await libtorrentPhase(t, seeds, work)
      console.log(
        `  libtorrent: ${l.ok ? `${l.mibps.toFixed(1)} MiB/s (${l.seconds.toFixed(1)} s, ${cpuText(l.cpuSec, l.sysSec)})` : `FAILED ${l.note}`}`,
      )
      await warmPageCache(work, sizeMiB)
      const p = await tidepoolPhase(t, work)
      console.log(
        `  tidepool:   ${p.ok ? `${p.mibps.toFixed(1)} MiB/s (${p.seconds.toFixed(1)} s, ${cpuText(p.cpuSec, p.sysSec)})` : `FAILED ${p.note}`}; peak ${p.peakMiB?.toFixed(0) ?? '?'} MiB${separateDaemon ? ` + daemon ${p.daemonPeakMiB?.toFixed(0) ?? '?'} MiB` : ''} [${p.peaks}]`,
      )
      lts.push(l)
      tps.push(p)
    }
    const lt = best(lts)
    // memory: the highest peak of all runs, whichever run was fastest
    const maxOf = (xs: Array<number | null>) => {
      const v = xs.filter((m): m is number => m !== null)
      return v.length > 0 ? Math.max(...v) : null
    }
    const tp = {
      ...best(tps),
      peakMiB: maxOf(tps.map((p) => p.peakMiB)),
      daemonPeakMiB: maxOf(tps.map((p) => p.daemonPeakMiB)),
    }
    return { sizeMiB, lt, tp }
  } finally {
    await stopAll(seeds)
    await rm(dir, { recursive: true, force: true })
  }
}

interface EncRow {
  sizeMiB: number
  ltPlain: PhaseResult
  ltRc4: PhaseResult
  tpPlain: TidepoolResult
  tpRc4: TidepoolResult
}

/** --encryption: the four leechers in turn, `repeat` rounds, the fastest successful run of each kept. */
async function benchEncryption(sizeMiB: number, tracker: LocalTracker, work: string): Promise<EncRow> {
  const dir = join(work, `size-${sizeMiB}`)
  const t = await makeTorrent({
    dir,
    name: `bench-${sizeMiB}MiB.bin`,
    size: sizeMiB * MiB,
    pieceLength,
    trackers: [[tracker.httpUrl]],
    seed: sizeMiB,
  })
  const seeds: LibtorrentPeer[] = []
  try {
    for (let i = 0; i < seedCount; i++)
      seeds.push(
        await startLibtorrent({
          torrent: t.torrentPath,
          save: dir,
          seed: true,
          trustData: true,
          name: `seed ${i + 1}`,
          intervalSec: 2,
        }),
      )
    await Promise.all(seeds.map((s) => waitSeeding(s, 60_000)))
    const runs = {
      ltPlain: [] as PhaseResult[],
      ltRc4: [] as PhaseResult[],
      tpPlain: [] as TidepoolResult[],
      tpRc4: [] as TidepoolResult[],
    }
    const say = (what: string, r: PhaseResult) =>
      console.log(
        `  ${what.padEnd(16)} ${r.ok ? `${r.mibps.toFixed(1)} MiB/s (${r.seconds.toFixed(1)} s, ${cpuText(r.cpuSec)}; peers: ${r.protection})` : `FAILED ${r.note}`}`,
      )
    for (let i = 0; i < repeat; i++) {
      const lp = await libtorrentPhase(t, seeds, work, 'disabled')
      say('libtorrent plain', lp)
      runs.ltPlain.push(lp)
      const lr = await libtorrentPhase(t, seeds, work, 'forced')
      say('libtorrent RC4', lr)
      runs.ltRc4.push(lr)
      const tp = await tidepoolPhase(t, work, 'disable')
      say('Tidepool plain', tp)
      runs.tpPlain.push(tp)
      const tr = await tidepoolPhase(t, work, 'require')
      say('Tidepool RC4', tr)
      runs.tpRc4.push(tr)
    }
    return {
      sizeMiB,
      ltPlain: best(runs.ltPlain),
      ltRc4: best(runs.ltRc4),
      tpPlain: best(runs.tpPlain),
      tpRc4: best(runs.tpRc4),
    }
  } finally {
    await stopAll(seeds)
    await rm(dir, { recursive: true, force: true })
  }
}

function encryptionTable(rows: EncRow[]): string {
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '—')
  const cell = (r: PhaseResult, sizeMiB: number) =>
    r.ok
      ? `${f(r.mibps)} (${r.cpuSec === null ? '?' : f(r.cpuSec / (sizeMiB / 1024))} CPU-s/GiB)`
      : `failed: ${r.note.replace(/\|/g, '/')}`
  const lines = [
    '| size | libtorrent plain | libtorrent RC4 | Tidepool plain | Tidepool RC4 | Tidepool RC4 / plain | Tidepool RC4 / libtorrent RC4 |',
    '|---|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    const own = r.tpRc4.ok && r.tpPlain.ok ? r.tpRc4.mibps / r.tpPlain.mibps : NaN
    const vsLt = r.tpRc4.ok && r.ltRc4.ok ? r.tpRc4.mibps / r.ltRc4.mibps : NaN
    lines.push(
      `| ${r.sizeMiB} MiB | ${cell(r.ltPlain, r.sizeMiB)} | ${cell(r.ltRc4, r.sizeMiB)} | ${cell(r.tpPlain, r.sizeMiB)} | ${cell(r.tpRc4, r.sizeMiB)} | ${f(own, 2)} | ${f(vsLt, 2)} |`,
    )
  }
  return lines.join('\n')
}

async function mainEncryption(work: string, tracker: LocalTracker): Promise<number> {
  const rows: EncRow[] = []
  for (const size of sizesMiB) {
    console.log(`size ${size} MiB, ${seedCount} seeds, piece ${pieceLength / 1024} KiB, encryption phases`)
    rows.push(await benchEncryption(size, tracker, work))
  }
  const result = encryptionTable(rows)
  console.log(`\n${result}`)
  const ok = rows.every((r) => r.ltPlain.ok && r.ltRc4.ok && r.tpPlain.ok && r.tpRc4.ok)
  const ratioOk = rows.every((r) => r.tpRc4.mibps / r.tpPlain.mibps >= 0.8)
  console.log(`target: Tidepool RC4 >= 0.8x Tidepool plain ${ratioOk ? 'met' : 'NOT met'}`)
  if (record) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ')
    const cmd = `pnpm bench:download --encryption --sizes ${sizesMiB.join(',')} --seeds ${seedCount} --piece-kib ${pieceLength / 1024}${repeat > 1 ? ` --repeat ${repeat}` : ''}${websocketBridge ? ' --websocket' : ''}`
    await appendFile(
      join(REPO_ROOT, 'docs', 'benchmarks.md'),
      `\n## Download with MSE/PE: plain vs RC4 (${when} UTC)\n\n\`${cmd}\` — ${seedCount} libtorrent 2.0.8 seeds on loopback (TCP, libtorrent's default encryption settings: they take plain and MSE and select RC4 when that is all a leecher offers); each leecher in turn, plain then RC4-only${repeat > 1 ? `; best of ${repeat} runs each` : ''}. MiB/s (CPU-s per GiB of the leecher process).\n\n${result}\n`,
    )
    console.log('recorded in docs/benchmarks.md')
  }
  return ok ? 0 : 1
}

interface UtpRow {
  sizeMiB: number
  ltUtp: PhaseResult
  tpUtp: TidepoolResult
  tpTcp: TidepoolResult
}

async function startSeeds(t: MadeTorrent, dir: string, transport: 'utp' | 'tcp'): Promise<LibtorrentPeer[]> {
  const seeds: LibtorrentPeer[] = []
  try {
    for (let i = 0; i < seedCount; i++)
      seeds.push(
        await startLibtorrent({
          torrent: t.torrentPath,
          save: dir,
          seed: true,
          trustData: true,
          name: `seed ${i + 1} (${transport})`,
          intervalSec: 2,
          transport,
        }),
      )
    await Promise.all(seeds.map((s) => waitSeeding(s, 60_000)))
  } catch (e) {
    await stopAll(seeds)
    throw e
  }
  return seeds
}

/**
 * --utp: against uTP-only libtorrent seeds, a uTP-only libtorrent leecher and Tidepool (which meets the
 * seeds through the tracker, tries TCP, and falls back to uTP as it would in a real swarm); then the
 * same seeds restarted TCP-only against Tidepool --no-utp, the baseline of Tidepool's own TCP.
 */
async function benchUtp(sizeMiB: number, tracker: LocalTracker, work: string): Promise<UtpRow> {
  const dir = join(work, `size-${sizeMiB}`)
  const t = await makeTorrent({
    dir,
    name: `bench-${sizeMiB}MiB.bin`,
    size: sizeMiB * MiB,
    pieceLength,
    trackers: [[tracker.httpUrl]],
    seed: sizeMiB,
  })
  const runs = { ltUtp: [] as PhaseResult[], tpUtp: [] as TidepoolResult[], tpTcp: [] as TidepoolResult[] }
  const say = (what: string, r: PhaseResult) =>
    console.log(
      `  ${what.padEnd(18)} ${r.ok ? `${r.mibps.toFixed(1)} MiB/s (${r.seconds.toFixed(1)} s, ${cpuText(r.cpuSec)})` : `FAILED ${r.note}`}`,
    )
  try {
    let seeds = await startSeeds(t, dir, 'utp')
    try {
      for (let i = 0; i < repeat; i++) {
        const lu = await libtorrentPhase(t, seeds, work, undefined, 'utp')
        say('libtorrent uTP', lu)
        runs.ltUtp.push(lu)
        const tu = await tidepoolPhase(t, work)
        say('Tidepool uTP', tu)
        runs.tpUtp.push(tu)
      }
    } finally {
      await stopAll(seeds)
    }
    seeds = await startSeeds(t, dir, 'tcp')
    try {
      for (let i = 0; i < repeat; i++) {
        const tt = await tidepoolPhase(t, work, undefined, true)
        say('Tidepool TCP', tt)
        runs.tpTcp.push(tt)
      }
    } finally {
      await stopAll(seeds)
    }
    return { sizeMiB, ltUtp: best(runs.ltUtp), tpUtp: best(runs.tpUtp), tpTcp: best(runs.tpTcp) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function utpTable(rows: UtpRow[]): string {
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '—')
  const cell = (r: PhaseResult, sizeMiB: number) =>
    r.ok
      ? `${f(r.mibps)} (${r.cpuSec === null ? '?' : f(r.cpuSec / (sizeMiB / 1024))} CPU-s/GiB)`
      : `failed: ${r.note.replace(/\|/g, '/')}`
  const lines = [
    '| size | libtorrent uTP | Tidepool uTP | Tidepool TCP | Tidepool uTP / libtorrent uTP | Tidepool uTP / Tidepool TCP |',
    '|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    const vsLt = r.tpUtp.ok && r.ltUtp.ok ? r.tpUtp.mibps / r.ltUtp.mibps : NaN
    const own = r.tpUtp.ok && r.tpTcp.ok ? r.tpUtp.mibps / r.tpTcp.mibps : NaN
    lines.push(
      `| ${r.sizeMiB} MiB | ${cell(r.ltUtp, r.sizeMiB)} | ${cell(r.tpUtp, r.sizeMiB)} | ${cell(r.tpTcp, r.sizeMiB)} | ${f(vsLt, 2)} | ${f(own, 2)} |`,
    )
  }
  return lines.join('\n')
}

async function mainUtp(work: string, tracker: LocalTracker): Promise<number> {
  const rows: UtpRow[] = []
  for (const size of sizesMiB) {
    console.log(`size ${size} MiB, ${seedCount} seeds, piece ${pieceLength / 1024} KiB, uTP phases`)
    rows.push(await benchUtp(size, tracker, work))
  }
  const result = utpTable(rows)
  console.log(`\n${result}`)
  const ok = rows.every((r) => r.ltUtp.ok && r.tpUtp.ok && r.tpTcp.ok)
  const ratioOk = rows.every((r) => r.tpUtp.mibps / r.ltUtp.mibps >= 0.8)
  console.log(`target: Tidepool uTP >= 0.8x libtorrent uTP ${ratioOk ? 'met' : 'NOT met'}`)
  if (record) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ')
    const cmd = `pnpm bench:download --utp --sizes ${sizesMiB.join(',')} --seeds ${seedCount} --piece-kib ${pieceLength / 1024}${repeat > 1 ? ` --repeat ${repeat}` : ''}`
    await appendFile(
      join(REPO_ROOT, 'docs', 'benchmarks.md'),
      `\n## Download over uTP (${when} UTC)\n\n\`${cmd}\` — ${seedCount} libtorrent 2.0.8 seeds on loopback, uTP only (TCP off both ways), then the same seeds TCP only for Tidepool --no-utp; one leecher at a time${repeat > 1 ? `; best of ${repeat} runs each` : ''}. MiB/s (CPU-s per GiB of the leecher process; for Tidepool the CLI, which runs the daemon and its uTP in-process).\n\n${result}\n`,
    )
    console.log('recorded in docs/benchmarks.md')
  }
  return ok ? 0 : 1
}

function table(rows: Row[]): string {
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '—')
  const memHead = separateDaemon ? 'Tidepool peak RSS (engine / daemon)' : 'Tidepool peak RSS (engine+daemon)'
  const lines = [
    `| size | libtorrent MiB/s | Tidepool MiB/s | ratio | ${memHead} | CPU-s per GiB, libtorrent / Tidepool | of it system (kernel) | notes |`,
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    const ratio = r.lt.ok && r.tp.ok ? r.tp.mibps / r.lt.mibps : NaN
    const notes = [r.lt.ok ? '' : `libtorrent failed: ${r.lt.note}`, r.tp.ok ? '' : `Tidepool failed: ${r.tp.note}`]
      .filter(Boolean)
      .join('; ')
      .replace(/\|/g, '/')
    const perGiB = (s: number | null) => (s === null ? '—' : f(s / (r.sizeMiB / 1024), 1))
    lines.push(
      `| ${r.sizeMiB} MiB | ${f(r.lt.mibps)} | ${r.tp.ok ? f(r.tp.mibps) : '—'} | ${f(ratio, 2)} | ${r.tp.peakMiB !== null ? `${f(r.tp.peakMiB, 0)} MiB` : '—'}${separateDaemon ? ` / ${r.tp.daemonPeakMiB !== null ? `${f(r.tp.daemonPeakMiB, 0)} MiB` : '—'}` : ''} | ${perGiB(r.lt.cpuSec)} / ${perGiB(r.tp.cpuSec)} | ${perGiB(r.lt.sysSec ?? null)} / ${perGiB(r.tp.sysSec ?? null)} | ${notes} |`,
    )
  }
  return lines.join('\n')
}

async function main(): Promise<number> {
  if (!libtorrentAvailable()) {
    console.error('bench:download needs python3-libtorrent (/usr/bin/python3)')
    return 1
  }
  const work = join(tmpdir(), `tidepool-bench-download-${process.pid}`)
  await mkdir(work, { recursive: true })
  const tracker = await startTracker()
  if (encryptionMode || utpMode) {
    try {
      return await (utpMode ? mainUtp(work, tracker) : mainEncryption(work, tracker))
    } finally {
      await tracker.close()
      await rm(work, { recursive: true, force: true })
    }
  }
  const rows: Row[] = []
  try {
    for (const size of sizesMiB) {
      console.log(`size ${size} MiB, ${seedCount} seeds, piece ${pieceLength / 1024} KiB`)
      rows.push(await benchSize(size, tracker, work))
    }
  } finally {
    await tracker.close()
    await rm(work, { recursive: true, force: true })
  }
  const result = table(rows)
  console.log(`\n${result}`)
  const ok = rows.every((r) => r.lt.ok && r.tp.ok)
  const ratioOk = rows.every((r) => r.tp.mibps / r.lt.mibps >= 0.6)
  const memOk = rows.every(
    (r) => (r.tp.peakMiB ?? Infinity) < 250 && (!separateDaemon || (r.tp.daemonPeakMiB ?? Infinity) < 250),
  )
  console.log(`targets: ratio >= 0.6 ${ratioOk ? 'met' : 'NOT met'}; peak < 250 MiB ${memOk ? 'met' : 'NOT met'}`)
  if (record) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ')
    const cmd = `pnpm bench:download --sizes ${sizesMiB.join(',')} --seeds ${seedCount} --piece-kib ${pieceLength / 1024}${repeat > 1 ? ` --repeat ${repeat}` : ''}${separateDaemon ? ' --separate-daemon' : ''}${websocketBridge ? ' --websocket' : ''}`
    await appendFile(
      join(REPO_ROOT, 'docs', 'benchmarks.md'),
      `\n## Download: libtorrent vs Tidepool (${when} UTC)\n\n\`${cmd}\` — ${seedCount} libtorrent 2.0.8 seeds on loopback (TCP), one leecher at a time; 2-core machine${repeat > 1 ? `; best of ${repeat} runs per client` : ''}. MiB/s timed from the leecher's first status line to completion (Tidepool's CLI reports every 0.5 s, so ±0.5 s). Peak RSS = VmHWM of ${separateDaemon ? 'the CLI process (engine) and of the daemon process' : `the CLI process, which runs the engine and the in-process daemon (joined by ${websocketBridge ? 'a loopback WebSocket' : 'an in-process link'})`}.\n\n${result}\n`,
    )
    console.log('recorded in docs/benchmarks.md')
  }
  return ok ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
