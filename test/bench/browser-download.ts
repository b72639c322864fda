// pnpm bench:browser-download [--size 256] [--seeds 4] [--piece-kib 1024] [--phase-timeout 300] [--cdp]
//                             [--profile DIR]
//
// The product path's download speed: the local web app in headless Chromium (the engine in a Web
// Worker, every byte through the daemon over a WebSocket) against Tidepool's CLI (the same engine in
// Node) in the same run, both fed by several libtorrent seeds on loopback. Prints MiB/s of both, the
// ratio browser/CLI, and CPU seconds per GiB (CLI process; Chromium's processes plus the web app's
// daemon process, also split by process).
//
// Both clients are timed at the tracker, from their `started` announce to their `completed` one, so
// the browser needs no DevTools attached while it downloads (a CDP session slows a page's WebSocket
// 4-5x, see platform facts): Playwright adds the torrent through the UI over a CDP connection and then
// disconnects, leaving Chromium running. --cdp stays attached instead, to see that effect. --profile
// writes V8 CPU profiles of the page and its workers (engine, hash) during the download into DIR.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
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
import { flag, MiB, option } from './bench-args.ts'

const sizeMiB = Number(option('size', '256'))
const seedCount = Number(option('seeds', '4'))
const pieceLength = Number(option('piece-kib', '1024')) * 1024
const phaseTimeoutMs = Number(option('phase-timeout', '300')) * 1000
const stayAttached = flag('cdp')
/**
 * Developer aid: V8 CPU profiles of the page and each of its workers (the engine worker, the hash
 * worker) into this directory; DevTools attach to those targets only, after the torrent is added.
 */
const profileDir = option('profile', '')

interface Phase {
  ok: boolean
  mibps: number
  seconds: number
  cpuSec: number | null
  note: string
  cpuByRole?: Map<string, number>
}

/** Seconds from the tracker's first `start` to its first `complete` for this torrent after `from`. */
async function timedAtTracker(
  tracker: LocalTracker,
  infoHash: string,
  from: number,
  timeoutMs: number,
): Promise<{ seconds: number; startAt: number; doneAt: number }> {
  const mine = () => tracker.events.slice(from).filter((e) => e.infoHash === infoHash)
  const start = await until(() => mine().find((e) => e.type === 'start'), timeoutMs, 'a started announce', 50)
  const done = await until(() => mine().find((e) => e.type === 'complete'), timeoutMs, 'a completed announce', 50)
  return { seconds: (done.at - start.at) / 1000, startAt: start.at, doneAt: done.at }
}

/** CPU seconds of the processes under `pids`, by role (Chromium's process types, the web app's node). */
async function treeCpu(pids: number[]): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const pid of pids) {
    for (const p of [pid, ...(await descendants(pid))]) {
      const cmd = (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ')
      const role = roleOf(cmd)
      out.set(role, (out.get(role) ?? 0) + ((await cpuSecondsOf(p)) ?? 0))
    }
  }
  return out
}

function roleOf(cmd: string): string {
  if (/--type=renderer/.test(cmd)) return 'renderer (page + workers)'
  if (/network\.mojom\.NetworkService/.test(cmd)) return 'network service'
  if (/--type=gpu-process/.test(cmd)) return 'gpu'
  if (/--type=/.test(cmd)) return 'other Chromium'
  if (/chromium/.test(cmd)) return 'browser process'
  if (/^\S*node\b.*native-host/.test(cmd) || /--require.*tsx/.test(cmd)) return 'daemon + web server (node)'
  return 'launchers'
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0)

function cpuDelta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]))
}

async function cliPhase(t: MadeTorrent, tracker: LocalTracker, work: string): Promise<Phase> {
  const out = join(work, 'cli-out')
  await mkdir(out, { recursive: true })
  const cpuFile = join(work, `cli-cpu-${Date.now()}.jsonl`)
  const from = tracker.events.length
  const run = tidepoolDownload([t.torrentPath], {
    out,
    timeoutSec: Math.round(phaseTimeoutMs / 1000),
    name: 'tidepool download',
    cpuUsageFile: cpuFile,
  })
  try {
    const timed = await timedAtTracker(tracker, t.infoHash, from, phaseTimeoutMs)
    const code = await run.wait(60_000)
    const cpuSec = await cliCpuSeconds(cpuFile)
    const diffs = code === 0 ? await diffTrees(t.contentPath, join(out, t.name)) : [`exit ${code}`]
    return {
      ok: diffs.length === 0,
      seconds: timed.seconds,
      mibps: t.totalSize / MiB / timed.seconds,
      cpuSec,
      note: diffs.slice(0, 3).join('; '),
    }
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
    const args = [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--remote-debugging-port=0',
      `--user-data-dir=${join(home, 'profile')}`,
      'about:blank',
    ]
    const proc = spawnTracked(CHROMIUM, args, { name: 'chromium' })
    browserProc = proc
    const wsUrl = await until(
      () => /DevTools listening on (ws:\S+)/.exec(proc.stderr())?.[1],
      30_000,
      'the DevTools URL',
    )
    const browser = await chromium.connectOverCDP(wsUrl)
    const context = browser.contexts()[0]!
    const page = context.pages()[0] ?? (await context.newPage())
    await page.goto(app.url)
    await waitHelperConnected(page)
    const from = tracker.events.length
    const cpuBefore = await treeCpu([proc.pid, app.proc.pid])
    await addTorrentFile(page, t.torrentPath)
    if (!stayAttached) await browser.close() // disconnects; Chromium and the page keep running
    const profiler = profileDir ? await profileTargets(wsUrl) : null
    const timed = await timedAtTracker(tracker, t.infoHash, from, phaseTimeoutMs)
    if (profiler) await profiler.stop(profileDir)
    const byRole = cpuDelta(await treeCpu([proc.pid, app.proc.pid]), cpuBefore)
    const cpuSec = total(byRole)
    if (stayAttached) await browser.close()
    const diffs = await diffTrees(t.contentPath, join(out, t.name))
    return {
      ok: diffs.length === 0,
      seconds: timed.seconds,
      mibps: t.totalSize / MiB / timed.seconds,
      cpuSec,
      note: diffs.slice(0, 3).join('; '),
      cpuByRole: byRole,
    }
  } catch (e) {
    return { ok: false, seconds: NaN, mibps: NaN, cpuSec: null, note: (e as Error).message.split('\n')[0] }
  } finally {
    await browserProc?.stop()
    await app.stop()
    await rm(out, { recursive: true, force: true })
  }
}

