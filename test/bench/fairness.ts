/**
 * bench:fairness — a fair connection queue on loopback through the REAL daemon and bridge:
 * 3 torrents start at the same moment, each knowing 40 peers of which 30 never answer (their
 * SYNs are dropped: a listener whose accept backlog is full) and 10 are live (a TCP server that
 * completes the BitTorrent handshake). Run once through the engine's ConnectionQueue and once
 * with the queue bypassed (each torrent connects all its peers directly), printing per second
 * for 30 s: attempts, connecting, connected per torrent; then the daemon's busy count, Jain's
 * fairness index of (connecting + connected) averaged over the first 10 s, and the times to
 * 1, 5 and 10 live peers.
 *
 * The queue run uses the real BtEngine (its torrents, pools, queue and peer sessions over the
 * bridge's NetPort and FilePort). `--harness` runs the queue through a small harness of the same
 * parts instead (one PeerPool per torrent + ConnectionQueue + connect + 68-byte handshake); the
 * bypassed run always uses that harness, since the engine has no way around its queue.
 * Usage: pnpm bench:fairness [--seconds N] [--harness]   (N default 30, at most 30)
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectBridgeNode } from '@tidepool/daemon-bridge/node'
import {
  BtEngine,
  ConnectionQueue,
  createTorrent,
  encodeHandshake,
  generatePeerId,
  HANDSHAKE_LENGTH,
  IoError,
  parseHandshake,
  parseMetainfo,
  PeerPool,
  type FilePort,
  type NetPort,
  type StateStore,
  type TcpConnectOptions,
  type TcpSocket,
  type Torrent,
  type TorrentPeer,
} from '@tidepool/engine'
import { startDaemon } from '@tidepool/native-host'

const TORRENTS = 3
const DEAD_PER_TORRENT = 30
const LIVE_PER_TORRENT = 10
const secondsArg = process.argv.indexOf('--seconds')
const SECONDS = Math.min(30, Math.max(5, secondsArg > 0 ? Number(process.argv[secondsArg + 1]) || 30 : 30))
const USE_HARNESS = process.argv.includes('--harness')
const HANDSHAKE_TIMEOUT_MS = 10_000
const MAINTENANCE_MS = 1000

type Mode = 'engine' | 'queue' | 'direct'

interface Endpoint {
  ip: string
  port: number
  live: boolean
}

// ---------- peers ----------

/** Dead peers: listeners with backlog 1 that are never accepted, pre-filled so SYNs are dropped. */
const DEAD_PEERS_PY = `
import socket, sys, json
keep, ports = [], []
for i in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
    port = s.getsockname()[1]
    for _ in range(3):
        c = socket.socket(); c.setblocking(False)
        try: c.connect(('127.0.0.1', port))
        except BlockingIOError: pass
        keep.append(c)
    keep.append(s); ports.append(port)
print(json.dumps(ports), flush=True)
sys.stdin.read()
`

async function startDeadPeers(n: number): Promise<{ ports: number[]; stop: () => void }> {
  const child = spawn('/usr/bin/python3', ['-c', DEAD_PEERS_PY, String(n)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const ports = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dead-peer helper did not start in 10 s')), 10_000)
    let buf = ''
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      if (!buf.includes('\n')) return
      clearTimeout(timer)
      resolve(JSON.parse(buf.split('\n')[0]) as number[])
    })
    child.once('exit', (code) => reject(new Error(`dead-peer helper exited with ${code}`)))
  })
  return {
    ports,
    stop: () => {
      child.stdin.end() // it exits when stdin closes
      setTimeout(() => child.exitCode === null && child.pid && process.kill(child.pid, 'SIGTERM'), 2000).unref()
    },
  }
}

/** When each torrent's live peers answered a handshake, in ms since the current run started. */
const live = { startedAt: 0, at: [] as number[][] }

