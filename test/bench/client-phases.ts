// The download phases the browser and swarm benchmarks share. One client at a time fetches a torrent
// from seeds already running: libtorrent's leecher, Tidepool's CLI, the web app in headless Chromium,
// or the built extension in headless Chromium (its offscreen document's engine worker, the native host
// installed into a fresh profile, the daemon that host starts).
//
// Every client is timed at the local tracker, from its `started` announce to its `completed` one: the
// same clock for all, and Chromium needs no DevTools attached while it downloads (a CDP session slows a
// page's WebSocket 4-5x, see platform facts). Playwright adds the torrent through the UI over a CDP
// connection and then disconnects, leaving Chromium running. CPU is counted between the same two
// moments (the CLI: from its started announce to its exit), peak memory over the whole phase, both from
// /proc (process-usage.ts). Each client's files are compared with the source, then removed.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { readDaemonState } from '../../native-host/src/native-messaging/index.ts'
import { CHROMIUM, chromiumArgs, until } from '../browser/helpers/browser.ts'
import { EXTENSION_DIST, EXTENSION_ID, installNativeHost } from '../browser/helpers/extension.ts'
import { addTorrentFile, waitHelperConnected } from '../browser/helpers/ui-actions.ts'
import { startWebApp, type WebApp } from '../browser/helpers/webapp.ts'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { startLibtorrent } from '../fixtures/libtorrent.ts'
import type { MadeTorrent } from '../fixtures/make-torrent.ts'
import { cpuSecondsOf, spawnTracked, type Tracked } from '../fixtures/processes.ts'
import { cliCpuSeconds, tidepoolDownload } from '../fixtures/tidepool-cli.ts'
import type { LocalTracker, TrackerEvent } from '../fixtures/tracker.ts'
import { MiB } from './bench-args.ts'
import { profileTargets } from './cpu-profiles.ts'
import { resetPeaks, sampleTree, sum, usageBetween, watchPeaks, type ProcSample, type Usage } from './process-usage.ts'

export type Client = 'libtorrent' | 'CLI' | 'web app' | 'extension'

export interface Phase {
  client: Client
  ok: boolean
  seconds: number
  mibps: number
  /** CPU seconds from the started announce to the completed one (the CLI: to its exit) */
  cpuSec: number | null
  /** the CLI only: CPU seconds before its started announce (start-up, bundle check) */
  startupCpuSec?: number | null
  /** peak resident memory (VmHWM) of the client's one process in MiB, as bench:download reports it; null for a browser */
  peakMiB: number | null
  /**
   * the most anonymous memory (RssAnon: heaps and buffers, not the binaries' shared pages) seen in the
   * client's process, or for a browser the sum over Chromium's processes and its daemon's, in MiB
   */
  anonPeakMiB: number | null
  /** browsers: CPU and peaks by process role and renderer thread */
  usage?: Usage
  note: string
  /** performance.now() of the started and completed announces */
  startAt: number
  doneAt: number
  /** 1-minute load average when the phase ended */
  load: number
}

export interface PhaseOptions {
  timeoutMs: number
  /** browsers: keep DevTools attached while downloading (to see what it costs) */
  stayAttached?: boolean
  /** extension: close the Tidepool tab once the torrent is added (only the offscreen document runs) */
  closeTab?: boolean
  /** browsers: V8 CPU profiles of the page and its workers into this directory */
  profileDir?: string
}

function failed(client: Client, e: unknown): Phase {
  return {
    client,
    ok: false,
    seconds: NaN,
    mibps: NaN,
    cpuSec: null,
    peakMiB: null,
    anonPeakMiB: null,
    note: (e instanceof Error ? e.message : String(e)).split('\n')[0],
    startAt: NaN,
    doneAt: NaN,
    load: loadavg()[0],
  }
}

/** The first `type` announce for this torrent among the tracker's events from index `from` on. */
export function trackerEvent(
  tracker: LocalTracker,
  infoHash: string,
  type: TrackerEvent['type'],
  from: number,
  timeoutMs: number,
): Promise<TrackerEvent> {
  return until(
    () => tracker.events.slice(from).find((e) => e.infoHash === infoHash && e.type === type),
    timeoutMs,
    `a ${type} announce`,
    50,
  )
}

async function outcome(
  client: Client,
  t: MadeTorrent,
  got: string,
  start: TrackerEvent,
  done: TrackerEvent,
  rest: Pick<Phase, 'cpuSec' | 'peakMiB' | 'anonPeakMiB'> & Partial<Phase>,
): Promise<Phase> {
  const diffs = await diffTrees(t.contentPath, got)
  const seconds = (done.at - start.at) / 1000
  return {
    client,
    ok: diffs.length === 0,
    seconds,
    mibps: t.totalSize / MiB / seconds,
    note: diffs.slice(0, 3).join('; '),
    startAt: start.at,
    doneAt: done.at,
    load: loadavg()[0],
    ...rest,
  }
}

