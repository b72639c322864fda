import { describe, expect, it } from 'vitest'
import { createSkeyLookup } from '../mse/mse-handshake.ts'
import { Rc4 } from '../mse/rc4.ts'
import { rewindRc4 } from '../mse/rc4-rewind.ts'
import { MemoryDataPlane, type MemoryDataPlaneTorrent } from '../platform/memory-data-plane.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { STORED_MESSAGE_ID } from '../platform/ports.ts'
import { ManualClock } from '../util/clock.ts'
import { sha1Sync } from '../util/sha1-sync.ts'
import { Bitfield } from './bitfield.ts'
import { encodeHandshake } from './handshake.ts'
import { incomingMse, outgoingMse } from './mse-stage.ts'
import { PeerConnection } from './peer-connection.ts'
import { generatePeerId } from './peer-id.ts'
import type { PeerConnectionOptions } from './peer-types.ts'
import { DATA, INFO_HASH, RawPeer, SHAPE, blocksOf, until } from './peer-test-kit.ts'
import * as W from './wire-codec.ts'

const lookup = createSkeyLookup([INFO_HASH])

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** A data plane over files holding DATA (a seed's) or nothing (a leech's), with SHAPE's torrent open. */
async function plane(
  withData: boolean,
): Promise<{ dp: MemoryDataPlane; t: MemoryDataPlaneTorrent; files: MemoryFilePort }> {
  const files = new MemoryFilePort()
  if (withData) files.put('downloads', 'f.bin', DATA)
  const dp = new MemoryDataPlane(files)
  const t = await dp.openTorrent({
    root: 'downloads',
    pieceLength: SHAPE.pieceLength,
    files: [{ path: 'f.bin', length: SHAPE.totalLength }],
  })
  return { dp, t, files }
}

function pieceHash(index: number): Uint8Array {
  const from = index * SHAPE.pieceLength
  return sha1Sync(DATA.subarray(from, Math.min(SHAPE.totalLength, from + SHAPE.pieceLength)))
}

/** Seed (incoming, all pieces) and leech (outgoing, none); `framable` per side, options per side. */
async function pair(opts: {
  /** The platform keeps the buffers it delivered (an in-process daemon). */
  keepDeliveredBuffers?: boolean
  seedFramable?: boolean
  leechFramable?: boolean
  seed?: Partial<PeerConnectionOptions>
  leech?: Partial<PeerConnectionOptions>
}): Promise<{ seed: PeerConnection; leech: PeerConnection }> {
  // small chunks: bytes past the handshake arrive in later chunks the connection decrypts itself
  const net = new MemoryNetwork(opts.keepDeliveredBuffers ? { keepDeliveredBuffers: true, maxChunk: 40 } : {})
  const clock = new ManualClock(1_000_000)
  let seed: PeerConnection | undefined
  await net.host('10.0.0.1').listen({ port: 6881, framable: opts.seedFramable === true }, (socket) => {
    seed = new PeerConnection(socket, {
      direction: 'incoming',
      peerId: generatePeerId(),
      clock,
      acceptIncoming: (_hs, conn) => {
        conn.setTorrent(SHAPE)
        conn.setLocalPieces(Bitfield.full(SHAPE.pieceCount))
        return true
      },
      ...opts.seed,
    })
  })
  const socket = await net
    .host('10.0.0.2')
    .connect({ host: '10.0.0.1', port: 6881, framable: opts.leechFramable === true })
  const leech = new PeerConnection(socket, {
    direction: 'outgoing',
    infoHash: INFO_HASH,
    peerId: generatePeerId(),
    clock,
    torrent: SHAPE,
    localPieces: new Bitfield(SHAPE.pieceCount),
    ...opts.leech,
  })
  await until(() => !!seed && seed.isOpen && leech.isOpen)
  return { seed: seed!, leech }
}

/** The seed answers every request: with the bytes (plain path) or from its data plane (framed). */
function serve(seed: PeerConnection): void {
  seed.setHandlers({
    onInterested: () => seed.unchoke(),
    onUploadRequest: (r) =>
      queueMicrotask(() => {
        if (seed.framed) {
          seed.sendStoredBlock(r.index, r.begin, r.length, () => {})
          return
        }
        const at = r.index * SHAPE.pieceLength + r.begin
        seed.sendPiece(r.index, r.begin, DATA.subarray(at, at + r.length))
      }),
  })
}