/** A live peer: completes the handshake for its torrent and keeps the connection open. */
async function startLivePeer(index: number, infoHash: Uint8Array, sockets: Set<net.Socket>): Promise<net.Server> {
  const peerId = generatePeerId()
  const server = net.createServer((sock) => {
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    sock.on('error', () => {})
    let buf = Buffer.alloc(0)
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      if (buf.length < HANDSHAKE_LENGTH) return
      sock.off('data', onData)
      const hs = parseHandshake(new Uint8Array(buf.subarray(0, HANDSHAKE_LENGTH)))
      if (!hs.ok || Buffer.compare(Buffer.from(hs.handshake.infoHash), Buffer.from(infoHash)) !== 0) sock.destroy()
      else {
        sock.write(encodeHandshake(infoHash, peerId))
        live.at[index]?.push(performance.now() - live.startedAt)
      }
    }
    sock.on('data', onData)
  })
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve))
  return server
}

/** Deterministic shuffle (mulberry32) so both runs see the same peer order. */
function shuffled<T>(xs: T[], seed: number): T[] {
  let a = seed >>> 0
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

// ---------- what every run measures ----------

interface Sample {
  attempts: number
  connecting: number
  connected: number
}

/** NetPort wrapper counting connects and `busy` answers per torrent (peers are told apart by port). */
class CountingNet implements NetPort {
  readonly attempts: number[]
  readonly busy: number[]
  constructor(
    private readonly inner: NetPort,
    private readonly owner: Map<number, number>,
    torrents: number,
  ) {
    this.attempts = new Array<number>(torrents).fill(0)
    this.busy = new Array<number>(torrents).fill(0)
  }
  get connectLimits() {
    return this.inner.connectLimits
  } // prettier-ignore
  connect(opts: TcpConnectOptions): Promise<TcpSocket> {
    const i = this.owner.get(opts.port)
    if (i !== undefined) this.attempts[i]++
    return this.inner.connect(opts).catch((err: unknown) => {
      if (i !== undefined && err instanceof IoError && err.code === 'busy') this.busy[i]++
      throw err
    })
  }
  listen(...args: Parameters<NetPort['listen']>) {
    return this.inner.listen(...args)
  } // prettier-ignore
  bindUdp(...args: Parameters<NetPort['bindUdp']>) {
    return this.inner.bindUdp(...args)
  } // prettier-ignore
}

/** One way of running the three torrents: the real engine, or the harness (queued or bypassed). */
interface Driver {
  /** Starts all torrents; calls `go()` at the moment they all get their peers. */
  start(go: () => void): Promise<void>
  sample(): Array<{ connecting: number; connected: number }>
  stop(): Promise<void>
}

// ---------- the real engine ----------

/** Session state the engine saves; nothing here needs it after the run. */
function memoryState(): StateStore {
  const m = new Map<string, Uint8Array>()
  return {
    get: async (k) => m.get(k) ?? null,
    set: async (k, v) => void m.set(k, v),
    delete: async (k) => void m.delete(k),
    keys: async (prefix) => [...m.keys()].filter((k) => k.startsWith(prefix)),
  }
}

function engineDriver(netPort: NetPort, files: FilePort, torrentFiles: Uint8Array[], endpoints: Endpoint[][]): Driver {
  const engine = new BtEngine({
    platform: { net: netPort, files, state: memoryState(), now: () => Date.now() },
    settings: { downloadRoot: 'data', localPeerDiscovery: false, portMapping: false, dhtEnabled: false }, // never the LAN, a router or the public DHT from a benchmark
    restoreSession: false,
    listen: false,
  })
  let torrents: Torrent[] = []
  return {
    async start(go) {
      await engine.start()
      torrents = await Promise.all(torrentFiles.map((f) => engine.add({ torrentFile: f })))
      go()
      // One synchronous pass: every torrent asks the engine's queue for slots at the same moment.
      torrents.forEach((t, i) => t.addPeers(endpoints[i], 'tracker'))
    },
    sample: () => torrents.map((t) => ({ connecting: t.connectingCount(), connected: t.sessions.size })),
    stop: () => engine.stop(),
  }
}

// ---------- the harness: the same parts without the engine ----------

class HarnessTorrent {
  readonly pool: PeerPool
  readonly hex: string
  readonly sockets = new Set<TcpSocket>()

  constructor(
    readonly infoHash: Uint8Array,
    private readonly h: Harness,
  ) {
    this.hex = Buffer.from(infoHash).toString('hex')
    this.pool = new PeerPool({
      config: { maxActiveConnections: DEAD_PER_TORRENT + LIVE_PER_TORRENT },
      connect: (p) => this.attempt(p),
      onSlotFreed: () => this.h.maintain(this),
    })
  }

  isActive(): boolean {
    return this.h.running
  }

  connectOnePeer(): TorrentPeer | null {
    return this.pool.connectOnePeer()
  }

  private attempt(peer: TorrentPeer): void {
    this.h.inFlight++
    this.h.net.connect({ host: peer.ip, port: peer.port }).then(
      (sock) => {
        this.h.inFlight--
        this.handshake(peer, sock)
      },
      (err: unknown) => {
        this.h.inFlight--
        this.pool.onConnectFailed(peer.ip, peer.port, err instanceof IoError ? err.code : 'io')
      },
    )
  }

  private handshake(peer: TorrentPeer, sock: TcpSocket): void {
    this.sockets.add(sock)
    let got = new Uint8Array(0)
    let done = false
    const timer = setTimeout(() => sock.close(), HANDSHAKE_TIMEOUT_MS)
    sock.setHandlers({
      onData: (d) => {
        if (done) return
        const next = new Uint8Array(got.length + d.length)
        next.set(got)
        next.set(d, got.length)
        got = next
        if (got.length < HANDSHAKE_LENGTH) return
        done = true
        clearTimeout(timer)
        if (!parseHandshake(got.subarray(0, HANDSHAKE_LENGTH)).ok) sock.close()
        else this.pool.onConnected(peer.ip, peer.port)
      },
      onClose: (error) => {
        clearTimeout(timer)
        this.sockets.delete(sock)
        if (!this.h.running) return
        if (done) this.pool.onDisconnected(peer.ip, peer.port, { error: !!error })
        else this.pool.onConnectFailed(peer.ip, peer.port, 'handshake failed')
      },
    })
    sock.write(encodeHandshake(this.infoHash, generatePeerId()))
  }
}

class Harness implements Driver {
  running = false
  inFlight = 0
  readonly torrents: HarnessTorrent[]
  readonly queue: ConnectionQueue
  private timers: Array<ReturnType<typeof setInterval>> = []

  constructor(
    readonly net: NetPort,
    private readonly queued: boolean,
    infoHashes: Uint8Array[],
    private readonly endpoints: Endpoint[][],
  ) {
    this.torrents = infoHashes.map((ih) => new HarnessTorrent(ih, this))
    const byHex = new Map(this.torrents.map((t) => [t.hex, t]))
    this.queue = new ConnectionQueue({
      getTorrent: (h) => byHex.get(h),
      connectLimits: net.connectLimits,
      connectsInFlight: () => this.inFlight,
    })
  }

  /** A torrent's maintenance: ask the queue for free slots, or connect directly when bypassed. */
  maintain(t: HarnessTorrent): void {
    if (!this.running) return
    if (!this.queued) {
      t.pool.connectToPeers()
      return
    }
    const free = t.pool.freeSlots()
    const pending = this.queue.getConnectionQueueStats().pendingByTorrent[t.hex] ?? 0
    this.queue.requestConnections(t.hex, Math.min(free, t.pool.candidates(free).length) - pending)
  }

  async start(go: () => void): Promise<void> {
    this.torrents.forEach((t, i) => t.pool.addPeers(this.endpoints[i], 'tracker'))
    this.running = true
    go()
    if (this.queued) this.queue.start()
    for (const t of this.torrents) this.maintain(t)
    for (const t of this.torrents) this.timers.push(setInterval(() => this.maintain(t), MAINTENANCE_MS))
  }

  sample() {
    return this.torrents.map((t) => {
      const st = t.pool.getStats()
      return { connecting: st.connecting, connected: st.connected }
    })
  }

  async stop(): Promise<void> {
    this.running = false
    this.queue.stop()
    for (const t of this.timers) clearInterval(t)
    for (const t of this.torrents) for (const s of [...t.sockets]) s.close()
  }
}

// ---------- the scenario ----------

interface Setup {
  endpoints: Endpoint[][]
  infoHashes: Uint8Array[]
  torrentFiles: Uint8Array[]
  portOwner: Map<number, number>
}

interface RunResult {
  mode: Mode
  busyDaemon: number
  busySeen: number[]
  jain10: number
  liveTimes: Array<[number | null, number | null, number | null]>
}

function jain(xs: number[]): number {
  const sum = xs.reduce((s, x) => s + x, 0)
  const sq = xs.reduce((s, x) => s + x * x, 0)
  return sq === 0 ? 1 : (sum * sum) / (xs.length * sq)
}

const TITLES: Record<Mode, string> = {
  engine: 'with the queue: the real BtEngine',
  queue: 'with the queue: harness (PeerPool + ConnectionQueue)',
  direct: 'queue bypassed: harness, every torrent connects all its peers directly',
}

async function runScenario(mode: Mode, setup: Setup): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tidepool-fairness-'))
  const token = randomBytes(16).toString('hex')
  const daemon = await startDaemon({ token, roots: { data: dir }, multicast: false })
  const bridge = await connectBridgeNode({ url: daemon.url, token })
  const counting = new CountingNet(bridge.net, setup.portOwner, TORRENTS)
  const driver: Driver =
    mode === 'engine'
      ? engineDriver(counting, bridge.files, setup.torrentFiles, setup.endpoints)
      : new Harness(counting, mode === 'queue', setup.infoHashes, setup.endpoints)
  const samples: Sample[][] = []
  const fmt = (s: Sample) =>
    `${String(s.attempts).padStart(3)} ${String(s.connecting).padStart(3)} ${String(s.connected).padStart(3)}`
  console.log(`\n== ${TITLES[mode]} ==`)
  console.log(`  t  | ${setup.infoHashes.map((_, i) => `T${i + 1} att cng cnd`).join(' | ')} | daemon busy`)
  try {
    await driver.start(() => {
      live.startedAt = performance.now()
      live.at = setup.infoHashes.map(() => [])
    })
    for (let sec = 1; sec <= SECONDS; sec++) {
      const wait = live.startedAt + sec * 1000 - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const row = driver.sample().map((x, i) => ({ attempts: counting.attempts[i], ...x }))
      samples.push(row)
      console.log(`${String(sec).padStart(3)}s | ${row.map(fmt).join(' | ')} | ${daemon.stats().busyCount}`)
    }
  } finally {
    // the driver may already have stopped with a failed run; the figures printed above are the result
    await driver.stop().catch(() => undefined)
  }
  const busyDaemon = daemon.stats().busyCount
  const liveAt = live.at.map((xs) => [...xs].sort((a, b) => a - b))
  live.at = []
  bridge.close()
  await daemon.close()
  rmSync(dir, { recursive: true, force: true })
  const first10 = samples.slice(0, 10).map((row) => jain(row.map((s) => s.connecting + s.connected)))
  const at = (xs: number[], n: number) => (xs.length >= n ? xs[n - 1] / 1000 : null)
  return {
    mode,
    busyDaemon,
    busySeen: counting.busy,
    jain10: first10.reduce((s, x) => s + x, 0) / first10.length,
    liveTimes: liveAt.map((xs) => [at(xs, 1), at(xs, 5), at(xs, 10)]),
  }
}

