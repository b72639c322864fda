/**
 * pnpm bench:bridge --companion — the secure channel (docs/daemon-protocol.md §12) against the plain
 * bridge, in one run, over loopback:
 *  (p) TCP sender -> plain daemon -> BridgeClient (connectBridgeNode);
 *  (s) TCP sender -> companion daemon -> BridgeClient inside the secure channel (connectCompanionNode);
 *  (pw)/(sw) the write path of each: 1 MiB writes, 8 in flight, into a file.
 * Both daemons are child processes started the same way. Target: (s) >= 0.5 x (p) and >= 100 MiB/s.
 * Env BENCH_MIB overrides the size (default 1024).
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BridgeClient } from '@tidepool/daemon-bridge'
import { connectBridgeNode, connectCompanionNode, NodeWebSocket } from '@tidepool/daemon-bridge/node'
import { newCompanionIdentity, pairWithCompanion } from '@tidepool/daemon-bridge/secure'
import { DATA_PATH_NODE_FLAGS } from '@tidepool/native-host'
import { child, cpuOf, selfCpu, senderScript, withLimit } from './bridge-kit.ts'

const MIB = 1024 * 1024
const SIZE_MIB = Number(process.env.BENCH_MIB ?? 1024)
const TOTAL = SIZE_MIB * MIB
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

interface Run {
  mibs: number
  cpuSelf: number
  cpuDaemon: number
}

async function readRun(client: BridgeClient, daemonPid: number, senderPort: number): Promise<Run> {
  const c0 = selfCpu()
  const d0 = await cpuOf(daemonPid)
  const t0 = performance.now()
  let got = 0
  const s = await client.net.connect({ host: '127.0.0.1', port: senderPort })
  await withLimit(
    new Promise<void>((resolve, reject) => {
      s.setHandlers({
        onData: (b) => {
          got += b.length
        },
        onEnd: () => resolve(),
        onClose: (e) => (e ? reject(e) : resolve()),
      })
    }),
    'bridge read',
  )
  s.close()
  if (got !== TOTAL) throw new Error(`read: got ${got} of ${TOTAL}`)
  const gib = TOTAL / (1024 * MIB)
  return {
    mibs: TOTAL / MIB / ((performance.now() - t0) / 1000),
    cpuSelf: (selfCpu() - c0) / gib,
    cpuDaemon: ((await cpuOf(daemonPid)) - d0) / gib,
  }
}

async function writeRun(client: BridgeClient, daemonPid: number, dir: string, name: string): Promise<Run> {
  const f = await client.files.open('bench', name, { create: true })
  const chunk = new Uint8Array(MIB).fill(98)
  const c0 = selfCpu()
  const d0 = await cpuOf(daemonPid)
  const t0 = performance.now()
  let next = 0
  const writer = async (): Promise<void> => {
    while (next < SIZE_MIB) {
      const i = next++
      await f.write(i * MIB, chunk)
    }
  }
  await withLimit(Promise.all(Array.from({ length: 8 }, writer)), 'file write')
  const mibs = SIZE_MIB / ((performance.now() - t0) / 1000)
  const gib = SIZE_MIB / 1024
  const run = { mibs, cpuSelf: (selfCpu() - c0) / gib, cpuDaemon: ((await cpuOf(daemonPid)) - d0) / gib }
  await f.close()
  const size = (await stat(join(dir, name))).size
  if (size !== TOTAL) throw new Error(`write: file has ${size} of ${TOTAL} bytes`)
  await client.files.remove('bench', name)
  return run
}

const best = (a: Run, b: Run): Run => (a.mibs >= b.mibs ? a : b)

export async function companionBench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tidepool-bench-companion-'))
  const procs: ChildProcess[] = []
  const tsx = join(repo, 'node_modules', '.bin', 'tsx')
  const daemonCli = join(repo, 'native-host/src/cli/daemon.ts')
  try {
    const sender = await child(process.execPath, ['-e', senderScript(TOTAL)], 'ignore')
    procs.push(sender.proc)
    const senderPort = Number(sender.line)
    const plainD = await child(
      tsx,
      [
        ...DATA_PATH_NODE_FLAGS,
        daemonCli,
        '--port',
        '0',
        '--token-file',
        join(dir, 'token'),
        '--root',
        `bench=${dir}`,
        '--no-port-mapping',
      ],
      'ignore',
    )
    procs.push(plainD.proc)
    const plainInfo = JSON.parse(plainD.line) as { url: string; pid: number }
    const secD = await child(
      tsx,
      [
        ...DATA_PATH_NODE_FLAGS,
        daemonCli,
        '--companion',
        '--listen',
        '127.0.0.1:0',
        '--state-dir',
        join(dir, 'companion-state'),
        '--root',
        `bench=${dir}`,
        '--no-port-mapping',
      ],
      'ignore',
    )
    procs.push(secD.proc)
    const secInfo = JSON.parse(secD.line) as { url: string; pid: number; companion: { pairingCode: string } }
    const identity = newCompanionIdentity()
    const paired = await pairWithCompanion({
      url: secInfo.url,
      code: secInfo.companion.pairingCode,
      clientName: 'bench',
      identity,
      WebSocketImpl: NodeWebSocket,
    })
    const token = (await readFile(join(dir, 'token'), 'utf8')).trim()
    const plain = await connectBridgeNode({ url: plainInfo.url, token })
    const secure = await connectCompanionNode({ paired, identity })

    // Alternate the two so drift in machine load hits both alike; best of 2 each.
    const p1 = await readRun(plain, plainInfo.pid, senderPort)
    const s1 = await readRun(secure, secInfo.pid, senderPort)
    const p2 = await readRun(plain, plainInfo.pid, senderPort)
    const s2 = await readRun(secure, secInfo.pid, senderPort)
    const pRead = best(p1, p2)
    const sRead = best(s1, s2)
    const pWrite = await writeRun(plain, plainInfo.pid, dir, 'plain.bin')
    const sWrite = await writeRun(secure, secInfo.pid, dir, 'secure.bin')
    plain.close()
    secure.close()

    const r = (x: number): string => x.toFixed(0)
    const cpu = (x: number): string => x.toFixed(2)
    const line = (what: string, run: Run): string =>
      `  ${what.padEnd(44)} ${r(run.mibs).padStart(5)} MiB/s   CPU s/GiB: client ${cpu(run.cpuSelf)} + daemon ${cpu(run.cpuDaemon)}`
    console.log(
      `bench:bridge --companion ${SIZE_MIB} MiB per path (reads best of 2, alternating), load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
    )
    console.log(line('(p) TCP -> daemon -> client, plain bridge', pRead))
    console.log(line('(s) TCP -> companion -> client, secure', sRead))
    console.log(
      `  ratio (s)/(p) read                           ${(sRead.mibs / pRead.mibs).toFixed(2)}  (target >= 0.5, and >= 100 MiB/s)`,
    )
    console.log(line('(pw) client -> daemon -> file, plain', pWrite))
    console.log(line('(sw) client -> companion -> file, secure', sWrite))
    console.log(`  ratio (sw)/(pw) write                        ${(sWrite.mibs / pWrite.mibs).toFixed(2)}`)
    console.log(
      JSON.stringify({
        plainReadMiBs: Math.round(pRead.mibs),
        secureReadMiBs: Math.round(sRead.mibs),
        readRatio: +(sRead.mibs / pRead.mibs).toFixed(2),
        plainWriteMiBs: Math.round(pWrite.mibs),
        secureWriteMiBs: Math.round(sWrite.mibs),
        writeRatio: +(sWrite.mibs / pWrite.mibs).toFixed(2),
        load: +loadavg()[0].toFixed(1),
      }),
    )
  } finally {
    for (const p of procs) p.kill('SIGTERM')
    await rm(dir, { recursive: true, force: true })
  }
}
