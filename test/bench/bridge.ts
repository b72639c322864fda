/**
 * pnpm bench:bridge — the daemon bridge data path against direct TCP, in one run:
 *  (a) 1 GiB from a TCP sender process straight into a Node TCP reader (this process);
 *  (b) the same through a daemon child process into a BridgeClient (this process, `ws`);
 *  (c) write path: 1 GiB from a BridgeClient through the daemon into a file.
 * Prints MiB/s of each and the ratio (b)/(a). Env BENCH_MIB overrides the size (default 1024).
 * `--companion`: the secure channel against the plain bridge instead (bridge-companion.ts).
 * `--data-plane`: piece payloads kept in the daemon against today's path (bridge-data-plane.ts).
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises'
import net from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connectBridge } from '@tidepool/daemon-bridge'
import { connectBridgeNode, NodeWebSocket } from '@tidepool/daemon-bridge/node'
import { DATA_PATH_NODE_FLAGS } from '@tidepool/native-host'
import { child, cpuOf, selfCpu, senderScript, withLimit } from './bridge-kit.ts'

const MIB = 1024 * 1024
const SIZE_MIB = Number(process.env.BENCH_MIB ?? 1024)
const TOTAL = SIZE_MIB * MIB
// BENCH_HEAP=default runs the daemon with V8's default heap sizing (A/B for native-host/src/node-flags.ts;
// for this process, run `npx tsx test/bench/bridge.ts` instead of the pnpm script).
const daemonFlags = process.env.BENCH_HEAP === 'default' ? [] : DATA_PATH_NODE_FLAGS
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

interface Run {
  mibs: number
  /** CPU seconds per GiB moved: this process, and the daemon (0 for direct). */
  cpuSelf: number
  cpuDaemon: number
  frames: number
}

async function direct(port: number): Promise<Run> {
  const c0 = selfCpu()
  const t0 = performance.now()
  let got = 0
  await withLimit(
    new Promise<void>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1')
      s.on('data', (b) => (got += b.length))
      s.on('end', () => resolve())
      s.on('error', reject)
    }),
    'direct read',
  )
  if (got !== TOTAL) throw new Error(`direct: got ${got} of ${TOTAL}`)
  const gib = TOTAL / (1024 * MIB)
  return {
    mibs: TOTAL / MIB / ((performance.now() - t0) / 1000),
    cpuSelf: (selfCpu() - c0) / gib,
    cpuDaemon: 0,
    frames: 0,
  }
}

