import { describe, expect, it } from 'vitest'
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, MseInitiator, createSkeyLookup } from '../mse/mse-handshake.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import type { TcpSocket } from '../platform/ports.ts'
import { ManualClock } from '../util/clock.ts'
import { sha1Sync } from '../util/sha1-sync.ts'
import { encodeHandshake } from './handshake.ts'
import { incomingMse, outgoingMse } from './mse-stage.ts'
import { PeerConnection as Conn } from './peer-connection.ts'
import { generatePeerId } from './peer-id.ts'
import {
  blocksOf,
  closeText,
  connectPair,
  DATA,
  INFO_HASH,
  rawAgainstSeed,
  settle,
  SHAPE,
  until,
} from './peer-test-kit.ts'

const lookup = createSkeyLookup([INFO_HASH])

/** Seed answers every request from DATA (shared buffers: encryption must never touch them). */
function serve(seed: Conn): void {
  seed.setHandlers({
    onInterested: () => seed.unchoke(),
    onUploadRequest: (r) => {
      const at = r.index * SHAPE.pieceLength + r.begin
      queueMicrotask(() => seed.sendPiece(r.index, r.begin, DATA.subarray(at, at + r.length)))
    },
  })
}

async function downloadAll(leech: Conn): Promise<Uint8Array> {
  const todo = blocksOf(SHAPE)
  const got = new Uint8Array(SHAPE.totalLength)
  let received = 0
  const fill = () => {
    for (let n = leech.wantedRequests(); n > 0 && todo.length > 0; n--) {
      const b = todo.shift()!
      if (!leech.request(b.index, b.begin, b.length)) todo.unshift(b)
    }
  }
  leech.setHandlers({
    onUnchoke: fill,
    onReady: fill,
    onBlock: (index, begin, data) => {
      got.set(data, index * SHAPE.pieceLength + begin)
      received += data.length
    },
  })
  leech.interested()
  await until(() => received === SHAPE.totalLength, 20_000)
  return got
}

const DATA_SHA1 = sha1Sync(DATA)

