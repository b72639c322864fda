/**
 * Test helpers: a tiny in-memory torrent, a seed/leech pair of PeerConnections over MemoryNetwork,
 * and a raw scripted peer that speaks bytes directly (for protocol-violation tests).
 */
import { MemoryNetwork } from '../platform/memory-net.ts'
import type { MemoryNetworkOptions } from '../platform/memory-net.ts'
import type { TcpSocket } from '../platform/ports.ts'
import { ManualClock } from '../util/clock.ts'
import { Bitfield } from './bitfield.ts'
import { describeCloseReason } from './close-reason.ts'
import { encodeHandshake } from './handshake.ts'
import type { Handshake, HandshakeFlags } from './handshake.ts'
import { PeerConnection } from './peer-connection.ts'
import type { PeerConnectionOptions, TorrentShape } from './peer-types.ts'
import { generatePeerId } from './peer-id.ts'
import type { DecodeResult } from './wire-codec.ts'
import { WireDecoder } from './wire-decoder.ts'

export const INFO_HASH = new Uint8Array(20).map((_, i) => 0xa0 + i)
export const PIECE_LENGTH = 32768
/** 3 full pieces of 2 blocks and a short last piece of 10000 bytes. */
export const SHAPE: TorrentShape = { pieceCount: 4, pieceLength: PIECE_LENGTH, totalLength: 3 * PIECE_LENGTH + 10000 }
export const DATA = new Uint8Array(SHAPE.totalLength).map((_, i) => (i * 7 + (i >> 9)) & 0xff)

/** The text of a connection's close reason (null while open), for assertions on wording. */
export function closeText(conn: { closeReason: PeerConnection['closeReason'] }): string | null {
  return conn.closeReason ? describeCloseReason(conn.closeReason) : null
}

export function blocksOf(shape: TorrentShape): Array<{ index: number; begin: number; length: number }> {
  const out = []
  for (let index = 0; index < shape.pieceCount; index++) {
    const size = Math.min(shape.pieceLength, shape.totalLength - index * shape.pieceLength)
    for (let begin = 0; begin < size; begin += 16384) out.push({ index, begin, length: Math.min(16384, size - begin) })
  }
  return out
}

/** Lets queued microtasks run until `done()` holds; bounded. */
export async function until(done: () => boolean, rounds = 5000): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) await Promise.resolve()
}

export async function settle(rounds = 200): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve()
}

export interface Pair {
  net: MemoryNetwork
  clock: ManualClock
  seed: PeerConnection
  leech: PeerConnection
}

/** The incoming side serving SHAPE with every piece; `checkInfoHash` refuses other info-hashes. */
function seedConnection(
  socket: TcpSocket,
  clock: ManualClock,
  checkInfoHash: boolean,
  options?: Partial<PeerConnectionOptions>,
): PeerConnection {
  return new PeerConnection(socket, {
    direction: 'incoming',
    peerId: generatePeerId(),
    clock,
    acceptIncoming: (hs, conn) => {
      conn.setTorrent(SHAPE)
      conn.setLocalPieces(Bitfield.full(SHAPE.pieceCount))
      return !checkInfoHash || hs.infoHash.every((b, i) => b === INFO_HASH[i])
    },
    ...options,
  })
}

/** The outgoing side: a leech of SHAPE with no pieces. */
function leechConnection(
  socket: TcpSocket,
  clock: ManualClock,
  options?: Partial<PeerConnectionOptions>,
): PeerConnection {
  return new PeerConnection(socket, {
    direction: 'outgoing',
    infoHash: INFO_HASH,
    peerId: generatePeerId(),
    clock,
    torrent: SHAPE,
    localPieces: new Bitfield(SHAPE.pieceCount),
    ...options,
  })
}

/** A seed (listening, incoming side, has all pieces) and a leech (outgoing, has none), handshaken. */
export async function connectPair(
  opts: {
    seedOptions?: Partial<PeerConnectionOptions>
    leechOptions?: Partial<PeerConnectionOptions>
    net?: MemoryNetworkOptions
  } = {},
): Promise<Pair> {
  const net = new MemoryNetwork(opts.net)
  const clock = new ManualClock(1_000_000)
  const seedHost = net.host('10.0.0.1')
  const leechHost = net.host('10.0.0.2')
  let seed: PeerConnection | undefined
  await seedHost.listen({ port: 6881 }, (socket) => {
    seed = seedConnection(socket, clock, true, opts.seedOptions)
  })
  const leech = leechConnection(await leechHost.connect({ host: '10.0.0.1', port: 6881 }), clock, opts.leechOptions)
  await until(() => !!seed && seed.isOpen && leech.isOpen)
  return { net, clock, seed: seed!, leech }
}

/** A scripted remote peer: writes raw bytes, decodes what the PeerConnection sends. */
export class RawPeer {
  readonly decoder = new WireDecoder({ limits: { maxBlockLength: 1 << 20 } })
  readonly received: DecodeResult[] = []
  handshake: Handshake | null = null
  closed = false
  /** Called for each message as it is decoded, so a scripted peer can answer at once. */
  onMessage: ((m: DecodeResult) => void) | null = null
  constructor(readonly socket: TcpSocket) {
    socket.setHandlers({
      onData: (d) => {
        this.decoder.push(d)
        if (!this.handshake) {
          const h = this.decoder.readHandshake()
          if (h.type !== 'handshake') return
          this.handshake = h.handshake
        }
        for (let i = 0; i < 100_000; i++) {
          const m = this.decoder.next()
          if (m.type === 'need-more') break
          this.received.push(m)
          this.onMessage?.(m)
          if (m.type === 'invalid') break
        }
      },
      onClose: () => (this.closed = true),
      onEnd: () => (this.closed = true),
    })
  }
  sendHandshake(
    flags: HandshakeFlags = { fast: true, extended: true },
    infoHash = INFO_HASH,
    peerId = generatePeerId(),
  ): void {
    this.socket.write(encodeHandshake(infoHash, peerId, flags))
  }
  write(...parts: Uint8Array[]): void {
    for (const p of parts) this.socket.write(p)
  }
  types(): string[] {
    return this.received.map((m) => m.type)
  }
}

/** A PeerConnection (incoming, serving SHAPE with all pieces) facing a RawPeer that dialled it. */
export async function rawAgainstSeed(options: Partial<PeerConnectionOptions> = {}, net?: MemoryNetworkOptions) {
  const network = new MemoryNetwork(net)
  const clock = new ManualClock(1_000_000)
  let conn: PeerConnection | undefined
  await network.host('10.0.0.1').listen({ port: 6881 }, (socket) => {
    conn = seedConnection(socket, clock, false, options)
  })
  const raw = new RawPeer(await network.host('10.0.0.2').connect({ host: '10.0.0.1', port: 6881 }))
  await until(() => !!conn)
  return { raw, conn: conn!, clock, network }
}

/** A PeerConnection (outgoing leech of SHAPE) that dialled a RawPeer. */
export async function leechAgainstRaw(options: Partial<PeerConnectionOptions> = {}, net?: MemoryNetworkOptions) {
  const network = new MemoryNetwork(net)
  const clock = new ManualClock(1_000_000)
  let raw: RawPeer | undefined
  await network.host('10.0.0.1').listen({ port: 6881 }, (socket) => (raw = new RawPeer(socket)))
  const conn = leechConnection(await network.host('10.0.0.2').connect({ host: '10.0.0.1', port: 6881 }), clock, options)
  await until(() => !!raw && !!raw.handshake)
  return { raw: raw!, conn, clock, network }
}
