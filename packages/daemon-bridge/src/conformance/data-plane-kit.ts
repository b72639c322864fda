import { createHash } from 'node:crypto'
import net from 'node:net'
import type { DataPlaneTorrent, DataPlaneTorrentSpec, IoError, TcpSocket } from '@tidepool/engine'
import type { BridgeClient } from '../bridge-client.ts'
import { check, sleep, type CaseContext } from './harness.ts'

/** Tools of the data-plane cases: a peer the test side plays over loopback, and wire messages. */

export const BLOCK = 16 * 1024

export function sha1(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(b).digest())
}

export function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, k) => (k * 7 + seed * 13 + (k >> 9)) & 255)
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

export function message(id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const m = new Uint8Array(5 + payload.length)
  new DataView(m.buffer).setUint32(0, 1 + payload.length)
  m[4] = id
  m.set(payload, 5)
  return m
}

function u32s(...v: number[]): Uint8Array {
  const b = new Uint8Array(4 * v.length)
  const d = new DataView(b.buffer)
  for (let i = 0; i < v.length; i++) d.setUint32(4 * i, v[i]!)
  return b
}

export function pieceMessage(index: number, begin: number, block: Uint8Array): Uint8Array {
  return message(7, concat([u32s(index, begin), block]))
}

export function storedMessage(index: number, begin: number, length: number): Uint8Array {
  return message(250, u32s(index, begin, length))
}

/** 68 bytes standing in for a BitTorrent handshake (the daemon never parses it). */
export const HANDSHAKE = Uint8Array.from({ length: 68 }, (_, k) => (k * 11 + 1) & 255)

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false
  return true
}

export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    check(Date.now() < end, `${what} (waited ${ms} ms)`)
    await sleep(5)
  }
}

/** A loopback listener the test side answers on: the remote peer of a framable socket. */
export class Peer {
  readonly received: Buffer[] = []
  socket: net.Socket | null = null

  private constructor(readonly server: net.Server) {}

  static async start(ctx: CaseContext): Promise<Peer> {
    const server = net.createServer()
    const peer = new Peer(server)
    server.on('connection', (s) => {
      peer.socket = s
      s.on('data', (b) => peer.received.push(b))
      s.on('error', () => {}) // the case closes sockets from either side; its checks say what went wrong
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    ctx.cleanups.push(() => {
      peer.socket?.destroy()
      server.close()
    })
    return peer
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port
  }

  get bytes(): Uint8Array {
    return concat(this.received)
  }

  async send(b: Uint8Array): Promise<void> {
    await waitFor(() => this.socket !== null, 5000, 'the daemon did not connect to the peer')
    await new Promise<void>((r) => this.socket!.write(b, () => r()))
  }
}

/** A framable socket to `peer` whose received bytes are collected, before and after framing. */
export class Collected {
  raw: Uint8Array[] = []
  framed: Uint8Array[] = []
  isFramed = false
  closed: IoError | undefined | 'open' = 'open'

  constructor(readonly socket: TcpSocket) {
    socket.setHandlers({
      onData: (b) => (this.isFramed ? this.framed : this.raw).push(b.slice()),
      onEnd: () => socket.close(), // the peer is done: so is the engine
      onClose: (e) => {
        this.closed = e
      },
    })
  }

  static async connect(c: BridgeClient, peer: Peer, transport?: 'utp'): Promise<Collected> {
    const s = await c.net.connect({ host: '127.0.0.1', port: peer.port, framable: true, transport })
    return new Collected(s)
  }

  rawBytes(): number {
    return this.raw.reduce((n, b) => n + b.length, 0)
  }

  framedBytes(): Uint8Array {
    return concat(this.framed)
  }

  /** Frames at `at` once that many raw bytes arrived; resolves with done's arguments. */
  async frame(
    torrent: DataPlaneTorrent,
    at: number,
    cipher?: Parameters<NonNullable<TcpSocket['frame']>>[0]['cipher'],
  ): Promise<{ framed: boolean; error?: IoError }> {
    await waitFor(() => this.rawBytes() >= at, 5000, `raw bytes before frame: ${this.rawBytes()} of ${at}`)
    const frame = this.socket.frame
    check(frame, 'a framable socket on a data-plane daemon has no frame()')
    return new Promise((resolve) =>
      frame.call(this.socket, { torrent, at, cipher }, (framed, error) => {
        this.isFramed = framed
        resolve({ framed, error })
      }),
    )
  }
}

/**
 * Two files and a short last piece: a (40,000 bytes) and sub/b (30,000), pieces of 32 KiB, so piece 1
 * spans the file boundary. `data` is the torrent's content.
 */
export function twoFiles(ctx: CaseContext, name: string): { spec: DataPlaneTorrentSpec; data: Uint8Array } {
  const spec: DataPlaneTorrentSpec = {
    root: ctx.root,
    pieceLength: 2 * BLOCK,
    files: [
      { path: `${ctx.dir}/${name}/a`, length: 40_000 },
      { path: `${ctx.dir}/${name}/sub/b`, length: 30_000 },
    ],
  }
  return { spec, data: pattern(70_000, name.length) }
}

export function pieceOf(data: Uint8Array, piece: number, pieceLength = 2 * BLOCK): Uint8Array {
  return data.subarray(piece * pieceLength, Math.min(data.length, (piece + 1) * pieceLength))
}

/** Puts `bytes` into piece `p` block by block and checks that the daemon verifies and writes it. */
export async function storePiece(t: DataPlaneTorrent, p: number, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length; at += BLOCK) await t.putBlock(p, at, bytes.subarray(at, at + BLOCK))
  check((await t.verifyPiece(p, sha1(bytes))) === 'verified', `piece ${p} did not verify`)
}

/** The bytes of one file as the daemon wrote them (null when it does not exist). */
export async function readFile(
  c: BridgeClient,
  root: string,
  path: string,
  length: number,
): Promise<Uint8Array | null> {
  if (!(await c.files.stat(root, path))) return null
  const h = await c.files.open(root, path)
  try {
    return await h.read(0, length)
  } finally {
    await h.close()
  }
}

/** The client with the data plane, or null when the daemon does not announce it. */
export async function dataPlaneClient(ctx: CaseContext): Promise<BridgeClient | null> {
  const c = await ctx.client()
  return c.dataPlane ? c : null
}