describe('PeerConnection over MSE/PE', () => {
  it('RC4 both ways: the stream is encrypted, blocks arrive intact and shared buffers stay untouched', async () => {
    const { seed, leech } = await connectPair({
      leechOptions: { mse: outgoingMse('require', false) },
      seedOptions: { incomingMse: incomingMse('prefer', lookup) },
    })
    expect(leech.encryption).toBe('rc4')
    expect(seed.encryption).toBe('rc4')
    serve(seed)
    const got = await downloadAll(leech)
    expect(sha1Sync(got)).toEqual(DATA_SHA1)
    expect(sha1Sync(DATA)).toEqual(DATA_SHA1) // the seed's blocks were copied before encryption
    // keep-alives and haves after the bulk transfer still decode on the other side
    const haves: number[] = []
    seed.setHandlers({ onHave: (i) => haves.push(i) })
    leech.have(2)
    await until(() => haves.length === 1)
    expect(haves).toEqual([2])
  })

  it('offering both methods, our receiver picks plaintext (libtorrent default): obfuscated handshake, plain stream', async () => {
    const { seed, leech } = await connectPair({
      leechOptions: { mse: outgoingMse('prefer', false) },
      seedOptions: { incomingMse: incomingMse('prefer', lookup) },
    })
    expect(leech.encryption).toBe('plaintext-in-mse')
    expect(seed.encryption).toBe('plaintext-in-mse')
    serve(seed)
    expect(sha1Sync(await downloadAll(leech))).toEqual(DATA_SHA1)
  })

  it('a receiver that requires encryption selects RC4 from an initiator offering both', async () => {
    const { seed, leech } = await connectPair({
      leechOptions: { mse: { provide: CRYPTO_RC4 | CRYPTO_PLAINTEXT } },
      seedOptions: { incomingMse: incomingMse('require', lookup) },
    })
    expect(seed.encryption).toBe('rc4')
    expect(leech.encryption).toBe('rc4')
  })

  it('prefer accepts a plain incoming handshake', async () => {
    const { seed, leech } = await connectPair({ seedOptions: { incomingMse: incomingMse('prefer', lookup) } })
    expect(seed.encryption).toBe('plain')
    expect(leech.encryption).toBe('plain')
    serve(seed)
    expect(sha1Sync(await downloadAll(leech))).toEqual(DATA_SHA1)
  })

  it('require refuses a plain incoming handshake with a typed reason', async () => {
    const { raw, conn } = await rawAgainstSeed({ incomingMse: incomingMse('require', lookup) })
    raw.sendHandshake()
    await until(() => conn.closeReason !== null)
    expect(conn.closeReason?.kind).toBe('encryption-refused')
    expect(closeText(conn)).toMatch(/plain connection while encryption is required/)
    expect(raw.handshake).toBeNull() // we never answered
  })

  it('disable refuses an incoming MSE opening; the initiator sees its handshake fail', async () => {
    const net = new MemoryNetwork()
    const clock = new ManualClock(1_000_000)
    let seed: Conn | undefined
    await net.host('10.0.0.1').listen({ port: 6881 }, (socket) => {
      seed = new Conn(socket, {
        direction: 'incoming',
        peerId: generatePeerId(),
        clock,
        incomingMse: incomingMse('disable', lookup),
        acceptIncoming: () => true,
      })
    })
    const socket = await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: 6881 })
    const leech = new Conn(socket, {
      direction: 'outgoing',
      infoHash: INFO_HASH,
      peerId: generatePeerId(),
      clock,
      mse: outgoingMse('prefer', false),
    })
    await until(() => leech.closeReason !== null && seed?.closeReason != null)
    expect(seed!.closeReason?.kind).toBe('encryption-refused')
    expect(leech.closeReason?.kind).toBe('encryption-failed')
    expect(closeText(leech)).toMatch(/during the MSE handshake/)
  })

  it('a plain-only peer hanging up on our MSE opening is an encryption failure, not a plain close', async () => {
    const { raw, conn } = await leechAgainstRawMse()
    raw.socket.close()
    await until(() => conn.closeReason !== null)
    expect(conn.closeReason?.kind).toBe('encryption-failed')
  })

  it('a peer that never answers our MSE opening times out as an encryption failure', async () => {
    const { conn, clock } = await leechAgainstRawMse()
    for (let i = 0; i < 40 && !conn.closeReason; i++) {
      clock.advance(1000)
      await settle(20)
    }
    expect(conn.closeReason).toEqual({
      kind: 'encryption-failed',
      detail: 'handshake timeout during the MSE handshake',
    })
  })

  it('an MSE opening for a torrent we do not serve fails in the receiver', async () => {
    const other = createSkeyLookup([new Uint8Array(20).fill(7)])
    const net = new MemoryNetwork()
    const clock = new ManualClock(1_000_000)
    let seed: Conn | undefined
    await net.host('10.0.0.1').listen({ port: 6881 }, (socket) => {
      seed = new Conn(socket, {
        direction: 'incoming',
        peerId: generatePeerId(),
        clock,
        incomingMse: incomingMse('prefer', other),
        acceptIncoming: () => true,
      })
    })
    const socket = await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: 6881 })
    const leech = new Conn(socket, {
      direction: 'outgoing',
      infoHash: INFO_HASH,
      peerId: generatePeerId(),
      clock,
      mse: outgoingMse('require', false),
    })
    await until(() => leech.closeReason !== null && seed?.closeReason != null)
    expect(seed!.closeReason).toMatchObject({ kind: 'encryption-failed' })
    expect(closeText(seed!)).toMatch(/unknown-torrent/)
    expect(leech.closeReason?.kind).toBe('encryption-failed')
  })

  it('an incoming peer whose handshake names another torrent than its MSE SKEY is a violation', async () => {
    const otherHash = new Uint8Array(20).fill(9)
    const net = new MemoryNetwork()
    const clock = new ManualClock(1_000_000)
    let seed: Conn | undefined
    await net.host('10.0.0.1').listen({ port: 6881 }, (socket) => {
      seed = new Conn(socket, {
        direction: 'incoming',
        peerId: generatePeerId(),
        clock,
        incomingMse: incomingMse('prefer', createSkeyLookup([INFO_HASH, otherHash])),
        acceptIncoming: () => true,
      })
    })
    const socket = await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: 6881 })
    // An outgoing connection whose IA (its BitTorrent handshake) names otherHash under SKEY INFO_HASH.
    const m = new MseInitiator({
      infoHash: INFO_HASH,
      provide: CRYPTO_RC4,
      initialPayload: encodeHandshake(otherHash, generatePeerId(), {}),
    })
    socket.setHandlers({
      onData: (d) => {
        const s = m.push(d)
        if (s.send) socket.write(s.send)
      },
    })
    socket.write(m.start())
    await until(() => seed?.closeReason != null)
    expect(seed!.closeReason).toMatchObject({ kind: 'protocol-violation' })
    expect(closeText(seed!)).toMatch(/MSE handshake named/)
  })
})

/** An outgoing MSE connection (RC4 required) to a raw peer that never answers. */
async function leechAgainstRawMse() {
  const network = new MemoryNetwork()
  const clock = new ManualClock(1_000_000)
  let raw: { socket: TcpSocket } | undefined
  const seen: Uint8Array[] = []
  await network.host('10.0.0.1').listen({ port: 6881 }, (socket) => {
    raw = { socket }
    socket.setHandlers({ onData: (d) => seen.push(d) })
  })
  const conn = new Conn(await network.host('10.0.0.2').connect({ host: '10.0.0.1', port: 6881 }), {
    direction: 'outgoing',
    infoHash: INFO_HASH,
    peerId: generatePeerId(),
    clock,
    torrent: SHAPE,
    mse: outgoingMse('require', false),
  })
  await until(() => !!raw && seen.length > 0)
  // Ya (96 bytes) and PadA, never "\x13BitTorrent protocol"
  expect(seen[0]!.length).toBeGreaterThanOrEqual(96)
  expect(seen[0]![0] === 19 && seen[0]![1] === 0x42).toBe(false)
  return { raw: raw!, conn, clock }
}