/** VmHWM and the most anonymous memory seen of the (one) process playing `role`, in MiB. */
const peaksOfRole = (peaks: Map<number, ProcSample>, role: string) => {
  const p = [...peaks.values()].find((x) => x.role === role)
  return { peakMiB: p ? p.peakKiB / 1024 : null, anonPeakMiB: p ? p.anonKiB / 1024 : null }
}

/** libtorrent 2.0's leecher (libtorrent-peer.py), finding the seeds through the torrent's tracker. */
export async function libtorrentPhase(
  t: MadeTorrent,
  tracker: LocalTracker,
  work: string,
  o: PhaseOptions,
): Promise<Phase> {
  const save = join(work, 'lt-leech')
  const from = tracker.events.length
  const leech = await startLibtorrent({ torrent: t.torrentPath, save, name: 'libtorrent leech', intervalSec: 1 })
  let peaks: ReturnType<typeof watchPeaks> | null = null
  try {
    const start = await trackerEvent(tracker, t.infoHash, 'start', from, o.timeoutMs)
    const cpuAtStart = await cpuSecondsOf(leech.proc.pid)
    await resetPeaks([leech.proc.pid])
    peaks = watchPeaks(() => [leech.proc.pid])
    const done = await trackerEvent(tracker, t.infoHash, 'complete', from, o.timeoutMs)
    const cpuAtDone = await cpuSecondsOf(leech.proc.pid)
    return await outcome('libtorrent', t, join(save, t.name), start, done, {
      cpuSec: cpuAtStart !== null && cpuAtDone !== null ? cpuAtDone - cpuAtStart : null,
      ...peaksOfRole(await peaks.stop(), 'libtorrent'),
    })
  } catch (e) {
    return failed('libtorrent', e)
  } finally {
    await peaks?.stop()
    await leech.stop()
    await rm(save, { recursive: true, force: true })
  }
}

/** `tidepool download --json` (engine and daemon in one Node process, joined by an in-process link). */
export async function cliPhase(t: MadeTorrent, tracker: LocalTracker, work: string, o: PhaseOptions): Promise<Phase> {
  const out = join(work, 'cli-out')
  await mkdir(out, { recursive: true })
  const cpuFile = join(work, `cli-cpu-${Date.now()}.jsonl`)
  const from = tracker.events.length
  const run = tidepoolDownload([t.torrentPath], {
    out,
    timeoutSec: Math.round(o.timeoutMs / 1000),
    name: 'tidepool download',
    cpuUsageFile: cpuFile,
  })
  let peaks: ReturnType<typeof watchPeaks> | null = null
  try {
    const start = await trackerEvent(tracker, t.infoHash, 'start', from, o.timeoutMs)
    const atStart = [...(await sampleTree([run.proc.pid], { threads: false })).values()].find((p) => p.role === 'CLI')
    if (atStart) await resetPeaks([atStart.pid])
    peaks = watchPeaks(() => [run.proc.pid])
    const done = await trackerEvent(tracker, t.infoHash, 'complete', from, o.timeoutMs)
    const code = await run.wait(60_000)
    if (code !== 0) throw new Error(`exit ${code}: ${run.proc.stderr().trim().split('\n').at(-1) ?? ''}`)
    const total = await cliCpuSeconds(cpuFile)
    const startup = atStart?.cpuSec ?? null
    return await outcome('CLI', t, join(out, t.name), start, done, {
      cpuSec: total !== null && startup !== null ? total - startup : null,
      startupCpuSec: startup,
      ...peaksOfRole(await peaks.stop(), 'CLI'),
    })
  } catch (e) {
    return failed('CLI', e)
  } finally {
    await peaks?.stop()
    await run.stop()
    await rm(out, { recursive: true, force: true })
  }
}

