/**
 * pnpm bench:helper — what the daemon costs as people install it (the packed `tidepool-helper` bundle)
 * against the same daemon run from the checkout through tsx, in one run: resident memory and CPU when
 * idle, and while the CLI downloads a torrent from a real libtorrent seed through it (the daemon moves
 * every byte: peer socket → bridge, bridge → file). The figures are the budget a phone must meet.
 * Env BENCH_MIB: torrent size (default 256); BENCH_IDLE_S: idle window (default 10).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { DATA_PATH_NODE_FLAGS } from '@tidepool/native-host'
import { packHelper } from '../../native-host/pack/pack-helper.mjs'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { cpuSecondsOf, peakRssKiB } from '../fixtures/processes.ts'
import { createSwarm } from '../fixtures/swarm.ts'
import { REPO_ROOT, tidepoolDownload } from '../fixtures/tidepool-cli.ts'

const MIB = 1024 * 1024
const SIZE_MIB = Number(process.env.BENCH_MIB ?? 256)
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 10)
const DOWNLOAD_LIMIT_S = 300

interface Shape {
  name: string
  args: string[]
}

interface Figures {
  shape: string
  idleRssMiB: number
  idleCpuPct: number
  mibPerS: number
  cpuSPerGiB: number
  peakRssMiB: number
}

async function rssKiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : Number.NaN
}

async function startDaemon(
  shape: Shape,
  tokenFile: string,
  root: string,
): Promise<{ proc: ChildProcess; port: number }> {
  const args = [...shape.args, '--port', '0', '--token-file', tokenFile, '--root', `downloads=${root}`]
  args.push('--no-multicast', '--no-port-mapping')
  const proc = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TIDEPOOL_NO_PORT_MAPPING: '1', TIDEPOOL_NO_MULTICAST: '1' },
  })
  const line = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${shape.name}: no port line in 30 s`)), 30_000)
    createInterface({ input: proc.stdout! }).once('line', (l) => {
      clearTimeout(t)
      resolve(l)
    })
    proc.once('exit', (c) => reject(new Error(`${shape.name} daemon exited ${c}`)))
  })
  return { proc, port: (JSON.parse(line) as { port: number }).port }
}

async function measure(
  shape: Shape,
  work: string,
  swarm: Awaited<ReturnType<typeof createSwarm>>,
  torrent: { path: string; infoHash: string; name: string; contentPath: string },
): Promise<Figures> {
  const dir = join(work, shape.name)
  await mkdir(join(dir, 'out'), { recursive: true })
  const tokenFile = join(dir, 'token')
  await writeFile(tokenFile, `${'ab'.repeat(32)}\n`, { mode: 0o600 })
  const d = await startDaemon(shape, tokenFile, join(dir, 'out'))
  const pid = d.proc.pid!
  try {
    await new Promise((r) => setTimeout(r, 3000)) // start-up settles
    const cpu0 = (await cpuSecondsOf(pid)) ?? 0
    await new Promise((r) => setTimeout(r, IDLE_S * 1000))
    const idleCpu = ((await cpuSecondsOf(pid)) ?? 0) - cpu0
    const idleRss = await rssKiB(pid)
    const cpu1 = (await cpuSecondsOf(pid)) ?? 0
    const started = Date.now()
    const run = tidepoolDownload([torrent.path], {
      out: join(dir, 'out'),
      daemonUrl: `ws://127.0.0.1:${d.port}`,
      tokenFile,
      timeoutSec: DOWNLOAD_LIMIT_S,
      name: `tidepool via ${shape.name}`,
    })
    const code = await run.wait((DOWNLOAD_LIMIT_S + 30) * 1000)
    const seconds = (Date.now() - started) / 1000
    if (code !== 0) throw new Error(`download through ${shape.name} failed: ${run.describe()}`)
    const diff = await diffTrees(torrent.contentPath, join(dir, 'out', torrent.name))
    if (diff.length) throw new Error(`${shape.name}: bytes differ: ${diff.slice(0, 3).join(', ')}`)
    const moved = ((await cpuSecondsOf(pid)) ?? 0) - cpu1
    const gib = (SIZE_MIB * MIB) / (1024 * MIB)
    return {
      shape: shape.name,
      idleRssMiB: idleRss / 1024,
      idleCpuPct: (idleCpu / IDLE_S) * 100,
      mibPerS: SIZE_MIB / seconds,
      cpuSPerGiB: moved / gib,
      peakRssMiB: ((await peakRssKiB(pid)) ?? Number.NaN) / 1024,
    }
  } finally {
    d.proc.kill('SIGTERM')
    await new Promise((r) => d.proc.once('exit', r))
    void swarm
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'tidepool-bench-helper-'))
  const swarm = await createSwarm('tidepool-bench-helper-swarm-')
  try {
    const tarball = await packHelper({ outDir: join(work, 'pack'), quiet: true })
    execFileSync('tar', ['xzf', tarball, '-C', join(work, 'pack')])
    const bundle = join(work, 'pack', 'package', 'bin', 'tidepool-helper.mjs')
    const shapes: Shape[] = [
      { name: 'bundle', args: [...DATA_PATH_NODE_FLAGS, bundle, 'daemon'] },
      {
        name: 'tsx',
        args: [
          ...DATA_PATH_NODE_FLAGS,
          '--import',
          import.meta.resolve('tsx'),
          join(REPO_ROOT, 'native-host', 'src', 'cli', 'daemon.ts'),
        ],
      },
    ]
    const t = await swarm.torrent({ name: 'helper bench.bin', size: SIZE_MIB * MIB, pieceLength: 256 * 1024, seed: 7 })
    await swarm.seed(t)
    const load = loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')
    const rows: Figures[] = []
    for (const s of shapes)
      rows.push(
        await measure(s, work, swarm, {
          path: t.torrentPath,
          infoHash: t.infoHash,
          name: t.name,
          contentPath: t.contentPath,
        }),
      )
    console.log(
      `\nbench:helper — daemon shapes, ${SIZE_MIB} MiB from one libtorrent seed via the CLI (load at start: ${load})`,
    )
    console.log('| daemon | idle RSS MiB | idle CPU % | download MiB/s | daemon CPU-s/GiB | daemon peak RSS MiB |')
    console.log('| --- | --- | --- | --- | --- | --- |')
    for (const r of rows)
      console.log(
        `| ${r.shape} | ${r.idleRssMiB.toFixed(1)} | ${r.idleCpuPct.toFixed(2)} | ${r.mibPerS.toFixed(0)} | ${r.cpuSPerGiB.toFixed(2)} | ${r.peakRssMiB.toFixed(1)} |`,
      )
    const [b, x] = rows as [Figures, Figures]
    console.log(
      `bundle/tsx: idle RSS ${(b.idleRssMiB / x.idleRssMiB).toFixed(2)}x, CPU-s/GiB ${(b.cpuSPerGiB / x.cpuSPerGiB).toFixed(2)}x, peak RSS ${(b.peakRssMiB / x.peakRssMiB).toFixed(2)}x`,
    )
    console.log(
      `load at end: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    )
  } finally {
    await swarm.close()
    await rm(work, { recursive: true, force: true })
  }
}

await main()