function report(r: RunResult): boolean {
  const s = (x: number | null) => (x === null ? 'never' : `${x.toFixed(2)} s`)
  console.log(`-- ${r.mode}: daemon busy = ${r.busyDaemon} (per torrent: ${r.busySeen.join(', ')})`)
  console.log(
    `-- ${r.mode}: Jain's fairness index of connecting+connected, mean over the first ${Math.min(10, SECONDS)} s = ${r.jain10.toFixed(3)}`,
  )
  r.liveTimes.forEach((t, i) =>
    console.log(`-- ${r.mode}: T${i + 1} reached 1 / 5 / 10 live peers at ${s(t[0])} / ${s(t[1])} / ${s(t[2])}`),
  )
  if (r.mode === 'direct') return true
  const ok = r.busyDaemon === 0 && r.jain10 >= 0.95 && r.liveTimes.every((t) => t[0] !== null && t[0] <= 5)
  console.log(
    `-- ${r.mode}: targets (zero busy, fairness >= 0.95, first live peer within 5 s): ${ok ? 'MET' : 'NOT MET'}`,
  )
  return ok
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error('bench:fairness: over its time bound (110 s), giving up')
    process.exit(2)
  }, 110_000)
  const dead = await startDeadPeers(TORRENTS * DEAD_PER_TORRENT)
  const liveSockets = new Set<net.Socket>()
  const servers: net.Server[] = []
  try {
    // Three small distinct torrents (the engine needs real metainfo; the peers only need the hash).
    const torrentFiles = await Promise.all(
      Array.from({ length: TORRENTS }, (_, i) =>
        createTorrent({
          name: `fairness-${i + 1}`,
          pieceLength: 16384,
          files: [{ path: 'data.bin', data: new Uint8Array(randomBytes(64 * 1024)) }],
        }),
      ),
    )
    const infoHashes = await Promise.all(
      torrentFiles.map(async (f) => Buffer.from((await parseMetainfo(f)).infoHash, 'hex')),
    )
    const endpoints: Endpoint[][] = []
    const portOwner = new Map<number, number>()
    for (let i = 0; i < TORRENTS; i++) {
      const list: Endpoint[] = dead.ports
        .slice(i * DEAD_PER_TORRENT, (i + 1) * DEAD_PER_TORRENT)
        .map((port) => ({ ip: '127.0.0.1', port, live: false }))
      for (let j = 0; j < LIVE_PER_TORRENT; j++) {
        const srv = await startLivePeer(i, new Uint8Array(infoHashes[i]), liveSockets)
        servers.push(srv)
        list.push({ ip: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, live: true })
      }
      for (const e of list) portOwner.set(e.port, i)
      endpoints.push(shuffled(list, 1000 + i))
    }
    const setup: Setup = { endpoints, infoHashes: infoHashes.map((b) => new Uint8Array(b)), torrentFiles, portOwner }
    console.log(
      `bench:fairness — ${TORRENTS} torrents × (${DEAD_PER_TORRENT} dead + ${LIVE_PER_TORRENT} live) peers, ${SECONDS} s per run, ` +
        `Node ${process.version}, load ${loadavg()[0].toFixed(1)}`,
    )
    console.log(
      'live peers at positions (of 40, in pool order): ' +
        endpoints.map((l, i) => `T${i + 1} [${l.flatMap((e, k) => (e.live ? [k + 1] : [])).join(',')}]`).join(' '),
    )
    const withQueue = await runScenario(USE_HARNESS ? 'queue' : 'engine', setup)
    const bypassed = await runScenario('direct', setup)
    console.log('\n== summary ==')
    const ok = report(withQueue)
    report(bypassed)
    process.exitCode = ok ? 0 : 1
  } finally {
    clearTimeout(deadline)
    for (const s of liveSockets) s.destroy()
    for (const srv of servers) srv.close()
    dead.stop()
  }
}

await main()
