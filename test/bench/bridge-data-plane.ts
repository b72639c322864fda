/**
 * pnpm bench:bridge --data-plane — piece payloads kept in the daemon (capability `data-plane`) against
 * today's path, in one run, plain and RC4:
 *  (u) unframed: the daemon forwards every byte; this process (the client, as the engine does today)
 *      decrypts (RC4), parses piece messages, copies blocks into 1 MiB pieces, hashes them (SHA-1) and
 *      writes them back with file.write;
 *  (f) framed: tcp.frame after the handshake; the daemon decrypts, keeps the blocks, sends 17-byte
 *      STORED messages, hashes and writes on dp.verify; the client only counts and verifies.
 * The peer is a child process (dp-sender.ts) that serves one whole piece per request, 16 pieces
 * requested ahead. Env BENCH_DP_MIB sets the size (default 256). Prints MiB/s and CPU seconds per GiB
 * of the client and the daemon for each path (and of the daemon's main thread alone: env
 * TIDEPOOL_DAEMON_HASH_THREADS=0 hashes there, as before the daemon's hash pool).
 */
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BridgeClient } from '@tidepool/daemon-bridge'
import { connectBridgeNode } from '@tidepool/daemon-bridge/node'
import { Rc4 } from '@tidepool/engine/mse'
import { DATA_PATH_NODE_FLAGS } from '@tidepool/native-host'
import { child, cpuOf, mainThreadCpuOf, selfCpu, withLimit } from './bridge-kit.ts'
import { benchPiece, DP_BENCH_KEY, DP_PIECE } from './dp-bench-data.ts'

const MIB = 1024 * 1024
const PIECES = Number(process.env.BENCH_DP_MIB ?? 256)
const TOTAL = PIECES * DP_PIECE
const BLOCK = 16 * 1024
const BLOCKS = DP_PIECE / BLOCK
const AHEAD = 16
const OUT_KEY = Uint8Array.from({ length: 20 }, (_, k) => 200 - k)
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

interface Run {
  mibs: number
  cpuClient: number
  cpuDaemon: number
  /** The daemon's main thread alone (hashing may run in its worker threads). */
  cpuDaemonMain: number
}

function request(p: number): Uint8Array {
  const m = new Uint8Array(17)
  const v = new DataView(m.buffer)
  v.setUint32(0, 13)
  m[4] = 6
  v.setUint32(5, p)
  v.setUint32(13, DP_PIECE)
  return m
}

async function measure(daemonPid: number, body: () => Promise<void>): Promise<Run> {
  const c0 = selfCpu()
  const d0 = await cpuOf(daemonPid)
  const m0 = await mainThreadCpuOf(daemonPid)
  const t0 = performance.now()
  await withLimit(body(), 'data-plane run')
  const gib = TOTAL / (1024 * MIB)
  return {
    mibs: TOTAL / MIB / ((performance.now() - t0) / 1000),
    cpuClient: (selfCpu() - c0) / gib,
    cpuDaemon: ((await cpuOf(daemonPid)) - d0) / gib,
    cpuDaemonMain: ((await mainThreadCpuOf(daemonPid)) - m0) / gib,
  }
}