const best = (a: Run, b: Run): Run => (a.mibs >= b.mibs ? a : b)

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tidepool-bench-bridge-'))
  const procs: ChildProcess[] = []
  try {
    const sender = await child(process.execPath, ['-e', senderScript(TOTAL)])
    procs.push(sender.proc)
    const senderPort = Number(sender.line)
    const daemon = await child(join(repo, 'node_modules', '.bin', 'tsx'), [
      ...daemonFlags,
      join(repo, 'native-host/src/cli/daemon.ts'),
      '--port',
      '0',
      '--token-file',
      join(dir, 'token'),
      '--root',
      `bench=${dir}`,
      '--no-port-mapping',
      ...(process.env.BENCH_WINDOW ? ['--recv-window-bytes', process.env.BENCH_WINDOW] : []),
      ...(process.env.BENCH_FRAME ? ['--max-data-frame-bytes', process.env.BENCH_FRAME] : []),
    ])
    procs.push(daemon.proc)
    const info = JSON.parse(daemon.line) as { url: string; pid: number }
    const token = (await readFile(join(dir, 'token'), 'utf8')).trim()
    // A/B: BENCH_CLIENT=plain is the client with stock `ws` settings (ArrayBuffers, 64 KiB reads, random
    // mask, fragmented sends); BENCH_CLIENT=nopool is the Node entry without pooled sends.
    const plain = process.env.BENCH_CLIENT === 'plain'
    const client = plain
      ? await connectBridge({ url: info.url, token, WebSocketImpl: NodeWebSocket, sendMode: 'fragments' })
      : await connectBridgeNode({
          url: info.url,
          token,
          sendMode: process.env.BENCH_CLIENT === 'nopool' ? 'fragments' : 'pool',
        })

    // Warm-up both paths (JIT, TCP autotuning) with a small read, not counted.
    const directRun = best(await direct(senderPort), await direct(senderPort))
    const directMiBs = directRun.mibs

    const bridgeOnce = async (): Promise<Run> => {
      const c0 = selfCpu()
      const d0 = await cpuOf(info.pid)
      const t0 = performance.now()
      let got = 0
      let frames = 0
      const s = await client.net.connect({ host: '127.0.0.1', port: senderPort })
      await withLimit(
        new Promise<void>((resolve, reject) => {
          s.setHandlers({
            onData: (b) => {
              got += b.length
              frames++
            },
            onEnd: () => resolve(),
            onClose: (e) => (e ? reject(e) : resolve()),
          })
        }),
        'bridge read',
      )
      s.close()
      if (got !== TOTAL) throw new Error(`bridge: got ${got} of ${TOTAL}`)
      const mibs = TOTAL / MIB / ((performance.now() - t0) / 1000)
      const gib = TOTAL / (1024 * MIB)
      return { mibs, cpuSelf: (selfCpu() - c0) / gib, cpuDaemon: ((await cpuOf(info.pid)) - d0) / gib, frames }
    }
    const bridge = best(await bridgeOnce(), await bridgeOnce())

    // Write path: 1 MiB writes, 8 in flight, into one file.
    const f = await client.files.open('bench', 'write.bin', { create: true })
    const chunk = new Uint8Array(MIB).fill(98)
    const wc0 = selfCpu()
    const wd0 = await cpuOf(info.pid)
    const t0 = performance.now()
    let next = 0
    const writer = async (): Promise<void> => {
      while (next < SIZE_MIB) {
        const i = next++
        await f.write(i * MIB, chunk)
      }
    }
    await withLimit(Promise.all(Array.from({ length: 8 }, writer)), 'file write')
    const writeMiBs = SIZE_MIB / ((performance.now() - t0) / 1000)
    const gib = SIZE_MIB / 1024
    const writeCpu = { self: (selfCpu() - wc0) / gib, daemon: ((await cpuOf(info.pid)) - wd0) / gib }
    await f.close()
    const size = (await stat(join(dir, 'write.bin'))).size
    if (size !== TOTAL) throw new Error(`write: file has ${size} of ${TOTAL} bytes`)
    client.close()

    // Reference for (c): the same writes straight from this process into a file.
    const fh = await open(join(dir, 'direct.bin'), 'w')
    const dc0 = selfCpu()
    const t1 = performance.now()
    next = 0
    const directWriter = async (): Promise<void> => {
      while (next < SIZE_MIB) {
        const i = next++
        await fh.write(chunk, 0, MIB, i * MIB)
      }
    }
    await withLimit(Promise.all(Array.from({ length: 8 }, directWriter)), 'direct file write')
    const directWriteMiBs = SIZE_MIB / ((performance.now() - t1) / 1000)
    const directWriteCpu = (selfCpu() - dc0) / gib
    await fh.close()

    const r = (x: number): string => x.toFixed(0)
    const cpu = (x: number): string => x.toFixed(2)
    console.log(
      `bench:bridge ${SIZE_MIB} MiB per path (receive: best of 2${process.env.BENCH_CLIENT ? `, client ${process.env.BENCH_CLIENT}` : ''}; node flags: bench ${process.execArgv.filter((a) => a.startsWith('--initial')).join(' ') || 'default'}, daemon ${daemonFlags.join(' ') || 'default'}), load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
    )
    console.log(
      `  (a) direct TCP -> Node reader          ${r(directMiBs)} MiB/s   CPU s/GiB: reader ${cpu(directRun.cpuSelf)}`,
    )
    console.log(
      `  (b) TCP -> daemon -> BridgeClient (ws)  ${r(bridge.mibs)} MiB/s   CPU s/GiB: client ${cpu(bridge.cpuSelf)} + daemon ${cpu(bridge.cpuDaemon)}  (${bridge.frames} DATA frames, avg ${r(TOTAL / bridge.frames / 1024)} KiB)`,
    )
    console.log(`  ratio (b)/(a)                           ${(bridge.mibs / directMiBs).toFixed(2)}  (target >= 0.5)`)
    console.log(
      `  (c) BridgeClient -> daemon -> file      ${r(writeMiBs)} MiB/s   CPU s/GiB: client ${cpu(writeCpu.self)} + daemon ${cpu(writeCpu.daemon)}  (target >= 300 MiB/s)`,
    )
    console.log(
      `  (d) reference: direct Node file write   ${r(directWriteMiBs)} MiB/s   CPU s/GiB: ${cpu(directWriteCpu)}`,
    )
    console.log(
      JSON.stringify({
        directMiBs: Math.round(directMiBs),
        bridgeMiBs: Math.round(bridge.mibs),
        ratio: +(bridge.mibs / directMiBs).toFixed(2),
        writeMiBs: Math.round(writeMiBs),
        directWriteMiBs: Math.round(directWriteMiBs),
        cpuPerGiB: {
          directRead: +cpu(directRun.cpuSelf),
          bridgeClient: +cpu(bridge.cpuSelf),
          bridgeDaemon: +cpu(bridge.cpuDaemon),
          writeClient: +cpu(writeCpu.self),
          writeDaemon: +cpu(writeCpu.daemon),
        },
        load: +loadavg()[0].toFixed(1),
      }),
    )
  } finally {
    for (const p of procs) p.kill('SIGTERM')
    await rm(dir, { recursive: true, force: true })
  }
}

const run = process.argv.includes('--companion')
  ? () => import('./bridge-companion.ts').then((m) => m.companionBench())
  : process.argv.includes('--data-plane')
    ? () => import('./bridge-data-plane.ts').then((m) => m.dataPlaneBench())
    : main
run().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench:bridge failed: ${(e as Error).message}`)
    process.exit(1)
  },
)