/** Attaches to the page and its workers over the browser's DevTools socket and starts V8's profiler in each. */
async function profileTargets(browserWsUrl: string): Promise<{ stop(dir: string): Promise<void> }> {
  // the `ws` package through the bridge's Node entry (the test package does not depend on it directly)
  const { NodeWebSocket } = await import('@tidepool/daemon-bridge/node')
  const ws = new NodeWebSocket(browserWsUrl, [], { perMessageDeflate: false, maxPayload: 1 << 30 }) as unknown as {
    send(s: string): void
    close(): void
    onopen: (() => void) | null
    onerror: ((e: unknown) => void) | null
    onmessage: ((ev: { data: unknown }) => void) | null
  }
  await new Promise<void>((r, j) => {
    ws.onopen = () => r()
    ws.onerror = j
  })
  let nextId = 1
  const waiting = new Map<number, (m: { result?: Record<string, unknown>; error?: unknown }) => void>()
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data))
    if (m.id && waiting.has(m.id)) {
      waiting.get(m.id)!(m)
      waiting.delete(m.id)
    }
  }
  const send = (method: string, params: object = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++
      waiting.set(id, (m) => (m.error ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result ?? {})))
      ws.send(JSON.stringify({ id, method, params, sessionId }))
    })
  const { targetInfos } = (await send('Target.getTargets')) as {
    targetInfos: Array<{ targetId: string; type: string; url: string }>
  }
  const targets = targetInfos.filter((t) => t.type === 'worker' || (t.type === 'page' && t.url.startsWith('http')))
  const sessions: Array<{ name: string; sessionId: string }> = []
  for (const t of targets) {
    const { sessionId } = (await send('Target.attachToTarget', { targetId: t.targetId, flatten: true })) as {
      sessionId: string
    }
    await send('Profiler.enable', {}, sessionId)
    await send('Profiler.setSamplingInterval', { interval: 500 }, sessionId)
    await send('Profiler.start', {}, sessionId)
    const name =
      t.type === 'page'
        ? 'page'
        : (/\/assets\/([a-z0-9-]+?)-[A-Za-z0-9_]{6,}\.js/.exec(t.url)?.[1] ?? `worker-${sessions.length}`)
    sessions.push({ name, sessionId })
  }
  console.log(`  profiling ${sessions.map((x) => x.name).join(', ')}`)
  return {
    async stop(dir) {
      await mkdir(dir, { recursive: true })
      for (const x of sessions) {
        const { profile } = (await send('Profiler.stop', {}, x.sessionId)) as { profile: unknown }
        await writeFile(join(dir, `${x.name}.cpuprofile`), JSON.stringify(profile))
      }
      ws.close()
    },
  }
}

async function main(): Promise<number> {
  if (!libtorrentAvailable() || !chromiumAvailable()) {
    console.error('bench:browser-download needs python3-libtorrent and chromium (npm test installs both)')
    return 1
  }
  const work = await mkdtemp(join(tmpdir(), 'tidepool-bench-browser-'))
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
      `size ${sizeMiB} MiB, ${seedCount} libtorrent seeds, piece ${pieceLength / 1024} KiB${stayAttached ? ', CDP attached' : ''}`,
    )
    const cli = await cliPhase(t, tracker, work)
    const web = await browserPhase(t, tracker, work)
    const line = (name: string, p: Phase) =>
      `  ${name} ${p.ok ? `${p.mibps.toFixed(1)} MiB/s (${p.seconds.toFixed(1)} s, ${p.cpuSec === null ? '?' : (p.cpuSec / (sizeMiB / 1024)).toFixed(1)} CPU-s/GiB)` : `FAILED ${p.note}`}`
    console.log(line('CLI (Node):     ', cli))
    console.log(line('web app (Chromium):', web))
    if (web.cpuByRole) {
      const parts = [...web.cpuByRole].filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1])
      console.log(
        `  web app CPU-s/GiB by process: ${parts.map(([k, v]) => `${k} ${(v / (sizeMiB / 1024)).toFixed(1)}`).join(', ')}`,
      )
    }
    if (cli.ok && web.ok) console.log(`  ratio browser / CLI: ${(web.mibps / cli.mibps).toFixed(2)}`)
    return cli.ok && web.ok ? 0 : 1
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