/** Today's path: every byte to the client, which decrypts, assembles, hashes and writes. */
async function unframed(client: BridgeClient, port: number, rc4: boolean, hashes: Uint8Array[]): Promise<void> {
  const file = await client.files.open('bench', `unframed-${rc4}.bin`, { create: true })
  const s = await client.net.connect({ host: '127.0.0.1', port })
  const dec = rc4 ? new Rc4(DP_BENCH_KEY) : null
  const enc = rc4 ? new Rc4(OUT_KEY) : null
  const bufs = new Map<number, { data: Uint8Array; blocks: number }>()
  const writes: Promise<void>[] = []
  let requested = 0
  let done = 0
  let skip = 68
  const head = new Uint8Array(13)
  let headFill = 0
  let bodyLeft = 0
  let piece = 0
  let at = 0
  const ask = (): void => {
    while (requested < PIECES && requested - done < AHEAD) {
      const r = request(requested++)
      s.write(enc ? enc.process(r) : r)
    }
  }
  await new Promise<void>((resolve, reject) => {
    const complete = (p: number, data: Uint8Array): void => {
      const digest = createHash('sha1').update(data).digest()
      if (!digest.equals(hashes[p]!)) return reject(new Error(`unframed: piece ${p} hash differs`))
      writes.push(file.write(p * DP_PIECE, data))
      bufs.delete(p)
      done++
      if (done === PIECES) resolve()
      else ask()
    }
    s.setHandlers({
      onData: (raw) => {
        const b = dec ? dec.process(raw, new Uint8Array(raw.length)) : raw
        let pos = 0
        if (skip > 0) {
          const n = Math.min(skip, b.length)
          skip -= n
          pos = n
          if (skip === 0) ask()
        }
        while (pos < b.length) {
          if (bodyLeft === 0) {
            const n = Math.min(13 - headFill, b.length - pos)
            head.set(b.subarray(pos, pos + n), headFill)
            headFill += n
            pos += n
            if (headFill < 13) break
            const v = new DataView(head.buffer)
            if (head[4] !== 7) return reject(new Error(`unframed: message id ${head[4]}`))
            piece = v.getUint32(5)
            at = v.getUint32(9)
            bodyLeft = v.getUint32(0) - 9
            headFill = 0
          }
          const n = Math.min(bodyLeft, b.length - pos)
          let buf = bufs.get(piece)
          if (!buf) {
            buf = { data: new Uint8Array(DP_PIECE), blocks: 0 }
            bufs.set(piece, buf)
          }
          buf.data.set(b.subarray(pos, pos + n), at)
          at += n
          pos += n
          bodyLeft -= n
          if (bodyLeft === 0 && ++buf.blocks === BLOCKS) complete(piece, buf.data)
        }
      },
      onClose: (e) => (e ? reject(e) : undefined),
    })
  })
  await Promise.all(writes)
  await file.close()
  s.close()
}

/** The data plane: the daemon keeps, hashes and writes; the client counts STORED messages. */
async function framed(client: BridgeClient, port: number, rc4: boolean, hashes: Uint8Array[]): Promise<void> {
  const dp = client.dataPlane
  if (!dp) throw new Error('the daemon does not announce data-plane')
  const t = await dp.openTorrent({
    root: 'bench',
    pieceLength: DP_PIECE,
    files: [{ path: `framed-${rc4}.bin`, length: TOTAL }],
  })
  const s = await client.net.connect({ host: '127.0.0.1', port, framable: true })
  const stored = new Map<number, number>()
  const verifies: Promise<void>[] = []
  let requested = 0
  let done = 0
  let raw = 0
  let isFramed = false
  const tail = new Uint8Array(17)
  let tailFill = 0
  await new Promise<void>((resolve, reject) => {
    const ask = (): void => {
      while (requested < PIECES && requested - done < AHEAD) {
        if (!t.openPiece(requested)) return reject(new Error('store full'))
        s.write(request(requested++))
      }
    }
    const onStored = (m: Uint8Array): void => {
      if (m[4] !== 250) return reject(new Error(`framed: message id ${m[4]} (a block was not kept)`))
      const p = new DataView(m.buffer, m.byteOffset).getUint32(5)
      const n = (stored.get(p) ?? 0) + 1
      stored.set(p, n)
      if (n < BLOCKS) return
      stored.delete(p)
      verifies.push(
        t.verifyPiece(p, hashes[p]!).then((v) => {
          if (v !== 'verified') return reject(new Error(`framed: piece ${p} ${v}`))
          done++
          if (done === PIECES) resolve()
          else ask()
        }, reject),
      )
    }
    s.setHandlers({
      onData: (b) => {
        if (!isFramed) {
          raw += b.length
          if (raw >= 68 && raw - b.length < 68) {
            const cipher = rc4
              ? (() => {
                  const d = new Rc4(DP_BENCH_KEY)
                  d.skip(68)
                  return { decrypt: d.snapshot(), encrypt: new Rc4(OUT_KEY).snapshot() }
                })()
              : undefined
            s.frame!({ torrent: t, at: 68, cipher }, (ok, e) => {
              if (!ok) return reject(e)
              isFramed = true
              ask()
            })
          }
          return
        }
        let pos = 0
        if (tailFill > 0) {
          const n = Math.min(17 - tailFill, b.length)
          tail.set(b.subarray(0, n), tailFill)
          tailFill += n
          pos = n
          if (tailFill < 17) return
          onStored(tail)
          tailFill = 0
        }
        for (; pos + 17 <= b.length; pos += 17) onStored(b.subarray(pos, pos + 17))
        if (pos < b.length) {
          tail.set(b.subarray(pos), 0)
          tailFill = b.length - pos
        }
      },
      onClose: (e) => (e ? reject(e) : undefined),
    })
  })
  await Promise.all(verifies)
  s.close()
  await t.close()
}

