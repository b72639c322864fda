// Four hostile BitTorrent peers for `pnpm soak`, in a process of their own. Each is a TCP server on
// 127.0.0.1 that answers the handshake for every info-hash it was given and announces itself to the
// tracker for each (again every minute), so the engine finds it next to the real seeds:
//   garbage    completes the handshake, then sends 16 KiB of random bytes
//   rejecter   claims every piece (BEP 6 have-all), unchokes, and answers every request with a reject
//   silent     accepts and then says nothing (every other connection after answering the handshake)
//   oversized  completes the handshake, then sends a message length prefix of 2^31 - 1
//
//   node --import tsx test/soak/hostile-peers.ts --tracker URL --info-hashes HEX,HEX,...
// stdout: {"event":"listening","ports":{kind: port}}, then {"event":"stats",...} every 10 s.
import { randomBytes } from 'node:crypto'
import { get } from 'node:http'
import { createServer, type Server, type Socket } from 'node:net'
import { option } from '../bench/bench-args.ts'

type Kind = 'garbage' | 'rejecter' | 'silent' | 'oversized'
const KINDS: Kind[] = ['garbage', 'rejecter', 'silent', 'oversized']

const PSTR = Buffer.from('\x13BitTorrent protocol', 'latin1')
const HANDSHAKE_BYTES = 68
const MAX_MESSAGE = 1 << 20 // anything longer from the engine is a bug on its side; drop it
const MAX_OPEN_PER_KIND = 200 // the silent peer's held sockets are capped, oldest closed first
const SOCKET_LIFETIME_MS = 120_000 // except the silent peer's: how long the engine holds those is measured
const ANNOUNCE_EVERY_MS = 60_000
const STATS_EVERY_MS = 10_000

const MSG = { unchoke: 1, request: 6, haveAll: 0x0e, reject: 0x10 } as const

const tracker = option('tracker', '')
const infoHashes = new Set(
  option('info-hashes', '')
    .split(',')
    .filter((h) => /^[0-9a-f]{40}$/.test(h)),
)

// Counted apart for Tidepool's engine (peer id -TP…) and everyone else: the libtorrent peers find these
// hostile peers through the tracker too.
type Who = 'engine' | 'other'
interface Counts {
  connections: number
  open: number
  closedByPeer: number
  requests: number
}
const newCounts = (): Counts => ({ connections: 0, open: 0, closedByPeer: 0, requests: 0 })
const stats = Object.fromEntries(KINDS.map((k) => [k, { engine: newCounts(), other: newCounts() }])) as Record<
  Kind,
  Record<Who, Counts>
>
const accepted: Record<Kind, number> = { garbage: 0, rejecter: 0, silent: 0, oversized: 0 }
const openSockets: Record<Kind, Set<Socket>> = {
  garbage: new Set(),
  rejecter: new Set(),
  silent: new Set(),
  oversized: new Set(),
}
const peerIds = Object.fromEntries(
  KINDS.map((k) => [k, Buffer.concat([Buffer.from('-HX0001-'), randomBytes(12)])]),
) as Record<Kind, Buffer>

const emit = (obj: object): void => {
  process.stdout.write(`${JSON.stringify(obj)}\n`)
}

function handshake(kind: Kind, infoHash: Buffer): Buffer {
  const reserved = Buffer.alloc(8)
  if (kind === 'rejecter') reserved[7] |= 0x04 // BEP 6 fast extension: have-all and reject need it
  return Buffer.concat([PSTR, reserved, infoHash, peerIds[kind]])
}

function message(id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5)
  head.writeUInt32BE(payload.length + 1, 0)
  head[4] = id
  return Buffer.concat([head, payload])
}

