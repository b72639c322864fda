// pnpm bench:browser-download [--size 256] [--seeds 4] [--piece-kib 1024] [--phase-timeout 300] [--cdp]
//
// The product path's download speed: the local web app in headless Chromium (the engine in a Web
// Worker, every byte through the daemon over a WebSocket) against Tidepool's CLI (the same engine in
// Node) in the same run, both fed by several libtorrent seeds on loopback. Prints MiB/s of both, the
// ratio browser/CLI, and CPU seconds per GiB (CLI process; Chromium's processes plus the web app's
// daemon process).
//
// Both clients are timed at the tracker, from their `started` announce to their `completed` one, so
// the browser needs no DevTools attached while it downloads (a CDP session slows a page's WebSocket
// 4-5x, see platform facts): Playwright adds the torrent through the UI over a CDP connection and then
// disconnects, leaving Chromium running. --cdp stays attached instead, to see that effect.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { startLibtorrent, waitSeeding, libtorrentAvailable, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import { makeTorrent, type MadeTorrent } from '../fixtures/make-torrent.ts'
import { cpuSecondsOf, descendants, spawnTracked, stopAll, type Tracked } from '../fixtures/processes.ts'
import { startTracker, type LocalTracker } from '../fixtures/tracker.ts'
import { cliCpuSeconds, tidepoolDownload } from '../fixtures/tidepool-cli.ts'
import { CHROMIUM, chromiumAvailable, until } from '../browser/helpers/browser.ts'
import { addTorrentFile, waitHelperConnected } from '../browser/helpers/ui-actions.ts'
import { startWebApp } from '../browser/helpers/webapp.ts'

const MiB = 1024 * 1024

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback
}
const sizeMiB = Number(option('size', '256'))
const seedCount = Number(option('seeds', '4'))
const pieceLength = Number(option('piece-kib', '1024')) * 1024
const phaseTimeoutMs = Number(option('phase-timeout', '300')) * 1000
const stayAttached = process.argv.includes('--cdp')

interface Phase { ok: boolean; mibps: number; seconds: number; cpuSec: number | null; note: string }

/** Seconds from the tracker's first `start` to its first `complete` for this torrent after `from`. */
async function timedAtTracker(tracker: LocalTracker, infoHash: string, from: number, timeoutMs: number): Promise<{ seconds: number; startAt: number; doneAt: number }> {
  const mine = () => tracker.events.slice(from).filter((e) => e.infoHash === infoHash)
  const start = await until(() => mine().find((e) => e.type === 'start'), timeoutMs, 'a started announce', 50)
  const done = await until(() => mine().find((e) => e.type === 'complete'), timeoutMs, 'a completed announce', 50)
  return { seconds: (done.at - start.at) / 1000, startAt: start.at, doneAt: done.at }
}

async function treeCpu(pids: number[]): Promise<number> {
  let sum = 0
  for (const pid of pids) for (const p of [pid, ...(await descendants(pid))]) sum += (await cpuSecondsOf(p)) ?? 0
  return sum
}

async function cliPhase(t: MadeTorrent, tracker: LocalTracker, work: string): Promise<Phase> {
  const out = join(work, 'cli-out')
  await mkdir(out, { recursive: true })
  const cpuFile = join(work, `cli-cpu-${Date.now()}.jsonl`)
  const from = tracker.events.length
  const run = tidepoolDownload([t.torrentPath], { out, timeoutSec: Math.round(phaseTimeoutMs / 1000), name: 'tidepool download', cpuUsageFile: cpuFile })
  try {
    const timed = await timedAtTracker(tracker, t.infoHash, from, phaseTimeoutMs)
    const code = await run.wait(60_000)
    const cpuSec = await cliCpuSeconds(cpuFile)
    const diffs = code === 0 ? await diffTrees(t.contentPath, join(out, t.name)) : [`exit ${code}`]
    return { ok: diffs.length === 0, seconds: timed.seconds, mibps: t.totalSize / MiB / timed.seconds, cpuSec, note: diffs.slice(0, 3).join('; ') }
  } catch (e) {
    return { ok: false, seconds: NaN, mibps: NaN, cpuSec: null, note: (e as Error).message.split('\n')[0] }
  } finally {
    await run.stop()
    await rm(out, { recursive: true, force: true })
  }
}