/** Headless Chromium with a DevTools port and nothing attached; the extension loaded if given. */
async function startChromium(profile: string, extensionDir?: string): Promise<{ proc: Tracked; wsUrl: string }> {
  const args = [
    '--headless=new',
    ...chromiumArgs(extensionDir),
    '--remote-debugging-port=0',
    `--user-data-dir=${profile}`,
    'about:blank',
  ]
  const proc = spawnTracked(CHROMIUM, args, { name: extensionDir ? 'chromium (extension)' : 'chromium' })
  try {
    const wsUrl = await until(
      () => /DevTools listening on (ws:\S+)/.exec(proc.stderr())?.[1],
      30_000,
      'the DevTools URL',
    )
    return { proc, wsUrl }
  } catch (e) {
    await proc.stop()
    throw e
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * The web app (`pnpm app` as a child process, its page in Chromium) or the extension (its app tab, its
 * offscreen document, the native host and the daemon that host starts, all under Chromium).
 */
export async function browserPhase(
  client: 'web app' | 'extension',
  t: MadeTorrent,
  tracker: LocalTracker,
  work: string,
  o: PhaseOptions,
): Promise<Phase> {
  const tag = client === 'web app' ? 'web' : 'ext'
  const out = join(work, `${tag}-out`)
  await mkdir(out, { recursive: true })
  const home = await mkdtemp(join(work, `${tag}-home-`))
  const configDir = join(home, 'config')
  let app: WebApp | null = null
  let chrome: Tracked | null = null
  let browser: Browser | null = null
  let peaks: ReturnType<typeof watchPeaks> | null = null
  try {
    let url: string
    if (client === 'web app') {
      app = await startWebApp({ out, configHome: configDir })
      url = app.url
    } else {
      await installNativeHost({ profile: join(home, 'profile'), configDir, downloadRoot: out })
      url = `chrome-extension://${EXTENSION_ID}/app.html`
    }
    const started = await startChromium(join(home, 'profile'), client === 'extension' ? EXTENSION_DIST : undefined)
    chrome = started.proc
    browser = await chromium.connectOverCDP(started.wsUrl)
    const context = browser.contexts()[0]!
    context.setDefaultTimeout(60_000) // Playwright's actions otherwise wait without end
    const page = context.pages()[0] ?? (await context.newPage())
    await page.goto(url)
    await waitHelperConnected(page, 60_000)
    // the extension's daemon is the native host's child, but name it in case it was reparented
    const daemonPid = client === 'extension' ? (await readDaemonState(configDir))?.pid : undefined
    const roots = [chrome.pid, ...(app ? [app.proc.pid] : []), ...(daemonPid ? [daemonPid] : [])]
    const from = tracker.events.length
    const before = await sampleTree(roots)
    await resetPeaks(before.keys())
    peaks = watchPeaks(() => roots, 500)
    await addTorrentFile(page, t.torrentPath)
    if (client === 'extension' && o.closeTab) await page.close()
    if (!o.stayAttached) {
      await browser.close() // disconnects; Chromium and its pages keep running
      browser = null
    }
    const profiler = o.profileDir ? await profileTargets(started.wsUrl) : null
    const start = await trackerEvent(tracker, t.infoHash, 'start', from, o.timeoutMs)
    const done = await trackerEvent(tracker, t.infoHash, 'complete', from, o.timeoutMs)
    const after = await sampleTree(roots)
    if (profiler && o.profileDir) await profiler.stop(join(o.profileDir, tag))
    const usage = usageBetween(before, after, await peaks.stop())
    return await outcome(client, t, join(out, t.name), start, done, {
      cpuSec: sum(usage.cpuByRole),
      peakMiB: null,
      // the checkout's launchers (tsx's esbuild service) left out, as the CLI's pnpm is
      anonPeakMiB: sum(new Map([...usage.anonMiBByRole].filter(([role]) => role !== 'launchers'))),
      usage,
    })
  } catch (e) {
    return failed(client, e)
  } finally {
    await peaks?.stop()
    await browser?.close().catch(() => undefined) // best effort: the phase's own outcome is what counts
    await chrome?.stop()
    await app?.stop()
    if (client === 'extension') await stopExtensionDaemon(configDir)
    await rm(out, { recursive: true, force: true })
    await rm(home, { recursive: true, force: true })
  }
}

/** The daemon the native host started exits with the browser; if it has not within 10 s, stop it by its PID. */
async function stopExtensionDaemon(configDir: string): Promise<void> {
  const d = await readDaemonState(configDir)
  if (!d) return
  for (let i = 0; i < 100 && alive(d.pid); i++) await new Promise((r) => setTimeout(r, 100))
  if (alive(d.pid)) process.kill(d.pid, 'SIGTERM')
}

/** Runs one phase by client name. */
export function runPhase(
  client: Client,
  t: MadeTorrent,
  tracker: LocalTracker,
  work: string,
  o: PhaseOptions,
): Promise<Phase> {
  if (client === 'libtorrent') return libtorrentPhase(t, tracker, work, o)
  if (client === 'CLI') return cliPhase(t, tracker, work, o)
  return browserPhase(client, t, tracker, work, o)
}