function serve(kind: Kind, socket: Socket): void {
  const n = ++accepted[kind]
  const open = openSockets[kind]
  open.add(socket)
  if (open.size > MAX_OPEN_PER_KIND) open.values().next().value?.destroy()
  let who: Who | null = null // known once its handshake has arrived (outgoing peers speak first)
  let peerHungUp = false // a FIN or a reset from the other side, not our own destroy()
  socket.on('end', () => {
    peerHungUp = true
  })
  socket.on('error', () => {
    peerHungUp = true
  })
  socket.on('close', () => {
    open.delete(socket)
    if (who === null) return
    stats[kind][who].open--
    if (peerHungUp) stats[kind][who].closedByPeer++
  })
  if (kind !== 'silent') socket.setTimeout(SOCKET_LIFETIME_MS, () => socket.destroy())
  const mute = kind === 'silent' && n % 2 === 1 // accepted, never a byte back

  let buf: Buffer = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
    if (who === null) {
      if (buf.length < HANDSHAKE_BYTES) return
      const infoHash = buf.subarray(28, 48)
      if (!buf.subarray(0, 20).equals(PSTR) || !infoHashes.has(infoHash.toString('hex'))) return void socket.destroy()
      who = buf.subarray(48, 51).toString('latin1') === '-TP' ? 'engine' : 'other'
      stats[kind][who].connections++
      stats[kind][who].open++
      buf = buf.subarray(HANDSHAKE_BYTES)
      if (mute) return
      socket.write(handshake(kind, infoHash))
      if (kind === 'garbage') socket.write(randomBytes(16 * 1024))
      if (kind === 'oversized') socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, ...new Uint8Array(1024)]))
      if (kind === 'rejecter') socket.write(Buffer.concat([message(MSG.haveAll), message(MSG.unchoke)]))
    }
    if (kind !== 'rejecter') {
      buf = Buffer.alloc(0)
      return
    } // the others never listen
    // the rejecter reads whole messages and answers each request with a reject of the same block
    for (let guard = 0; guard < 100_000 && buf.length >= 4; guard++) {
      const len = buf.readUInt32BE(0)
      if (len > MAX_MESSAGE) return void socket.destroy()
      if (buf.length < 4 + len) break
      if (len === 13 && buf[4] === MSG.request) {
        stats.rejecter[who].requests++
        socket.write(message(MSG.reject, buf.subarray(5, 17)))
      }
      buf = buf.subarray(4 + len)
    }
  })
}

function listen(kind: Kind): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => serve(kind, s))
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

const percentEncode = (hex: string): string => hex.replace(/../g, (b) => `%${b}`)

/** One HTTP announce; failures are counted, not fatal (the tracker may be busy). */
function announce(kind: Kind, infoHash: string, port: number, event?: string): Promise<boolean> {
  const q =
    `info_hash=${percentEncode(infoHash)}&peer_id=${percentEncode(peerIds[kind].toString('hex'))}&port=${port}` +
    `&uploaded=0&downloaded=0&left=0&compact=1&numwant=0${event ? `&event=${event}` : ''}`
  return new Promise((resolve) => {
    const req = get(`${tracker}?${q}`, { timeout: 5000 }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode === 200))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
  })
}

let announceFailures = 0
async function announceAll(ports: Record<Kind, number>, event?: string): Promise<void> {
  for (const kind of KINDS) {
    for (const h of infoHashes) if (!(await announce(kind, h, ports[kind], event))) announceFailures++
  }
}

async function main(): Promise<void> {
  if (!tracker || infoHashes.size === 0) throw new Error('usage: hostile-peers.ts --tracker URL --info-hashes HEX,...')
  const servers = Object.fromEntries(
    await Promise.all(KINDS.map(async (k) => [k, await listen(k)] as const)),
  ) as Record<Kind, Server>
  const ports = Object.fromEntries(KINDS.map((k) => [k, (servers[k].address() as { port: number }).port])) as Record<
    Kind,
    number
  >
  await announceAll(ports, 'started')
  emit({ event: 'listening', ports, announceFailures })
  const reannounce = setInterval(() => void announceAll(ports), ANNOUNCE_EVERY_MS)
  const report = setInterval(() => emit({ event: 'stats', ...stats, announceFailures }), STATS_EVERY_MS)
  const stop = (): void => {
    clearInterval(reannounce)
    clearInterval(report)
    for (const k of KINDS) {
      servers[k].close()
      for (const s of openSockets[k]) s.destroy()
    }
    emit({ event: 'stats', ...stats, announceFailures, final: true })
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((e) => {
  emit({ event: 'error', message: (e as Error).message })
  process.exit(1)
})