/** The leech requests every block; STORED blocks are counted, blocks with bytes copied. */
async function fetchAll(leech: PeerConnection, store: MemoryDataPlaneTorrent | null) {
  const todo = blocksOf(SHAPE)
  const got = new Uint8Array(SHAPE.totalLength)
  let stored = 0
  let withBytes = 0
  const fill = () => {
    for (let n = leech.wantedRequests(); n > 0 && todo.length > 0; n--) {
      const b = todo.shift()!
      store?.openPiece(b.index)
      if (!leech.request(b.index, b.begin, b.length)) todo.unshift(b)
    }
  }
  leech.setHandlers({
    onUnchoke: fill,
    onReady: fill,
    onStored: (_index, _begin, length) => {
      stored += length
    },
    onBlock: (index, begin, data) => {
      got.set(data, index * SHAPE.pieceLength + begin)
      withBytes += data.length
    },
  })
  leech.interested()
  await until(() => stored + withBytes === SHAPE.totalLength, 50_000)
  return { got, stored, withBytes }
}

describe('framing a peer connection onto the data plane', () => {
  it('rewinding RC4 gives the state of n bytes earlier', () => {
    const rc4 = new Rc4(new Uint8Array([1, 2, 3, 4, 5]), 1024)
    const at = rc4.snapshot()
    rc4.process(new Uint8Array(777))
    const back = rewindRc4(rc4.snapshot(), 777)
    expect(back.i).toBe(at.i)
    expect(back.j).toBe(at.j)
    expect([...back.s]).toEqual([...at.s])
  })

  it('a handshake and the first messages in one chunk: parsed once framed; a piece of an open piece arrives as STORED', async () => {
    const { t, files } = await plane(false)
    const net = new MemoryNetwork()
    const clock = new ManualClock(1_000_000)
    let raw: RawPeer | undefined
    await net.host('10.0.0.1').listen({ port: 6881 }, (s) => (raw = new RawPeer(s)))
    const leech = new PeerConnection(
      await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: 6881, framable: true }),
      {
        direction: 'outgoing',
        infoHash: INFO_HASH,
        peerId: generatePeerId(),
        clock,
        torrent: SHAPE,
        localPieces: new Bitfield(SHAPE.pieceCount),
        dataPlane: () => t,
      },
    )
    const events: string[] = []
    const stored: Array<[number, number, number, boolean]> = []
    leech.setHandlers({
      onPeerPieces: () => events.push('pieces'),
      onUnchoke: () => events.push('unchoke'),
      onStored: (i, b, l, solicited) => stored.push([i, b, l, solicited]),
      onBlock: () => events.push('block with bytes'),
    })
    await until(() => !!raw?.handshake)
    // the peer's own id-250 message is dropped by the platform, not taken for STORED
    const fake = new Uint8Array([0, 0, 0, 13, STORED_MESSAGE_ID, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0])
    raw!.write(
      concat(encodeHandshake(INFO_HASH, generatePeerId(), { fast: true, extended: true }), W.HAVE_ALL, fake, W.UNCHOKE),
    )
    await until(() => events.includes('unchoke'))
    expect(leech.framed).toBe(true)
    expect(events).toEqual(['pieces', 'unchoke'])
    expect(leech.isOpen).toBe(true)

    raw!.onMessage = (m) => {
      if (m.type !== 'request') return
      const at = m.index * SHAPE.pieceLength + m.begin
      raw!.write(W.encodePiece(m.index, m.begin, DATA.subarray(at, at + m.length)))
    }
    expect(t.openPiece(0)).toBe(true)
    leech.request(0, 0, 16384)
    leech.request(0, 16384, 16384)
    await until(() => stored.length === 2)
    expect(stored).toEqual([
      [0, 0, 16384, true],
      [0, 16384, 16384, true],
    ])
    expect(events).not.toContain('block with bytes')
    expect(await t.verifyPiece(0, pieceHash(0))).toBe('verified')
    expect(files.peek('downloads', 'f.bin')!.subarray(0, SHAPE.pieceLength)).toEqual(
      DATA.subarray(0, SHAPE.pieceLength),
    )
    // our writes after the handover reach the peer in order, as plaintext it can parse
    leech.have(3)
    await until(() => raw!.types().includes('have'))
    expect(raw!.received.find((m) => m.type === 'have')).toMatchObject({ index: 3 })
  })

  it('MSE/RC4, leech framed: every block is kept by the platform and the pieces verify; our later messages still decrypt', async () => {
    const { t } = await plane(false)
    const { seed, leech } = await pair({
      leechFramable: true,
      leech: { mse: outgoingMse('require', false), dataPlane: () => t },
      seed: { incomingMse: incomingMse('prefer', lookup) },
    })
    expect(leech.encryption).toBe('rc4')
    await until(() => leech.framed)
    expect(leech.framed).toBe(true)
    serve(seed)
    const r = await fetchAll(leech, t)
    expect(r.withBytes).toBe(0)
    expect(r.stored).toBe(SHAPE.totalLength)
    for (let p = 0; p < SHAPE.pieceCount; p++) expect(await t.verifyPiece(p, pieceHash(p))).toBe('verified')
    const haves: number[] = []
    seed.setHandlers({ onHave: (i) => haves.push(i) })
    leech.have(1)
    await until(() => haves.length === 1)
    expect(haves).toEqual([1])
  })

  it('MSE/RC4 where the platform keeps the very buffers it delivered: the connection decrypts copies', async () => {
    // the seed's handshake and first messages reach the leech in 40-byte chunks after MSE, so the leech
    // decrypts bytes past `at` (and the chunks delivered while it waits for `done`) itself
    const { t } = await plane(false)
    const { seed, leech } = await pair({
      keepDeliveredBuffers: true,
      leechFramable: true,
      leech: { mse: outgoingMse('require', false), dataPlane: () => t },
      seed: { incomingMse: incomingMse('prefer', lookup) },
    })
    await until(() => leech.framed)
    serve(seed)
    const r = await fetchAll(leech, t)
    expect(r.stored).toBe(SHAPE.totalLength)
    for (let p = 0; p < SHAPE.pieceCount; p++) expect(await t.verifyPiece(p, pieceHash(p))).toBe('verified')
  })

  it('MSE/RC4, seed framed: blocks are sent from its files by the platform and arrive intact', async () => {
    const { t, dp } = await plane(true)
    const { seed, leech } = await pair({
      seedFramable: true,
      seed: { incomingMse: incomingMse('require', lookup), dataPlane: () => t },
      leech: { mse: outgoingMse('require', false) },
    })
    await until(() => seed.framed)
    expect(seed.framed).toBe(true)
    serve(seed)
    const r = await fetchAll(leech, null)
    expect(r.withBytes).toBe(SHAPE.totalLength)
    expect(sha1Sync(r.got)).toEqual(sha1Sync(DATA))
    expect(dp.stats.sent).toBe(blocksOf(SHAPE).length)
    expect(seed.stats().uploaded).toBe(SHAPE.totalLength)
  })

  it('frame refused (a socket opened without framable): the connection goes on as before, blocks with their bytes', async () => {
    const { t, dp } = await plane(false)
    const { seed, leech } = await pair({
      leechFramable: false,
      leech: { mse: outgoingMse('require', false), dataPlane: () => t },
      seed: { incomingMse: incomingMse('prefer', lookup) },
    })
    serve(seed)
    const r = await fetchAll(leech, t)
    expect(leech.framed).toBe(false)
    expect(r.stored).toBe(0)
    expect(sha1Sync(r.got)).toEqual(sha1Sync(DATA))
    expect(dp.stats.stored).toBe(0)
  })

  it('STORED from a connection that is not framed is a protocol violation', async () => {
    const net = new MemoryNetwork()
    const clock = new ManualClock(1_000_000)
    let raw: RawPeer | undefined
    await net.host('10.0.0.1').listen({ port: 6881 }, (s) => (raw = new RawPeer(s)))
    const leech = new PeerConnection(await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: 6881 }), {
      direction: 'outgoing',
      infoHash: INFO_HASH,
      peerId: generatePeerId(),
      clock,
      torrent: SHAPE,
      localPieces: new Bitfield(SHAPE.pieceCount),
    })
    await until(() => !!raw?.handshake)
    raw!.sendHandshake()
    raw!.write(W.encodeStored(0, 0, 16384))
    await until(() => leech.closeReason !== null)
    expect(leech.closeReason).toMatchObject({ kind: 'protocol-violation' })
  })
})