export async function dataPlaneBench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tidepool-bench-dp-'))
  const procs: ChildProcess[] = []
  try {
    const tsx = join(repo, 'node_modules', '.bin', 'tsx')
    process.env.BENCH_DP_MIB = String(PIECES) // the senders serve as many pieces
    const plainSender = await child(tsx, [join(repo, 'test/bench/dp-sender.ts')])
    const rc4Sender = await child(tsx, [join(repo, 'test/bench/dp-sender.ts'), 'rc4'])
    procs.push(plainSender.proc, rc4Sender.proc)
    const daemon = await child(tsx, [
      ...DATA_PATH_NODE_FLAGS,
      join(repo, 'native-host/src/cli/daemon.ts'),
      '--port',
      '0',
      '--token-file',
      join(dir, 'token'),
      '--root',
      `bench=${dir}`,
      '--no-port-mapping',
    ])
    procs.push(daemon.proc)
    const info = JSON.parse(daemon.line) as { url: string; pid: number }
    const token = (await readFile(join(dir, 'token'), 'utf8')).trim()
    const client = await connectBridgeNode({ url: info.url, token })
    const hashes = Array.from({ length: PIECES }, (_, p) => createHash('sha1').update(benchPiece(p)).digest())
    const ports = { plain: Number(plainSender.line), rc4: Number(rc4Sender.line) }
    const results: Record<string, Run> = {}
    // Two rounds, alternating paths, best of each: the machine is shared.
    for (let round = 0; round < 2; round++) {
      for (const cipher of ['plain', 'rc4'] as const) {
        for (const path of ['unframed', 'framed'] as const) {
          const fn = path === 'framed' ? framed : unframed
          const r = await measure(info.pid, () => fn(client, ports[cipher], cipher === 'rc4', hashes))
          const key = `${path} ${cipher}`
          if (!results[key] || results[key].mibs < r.mibs) results[key] = r
          await rm(join(dir, `${path}-${cipher === 'rc4'}.bin`), { force: true })
        }
      }
    }
    client.close()
    const f = (x: number): string => x.toFixed(2)
    console.log(
      `bench:bridge --data-plane ${PIECES} MiB of 1 MiB pieces per path (best of 2), load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
    )
    for (const [k, r] of Object.entries(results)) {
      console.log(
        `  ${k.padEnd(16)} ${r.mibs.toFixed(0).padStart(5)} MiB/s   CPU s/GiB: client ${f(r.cpuClient)} + daemon ${f(r.cpuDaemon)} = ${f(r.cpuClient + r.cpuDaemon)} (daemon main thread ${f(r.cpuDaemonMain)})`,
      )
    }
    for (const c of ['plain', 'rc4']) {
      const u = results[`unframed ${c}`]!
      const fr = results[`framed ${c}`]!
      console.log(
        `  ${c}: framed/unframed ${(fr.mibs / u.mibs).toFixed(2)}x MiB/s, client CPU ${(fr.cpuClient / u.cpuClient).toFixed(2)}x`,
      )
    }
    console.log(
      JSON.stringify({
        results: Object.fromEntries(
          Object.entries(results).map(([k, r]) => [
            k,
            {
              mibs: Math.round(r.mibs),
              cpuClient: +f(r.cpuClient),
              cpuDaemon: +f(r.cpuDaemon),
              cpuDaemonMain: +f(r.cpuDaemonMain),
            },
          ]),
        ),
        load: +loadavg()[0].toFixed(1),
      }),
    )
  } finally {
    for (const p of procs) p.kill('SIGTERM')
    await rm(dir, { recursive: true, force: true })
  }
}