async function browserPhase(t: MadeTorrent, tracker: LocalTracker, work: string): Promise<Phase> {
  const out = join(work, 'web-out')
  await mkdir(out, { recursive: true })
  const home = await mkdtemp(join(work, 'web-home-'))
  const app = await startWebApp({ out, configHome: join(home, 'config') })
  let browserProc: Tracked | null = null
  try {
    const args = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      '--remote-debugging-port=0', `--user-data-dir=${join(home, 'profile')}`, 'about:blank']
    const proc = spawnTracked(CHROMIUM, args, { name: 'chromium' })
    browserProc = proc
    const wsUrl = (await until(() => /DevTools listening on (ws:\S+)/.exec(proc.stderr())?.[1], 30_000, 'the DevTools URL'))
    const browser = await chromium.connectOverCDP(wsUrl)
    const context = browser.contexts()[0]!
    const page = context.pages()[0] ?? (await context.newPage())
    await page.goto(app.url)
    await waitHelperConnected(page)
    const from = tracker.events.length
    const cpuBefore = await treeCpu([proc.pid, app.proc.pid])
    await addTorrentFile(page, t.torrentPath)
    if (!stayAttached) await browser.close() // disconnects; Chromium and the page keep running
    const timed = await timedAtTracker(tracker, t.infoHash, from, phaseTimeoutMs)
    const cpuSec = (await treeCpu([proc.pid, app.proc.pid])) - cpuBefore
    if (stayAttached) await browser.close()
    const diffs = await diffTrees(t.contentPath, join(out, t.name))
    return { ok: diffs.length === 0, seconds: timed.seconds, mibps: t.totalSize / MiB / timed.seconds, cpuSec, note: diffs.slice(0, 3).join('; ') }
  } catch (e) {
    return { ok: false, seconds: NaN, mibps: NaN, cpuSec: null, note: (e as Error).message.split('\n')[0] }
  } finally {
    await browserProc?.stop()
    await app.stop()
    await rm(out, { recursive: true, force: true })
  }
}

async function main(): Promise<number> {
  if (!libtorrentAvailable() || !chromiumAvailable()) { console.error('bench:browser-download needs python3-libtorrent and chromium (npm test installs both)'); return 1 }
  const work = await mkdtemp(join(tmpdir(), 'tidepool-bench-browser-'))
  const tracker = await startTracker()
  const seeds: LibtorrentPeer[] = []
  try {
    const t = await makeTorrent({ dir: join(work, 'source'), name: `bench-${sizeMiB}MiB.bin`, size: sizeMiB * MiB, pieceLength, trackers: [[tracker.httpUrl]], seed: sizeMiB })
    for (let i = 0; i < seedCount; i++) seeds.push(await startLibtorrent({ torrent: t.torrentPath, save: t.dir, seed: true, trustData: true, name: `seed ${i + 1}`, intervalSec: 2 }))
    await Promise.all(seeds.map((s) => waitSeeding(s, 60_000)))
    console.log(`size ${sizeMiB} MiB, ${seedCount} libtorrent seeds, piece ${pieceLength / 1024} KiB${stayAttached ? ', CDP attached' : ''}`)
    const cli = await cliPhase(t, tracker, work)
    const web = await browserPhase(t, tracker, work)
    const line = (name: string, p: Phase) => `  ${name} ${p.ok ? `${p.mibps.toFixed(1)} MiB/s (${p.seconds.toFixed(1)} s, ${p.cpuSec === null ? '?' : (p.cpuSec / (sizeMiB / 1024)).toFixed(1)} CPU-s/GiB)` : `FAILED ${p.note}`}`
    console.log(line('CLI (Node):     ', cli))
    console.log(line('web app (Chromium):', web))
    if (cli.ok && web.ok) console.log(`  ratio browser / CLI: ${(web.mibps / cli.mibps).toFixed(2)}`)
    return cli.ok && web.ok ? 0 : 1
  } finally {
    await stopAll(seeds)
    await tracker.close()
    await rm(work, { recursive: true, force: true })
  }
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1) })
