// pnpm soak [--minutes 10] [--torrents 20] [--verbose] [--seed-upload-limit B]
//
// A long run of the real thing on loopback, to find what only time finds: leaks, descriptors that are
// never closed, torrents that stall. Processes, each stopped by PID (process group) on exit or SIGINT:
//   - the daemon, as `pnpm daemon` runs it (native-host/src/cli/daemon.ts with the data path's heap flag),
//     two download roots `a` and `b`;
//   - the engine (engine-process.ts): a BtEngine as the CLI builds it, on a WebSocket to that daemon;
//   - one libtorrent seed per torrent (test/fixtures), a quarter of them stopped for SEED_DOWN_MS and
//     restarted on the same port every SEED_CHURN_MS; libtorrent leechers that come and go;
//   - four hostile peers (hostile-peers.ts: garbage, reject-everything, silent, oversized length), announced
//     to the tracker for every torrent; the tracker runs in this process.
// Torrents churn: once one has been complete for HOLD_COMPLETE_MS (seeding to whoever asks), it is removed
// with its data and added again into the other root, a fresh folder (whatever the removal left there is
// counted and cleared first). DHT, LSD, UPnP are off on every libtorrent (the fixture's settings).
//
// Every minute one line: RSS, heap and external memory (ArrayBuffers and the like; both after a full GC,
// from memory-probe.ts) and open descriptors of the engine and the daemon, the daemon's TCP sockets,
// completions, torrents stuck.
// Exit 1 when:
//   - a metric grows: the least-squares line through its samples (every 10 s) over the second half of the
//     run rises faster than its limit AND by more than its noise floor over that half: RSS 4 MiB/min and
//     24 MiB; heap after GC 1 MiB/min and 4 MiB; external memory after GC 1 MiB/min and 24 MiB; descriptors
//     (each process) and daemon TCP sockets 2/min and 10 (growth.ts; a run under 10 minutes fits few
//     points: a weak verdict);
//   - a torrent is STUCK: 60 s without a verified byte while connected to a real seed (a peer with every
//     piece that is not one of the hostile peers, which claim every piece and deliver none);
//   - an add or remove failed or went unanswered for 60 s, the engine or daemon died, or nothing completed.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DATA_PATH_NODE_FLAGS } from '../../native-host/src/node-flags.ts'
import { flag, MiB, option } from '../bench/bench-args.ts'
import { libtorrentAvailable, startLibtorrent, waitSeeding, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import { makeTorrent, type FileSpec, type MadeTorrent } from '../fixtures/make-torrent.ts'
import { spawnTracked, stopAll, type JsonLine, type Tracked } from '../fixtures/processes.ts'
import { REPO_ROOT } from '../fixtures/tidepool-cli.ts'
import { startTracker, type LocalTracker } from '../fixtures/tracker.ts'
import { growthVerdict, type GrowthLimit, type Point } from './growth.ts'
import { sampleProcess } from './proc-stats.ts'

const minutes = Number(option('minutes', '10'))
const torrentCount = Math.max(1, Math.min(50, Number(option('torrents', '20'))))
const verbose = flag('verbose')
// bytes/s per seed; a tiny limit makes every torrent stall with its seed connected: a check that the
// STUCK detector fires (`pnpm soak --minutes 2.5 --torrents 2 --seed-upload-limit 300` must fail; at 1 B/s
// the seed cannot even finish its handshake, so it is never connected)
const seedUploadLimit = Number(option('seed-upload-limit', '0'))

const LOOP_MS = 1000
const SAMPLE_EVERY_MS = 10_000
const REPORT_EVERY_MS = 60_000
const HOLD_COMPLETE_MS = 20_000
const SEED_CHURN_MS = 120_000
const SEED_DOWN_MS = 20_000
const LEECHER_EVERY_MS = 20_000
const MAX_LEECHERS = 3
const LEECHER_LIFE_MS = 90_000
const STUCK_AFTER_SEC = 60
const COMMAND_TIMEOUT_MS = 60_000
const START_TIMEOUT_MS = 60_000
const LIMITS: Record<'rss' | 'heap' | 'external' | 'fds' | 'tcp', GrowthLimit> = {
  // see the header
  rss: { perMinute: 4, minRise: 24 },
  heap: { perMinute: 1, minRise: 4 },
  // buffers in flight: after GC it still swings 30-80 MiB with the downloads of the moment
  external: { perMinute: 1, minRise: 24 },
  fds: { perMinute: 2, minRise: 10 },
  tcp: { perMinute: 2, minRise: 10 },
}

const PROBE = join(REPO_ROOT, 'test/soak/memory-probe.ts')
const DAEMON_ENTRY = join(REPO_ROOT, 'native-host/src/cli/daemon.ts')
const ENGINE_ENTRY = join(REPO_ROOT, 'test/soak/engine-process.ts')
const HOSTILE_ENTRY = join(REPO_ROOT, 'test/soak/hostile-peers.ts')

type Root = 'a' | 'b'

interface Slot {
  t: MadeTorrent
  seed: LibtorrentPeer | null
  seedPort: number
  root: Root
  incarnation: number
  phase: 'adding' | 'active' | 'removing'
  phaseSince: number
  completeAt: number | null
  lastDownloaded: number
  lastTickAt: number
  stallSec: number
  stuck: boolean
}

interface Sample {
  tMin: number
  engine: { rssMiB: number | null; heapMiB: number | null; externalMiB: number | null; fds: number | null }
  daemon: {
    rssMiB: number | null
    heapMiB: number | null
    externalMiB: number | null
    fds: number | null
    tcp: number | null
    tcpEstablished: number | null
  }
}

interface EngineTorrentRow {
  infoHash: string
  root: string
  downloaded: number
  size: number
  complete: boolean
  status: string
  connected: number
  peers: Array<[number, number]>
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const mib = (bytes: unknown) => (typeof bytes === 'number' ? bytes / MiB : null)
const fmt = (n: number | null | undefined, d = 1) =>
  n === null || n === undefined || !Number.isFinite(n) ? '?' : n.toFixed(d)

/** Calls back with every JSON line a tracked process prints from now on. */
function onJsonLines(p: Tracked, cb: (line: JsonLine) => void): void {
  let partial = ''
  p.child.stdout!.on('data', (chunk: string | Buffer) => {
    partial += String(chunk)
    for (let nl = partial.indexOf('\n'), guard = 0; nl >= 0 && guard < 100_000; nl = partial.indexOf('\n'), guard++) {
      const line = partial.slice(0, nl).trim()
      partial = partial.slice(nl + 1)
      if (!line.startsWith('{')) continue
      try {
        cb(JSON.parse(line) as JsonLine)
      } catch {
        /* not ours to judge */
      }
    }
  })
}

function contentFor(i: number): { size?: number; files?: FileSpec[]; pieceLength: number } {
  const pieceLength = [64, 128, 256][i % 3] * 1024
  const size = (2 + (i % 4)) * MiB + i * 4099 // 2-5 MiB, none a whole number of pieces
  if (i % 4 !== 3) return { size, pieceLength }
  const a = Math.floor(size / 2),
    b = Math.floor(size / 3)
  return {
    files: [
      { path: ['a.bin'], size: a },
      { path: ['sub', 'b.bin'], size: b },
      { path: ['c.bin'], size: size - a - b },
    ],
    pieceLength,
  }
}

async function main(): Promise<number> {
  if (!libtorrentAvailable()) {
    console.error('soak needs python3-libtorrent (/usr/bin/python3)')
    return 1
  }
  if (!(minutes > 0)) {
    console.error('--minutes needs a positive number')
    return 1
  }
  const work = await mkdtemp(join(tmpdir(), 'tidepool-soak-'))
  const rootDir: Record<Root, string> = { a: join(work, 'dl-a'), b: join(work, 'dl-b') }
  await mkdir(rootDir.a, { recursive: true })
  await mkdir(rootDir.b, { recursive: true })
  const owned: Array<{ stop(): Promise<unknown> }> = []
  const leechers = new Set<{ peer: LibtorrentPeer; since: number; dir: string }>()
  const background = new Set<Promise<unknown>>()
  const track = (p: Promise<unknown>) => {
    background.add(p)
    void p.finally(() => background.delete(p))
  }
  let tracker: LocalTracker | null = null
  let engineProc: Tracked | null = null
  let interrupted = false
  const onSigint = () => {
    if (interrupted) process.exit(130) // second ^C: processes.ts SIGKILLs every child still alive on exit
    interrupted = true
    console.log('SIGINT: stopping everything')
  }
  process.on('SIGINT', onSigint)

  const counters = {
    completions: 0,
    readds: 0,
    leftovers: 0,
    seedRestarts: 0,
    seedRestartFailures: 0,
    leecherRuns: 0,
    leechersFinished: 0,
    errors: 0,
    unanswered: 0,
  }
  const errors: string[] = []
  const stuckList: string[] = []
  const samples: Sample[] = []
  let failure: string | null = null
  let hostileStats: JsonLine = {}
  const slots: Slot[] = []
  const setupStart = performance.now()
  let t0 = setupStart // the run's minutes count from the moment every torrent has been added
  const elapsedMin = () => (performance.now() - t0) / 60_000

  try {
    tracker = await startTracker({ intervalSec: 5 })
    console.log(`soak: ${torrentCount} torrents, ${minutes} min, work dir ${work}`)

    // ---- torrents and their seeds ----
    for (let i = 0; i < torrentCount; i++) {
      const t = await makeTorrent({
        dir: join(work, 'source'),
        name: `soak-${i}${i % 4 === 3 ? '' : '.bin'}`,
        ...contentFor(i),
        trackers: [[tracker.httpUrl]],
        seed: 1000 + i,
      })
      slots.push({
        t,
        seed: null,
        seedPort: 0,
        root: 'a',
        incarnation: 0,
        phase: 'adding',
        phaseSince: 0,
        completeAt: null,
        lastDownloaded: 0,
        lastTickAt: 0,
        stallSec: 0,
        stuck: false,
      })
    }
    const byHash = new Map(slots.map((s) => [s.t.infoHash, s]))
    const startSeed = async (s: Slot, port: number): Promise<LibtorrentPeer> => {
      const peer = await startLibtorrent({
        torrent: s.t.torrentPath,
        save: s.t.dir,
        seed: true,
        trustData: true,
        port,
        name: `seed ${s.t.name}`,
        intervalSec: 5,
        uploadLimit: seedUploadLimit || undefined,
      })
      try {
        await waitSeeding(peer, START_TIMEOUT_MS)
      } catch (e) {
        await peer.stop()
        throw e
      }
      return peer
    }
    for (let i = 0; i < slots.length; i += 5) {
      await Promise.all(
        slots.slice(i, i + 5).map(async (s) => {
          s.seed = await startSeed(s, 0)
          s.seedPort = s.seed.port
        }),
      )
    }
    console.log(`  ${slots.length} libtorrent seeds up after ${((performance.now() - setupStart) / 1000).toFixed(0)} s`)

    // ---- the daemon, as `pnpm daemon` runs it, plus the heap probe ----
    const tokenFile = join(work, 'daemon.token')
    const probeEnv = { ...process.env, TIDEPOOL_SOAK_PROBE: '1' }
    const nodeArgs = [...DATA_PATH_NODE_FLAGS, '--expose-gc', '--import', 'tsx', '--import', PROBE]
    const daemon = spawnTracked(
      process.execPath,
      [
        ...nodeArgs,
        DAEMON_ENTRY,
        '--port',
        '0',
        '--token-file',
        tokenFile,
        '--root',
        `a=${rootDir.a}`,
        '--root',
        `b=${rootDir.b}`,
        '--no-multicast',
        '--no-port-mapping',
      ],
      { cwd: REPO_ROOT, env: probeEnv, name: 'daemon' },
    )
    owned.push(daemon)
    const daemonLine = await daemon.waitFor((l) => typeof l.port === 'number', START_TIMEOUT_MS, 'daemon port line')
    const daemonUrl = `ws://127.0.0.1:${Number(daemonLine.port)}`
    const probes: { engine: JsonLine | null; daemon: JsonLine | null } = { engine: null, daemon: null } // latest memory-probe lines
    onJsonLines(daemon, (l) => {
      if (l.probe === 'memory') probes.daemon = l
    })

    // ---- hostile peers ----
    const hostile = spawnTracked(
      process.execPath,
      [
        '--import',
        'tsx',
        HOSTILE_ENTRY,
        '--tracker',
        tracker.httpUrl,
        '--info-hashes',
        slots.map((s) => s.t.infoHash).join(','),
      ],
      { cwd: REPO_ROOT, name: 'hostile peers' },
    )
    owned.push(hostile)
    const hostileLine = await hostile.waitFor(
      (l) => l.event === 'listening',
      START_TIMEOUT_MS,
      'hostile peers listening',
    )
    const hostilePorts = new Set(Object.values(hostileLine.ports as Record<string, number>))
    onJsonLines(hostile, (l) => {
      if (l.event === 'stats') hostileStats = l
    })

    // ---- the engine ----
    const engine = (engineProc = spawnTracked(
      process.execPath,
      [...nodeArgs, ENGINE_ENTRY, '--url', daemonUrl, '--token-file', tokenFile, '--state', join(work, 'engine-state')],
      { cwd: REPO_ROOT, env: probeEnv, stdin: true, name: 'engine' },
    ))
    await engine.waitFor((l) => l.event === 'ready', START_TIMEOUT_MS, 'engine ready')
    let lastTick: EngineTorrentRow[] = []
    const send = (cmd: object) => engine.write(`${JSON.stringify(cmd)}\n`)
    const add = (s: Slot) => {
      s.phase = 'adding'
      s.phaseSince = performance.now()
      send({ add: s.t.torrentPath, root: s.root })
    }

    const onTick = (rows: EngineTorrentRow[]) => {
      lastTick = rows
      const now = performance.now()
      for (const row of rows) {
        const s = byHash.get(row.infoHash)
        if (s?.phase !== 'active') continue
        const dtSec = s.lastTickAt > 0 ? Math.min(5, (now - s.lastTickAt) / 1000) : 0
        s.lastTickAt = now
        if (row.complete) {
          if (s.completeAt === null) {
            s.completeAt = now
            counters.completions++
          }
          if (now - s.completeAt >= HOLD_COMPLETE_MS) {
            s.phase = 'removing'
            s.phaseSince = now
            send({ remove: row.infoHash })
          }
          continue
        }
        const seedConnected = row.peers.some(([port, progress]) => progress >= 1 && !hostilePorts.has(port))
        if (row.downloaded > s.lastDownloaded) {
          s.lastDownloaded = row.downloaded
          s.stallSec = 0
        } else if (seedConnected) s.stallSec += dtSec
        if (s.stallSec >= STUCK_AFTER_SEC && !s.stuck) {
          s.stuck = true
          stuckList.push(
            `${s.t.name} #${s.incarnation} in ${s.root}: ${row.downloaded}/${row.size} bytes, status ${row.status}, peers ${JSON.stringify(row.peers)}`,
          )
        }
      }
    }
    onJsonLines(engine, (l) => {
      if (l.probe === 'memory') probes.engine = l
      else if (l.event === 'tick') onTick(l.torrents as EngineTorrentRow[])
      else if (l.event === 'added') {
        const s = byHash.get(String(l.infoHash))
        if (s)
          Object.assign(s, {
            phase: 'active',
            phaseSince: performance.now(),
            completeAt: null,
            lastDownloaded: 0,
            lastTickAt: 0,
            stallSec: 0,
            stuck: false,
          })
      } else if (l.event === 'removed') {
        const s = byHash.get(String(l.infoHash))
        if (!s) return
        const old = join(rootDir[s.root], s.t.name)
        track(
          (async () => {
            if (existsSync(old)) {
              counters.leftovers++
              await rm(old, { recursive: true, force: true })
            }
            s.root = s.root === 'a' ? 'b' : 'a'
            const fresh = join(rootDir[s.root], s.t.name)
            if (existsSync(fresh)) {
              counters.leftovers++
              await rm(fresh, { recursive: true, force: true })
            }
            s.incarnation++
            counters.readds++
            add(s)
          })(),
        )
      } else if (l.event === 'error' || l.event === 'bridge-lost') {
        counters.errors++
        if (errors.length < 20) errors.push(`${String(l.event)}: ${String(l.message ?? l.detail ?? '')}`)
      }
    })
    for (const s of slots) add(s)
    t0 = performance.now()
    console.log(
      `  engine and daemon up, ${slots.length} torrents added after ${((t0 - setupStart) / 1000).toFixed(0)} s; running ${minutes} min`,
    )

    // ---- churn of seeds and leechers ----
    let churnIndex = 0
    const churnSeeds = () => {
      const batch = Math.max(1, Math.floor(slots.length / 4))
      for (let k = 0; k < batch; k++) {
        const s = slots[churnIndex++ % slots.length]
        if (!s.seed) continue
        const old = s.seed
        s.seed = null
        track(
          (async () => {
            await old.stop()
            for (let waited = 0; waited < SEED_DOWN_MS && !interrupted; waited += 1000) await sleep(1000)
            if (interrupted) return
            try {
              s.seed = await startSeed(s, s.seedPort)
            } catch {
              try {
                s.seed = await startSeed(s, 0)
                s.seedPort = s.seed.port
              } catch {
                counters.seedRestartFailures++
                return
              }
            }
            counters.seedRestarts++
          })(),
        )
      }
    }
    let leechIndex = 0
    const churnLeechers = () => {
      for (const l of [...leechers]) {
        if (l.peer.proc.exitCode() === null && performance.now() - l.since < LEECHER_LIFE_MS) continue
        leechers.delete(l)
        if (l.peer.proc.json.some((j) => j.event === 'finished')) counters.leechersFinished++
        track(l.peer.stop().then(() => rm(l.dir, { recursive: true, force: true })))
      }
      if (leechers.size >= MAX_LEECHERS || interrupted) return
      const s = slots[leechIndex % slots.length]
      const dir = join(work, `lt-leech-${leechIndex++}`)
      track(
        startLibtorrent({
          torrent: s.t.torrentPath,
          save: dir,
          exitOnFinish: true,
          name: `leech ${s.t.name}`,
          intervalSec: 5,
        })
          .then((peer) => {
            counters.leecherRuns++
            if (interrupted) return peer.stop()
            leechers.add({ peer, since: performance.now(), dir })
          })
          .catch(() => {
            /* a leecher that cannot start is the fixture's problem, not the engine's */
          }),
      )
    }

    // ---- the loop ----
    const deadline = t0 + minutes * 60_000
    let nextSample = performance.now(),
      nextReport = t0 + REPORT_EVERY_MS,
      nextSeedChurn = t0 + SEED_CHURN_MS,
      nextLeecher = performance.now()
    let completionsAtLastReport = 0,
      rejectsAtLastReport = 0
    const maxIterations = Math.ceil((minutes * 60_000) / LOOP_MS) + 600
    for (let i = 0; i < maxIterations && !interrupted && performance.now() < deadline; i++) {
      await sleep(LOOP_MS)
      const now = performance.now()
      for (const [who, p] of [
        ['engine', engine],
        ['daemon', daemon],
        ['hostile peers', hostile],
      ] as const) {
        if (p.exitCode() !== null) failure ??= `${who} exited with ${p.exitCode()}: ${p.stderr().slice(-500)}`
      }
      if (failure) break
      for (const s of slots) {
        if (s.phase !== 'active' && now - s.phaseSince > COMMAND_TIMEOUT_MS) {
          counters.unanswered++
          errors.push(`${s.phase} ${s.t.name} unanswered for ${COMMAND_TIMEOUT_MS / 1000} s`)
          s.phase = 'active' // count once; the next tick or completion takes it from here
        }
      }
      if (now >= nextSeedChurn) {
        nextSeedChurn += SEED_CHURN_MS
        churnSeeds()
      }
      if (now >= nextLeecher) {
        nextLeecher += LEECHER_EVERY_MS
        churnLeechers()
      }
      if (now >= nextSample) {
        nextSample += SAMPLE_EVERY_MS
        const [e, d] = await Promise.all([sampleProcess(engine.pid), sampleProcess(daemon.pid, { tcp: true })])
        samples.push({
          tMin: elapsedMin(),
          engine: {
            rssMiB: e.rssKiB === null ? null : e.rssKiB / 1024,
            heapMiB: mib(probes.engine?.heapUsed),
            externalMiB: mib(probes.engine?.external),
            fds: e.fds,
          },
          daemon: {
            rssMiB: d.rssKiB === null ? null : d.rssKiB / 1024,
            heapMiB: mib(probes.daemon?.heapUsed),
            externalMiB: mib(probes.daemon?.external),
            fds: d.fds,
            tcp: d.tcpSockets,
            tcpEstablished: d.tcpEstablished,
          },
        })
      }
      if (now >= nextReport) {
        nextReport += REPORT_EVERY_MS
        const last = samples.at(-1)!
        const fromEngine = (kind: string) =>
          (hostileStats[kind] as { engine?: { requests: number; open: number } } | undefined)?.engine
        const rejects = fromEngine('rejecter')?.requests ?? 0
        const silentOpen = fromEngine('silent')?.open ?? 0
        const stuckNow = slots.filter((s) => s.stuck).length
        const line =
          `min ${String(Math.round(elapsedMin())).padStart(3)} | engine rss ${fmt(last.engine.rssMiB)} MiB heap ${fmt(last.engine.heapMiB)} + ext ${fmt(last.engine.externalMiB)} MiB fds ${last.engine.fds ?? '?'}` +
          ` | daemon rss ${fmt(last.daemon.rssMiB)} MiB heap ${fmt(last.daemon.heapMiB)} + ext ${fmt(last.daemon.externalMiB)} MiB fds ${last.daemon.fds ?? '?'} tcp ${last.daemon.tcp ?? '?'} (${last.daemon.tcpEstablished ?? '?'} est)` +
          ` | complete ${counters.completions} (+${counters.completions - completionsAtLastReport}) | downloading ${lastTick.filter((r) => !r.complete).length}` +
          ` | STUCK ${stuckNow} | engine's requests rejected ${rejects - rejectsAtLastReport}/min, its sockets to the silent peer ${silentOpen}` +
          ` | seeds up ${slots.filter((s) => s.seed).length}/${slots.length}, leechers ${leechers.size}`
        completionsAtLastReport = counters.completions
        rejectsAtLastReport = rejects
        console.log(line)
        if (verbose)
          for (const r of lastTick.filter((r) => !r.complete))
            console.log(
              `    ${r.infoHash.slice(0, 8)} ${r.status} ${r.downloaded}/${r.size} peers ${JSON.stringify(r.peers)}`,
            )
      }
    }
    if (interrupted) failure ??= 'interrupted (SIGINT)'
    else if (performance.now() < deadline) failure ??= 'loop ended early'
  } catch (e) {
    failure = `soak aborted: ${(e as Error).message.split('\n').slice(0, 6).join(' / ')}`
  } finally {
    const stopStart = performance.now()
    interrupted = true // background churn starts nothing more
    await Promise.race([Promise.all([...background]), sleep(30_000)])
    // the engine first: stopped after the daemon, it would report the bridge it lost
    if (engineProc) await engineProc.stop()
    await stopAll([...[...leechers].map((l) => l.peer), ...owned.splice(0), ...slots.map((s) => s.seed ?? undefined)])
    await tracker?.close()
    await rm(work, { recursive: true, force: true })
    process.off('SIGINT', onSigint)
    console.log(`stopped everything in ${((performance.now() - stopStart) / 1000).toFixed(1)} s`)
  }
  const ranMin = elapsedMin()
  return summarize({ ranMin, failure, counters, errors, stuckList, samples, hostileStats })
}

interface RunResult {
  ranMin: number
  failure: string | null
  counters: Record<string, number>
  errors: string[]
  stuckList: string[]
  samples: Sample[]
  hostileStats: JsonLine
}

/** Prints the summary table and the verdict; returns the exit code. */
function summarize(r: RunResult): number {
  const metrics: Array<{ name: string; unit: string; limit: GrowthLimit; get: (s: Sample) => number | null }> = [
    { name: 'engine RSS', unit: 'MiB', limit: LIMITS.rss, get: (s) => s.engine.rssMiB },
    { name: 'engine heap after GC', unit: 'MiB', limit: LIMITS.heap, get: (s) => s.engine.heapMiB },
    { name: 'engine external after GC', unit: 'MiB', limit: LIMITS.external, get: (s) => s.engine.externalMiB },
    { name: 'engine descriptors', unit: '', limit: LIMITS.fds, get: (s) => s.engine.fds },
    { name: 'daemon RSS', unit: 'MiB', limit: LIMITS.rss, get: (s) => s.daemon.rssMiB },
    { name: 'daemon heap after GC', unit: 'MiB', limit: LIMITS.heap, get: (s) => s.daemon.heapMiB },
    { name: 'daemon external after GC', unit: 'MiB', limit: LIMITS.external, get: (s) => s.daemon.externalMiB },
    { name: 'daemon descriptors', unit: '', limit: LIMITS.fds, get: (s) => s.daemon.fds },
    { name: 'daemon TCP sockets', unit: '', limit: LIMITS.tcp, get: (s) => s.daemon.tcp },
  ]
  const growing: string[] = []
  const rows = [
    '| metric | first | last | min–max | 2nd half: slope per min, rise | limit: per min, rise | verdict |',
    '|---|---:|---:|---:|---:|---:|---|',
  ]
  for (const m of metrics) {
    const pts: Point[] = r.samples.flatMap((s) => {
      const v = m.get(s)
      return v === null ? [] : [{ tMin: s.tMin, value: v }]
    })
    const v = growthVerdict(pts, r.ranMin, m.limit)
    const vals = pts.map((p) => p.value)
    const d = m.unit ? 1 : 0
    const u = m.unit ? ` ${m.unit}` : ''
    if (v.grows) growing.push(`${m.name} +${fmt(v.slope, 2)}${u}/min`)
    rows.push(
      `| ${m.name} | ${fmt(vals[0], d)}${u} | ${fmt(vals.at(-1), d)}${u} | ${vals.length ? `${fmt(Math.min(...vals), d)}–${fmt(Math.max(...vals), d)}` : '?'}${u} | ${v.slope === null ? `? (${v.fitted} points)` : `${v.slope >= 0 ? '+' : ''}${fmt(v.slope, 2)}, ${v.rise! >= 0 ? '+' : ''}${fmt(v.rise, 1)}${u}`} | ${m.limit.perMinute}, ${m.limit.minRise}${u} | ${v.slope === null ? 'too few samples' : v.grows ? '**GROWS**' : 'flat'} |`,
    )
  }
  const c = r.counters
  console.log(
    `\nsoak summary: ${fmt(r.ranMin, 1)} min, ${r.samples.length} samples (every ${SAMPLE_EVERY_MS / 1000} s)${r.ranMin < 10 ? '; under 10 min the growth fit has few points: a weak verdict' : ''}\n`,
  )
  console.log(rows.join('\n'))
  console.log(
    `\ncompletions ${c.completions}, re-adds into a fresh folder ${c.readds}, files left behind by remove ${c.leftovers}, seed restarts ${c.seedRestarts} (failed ${c.seedRestartFailures}), libtorrent leechers ${c.leecherRuns} (finished ${c.leechersFinished}), engine errors ${c.errors}, unanswered commands ${c.unanswered}, STUCK ${r.stuckList.length}`,
  )
  const h = r.hostileStats as Record<
    string,
    { engine?: { connections: number; closedByPeer: number; open: number; requests: number } } | undefined
  >
  console.log(
    `hostile peers, the engine's connections: ${['garbage', 'rejecter', 'silent', 'oversized']
      .map((k) => {
        const e = h[k]?.engine
        return `${k} ${e?.connections ?? 0} (${e?.closedByPeer ?? 0} closed by the engine${k === 'rejecter' ? `, ${e?.requests ?? 0} requests rejected` : ''})`
      })
      .join(', ')}`,
  )
  for (const s of r.stuckList) console.log(`  STUCK ${s}`)
  for (const e of r.errors) console.log(`  error ${e}`)
  const reasons = [
    ...(r.failure ? [r.failure] : []),
    ...growing.map((g) => `grows: ${g}`),
    ...(r.stuckList.length > 0 ? [`${r.stuckList.length} torrent(s) stuck`] : []),
    ...(c.errors > 0 || c.unanswered > 0 ? [`${c.errors} engine error(s), ${c.unanswered} unanswered command(s)`] : []),
    ...(c.completions === 0 ? ['nothing completed'] : []),
  ]
  console.log(reasons.length === 0 ? '\nsoak PASSED' : `\nsoak FAILED: ${reasons.join('; ')}`)
  return reasons.length === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
