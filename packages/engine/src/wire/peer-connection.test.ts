import { describe, expect, it } from 'vitest'
import { Bitfield } from './bitfield.ts'
import type { CloseReason } from './close-reason.ts'
import type { PeerConnection } from './peer-connection.ts'
import { blocksOf, connectPair, DATA, settle, SHAPE, until } from './peer-test-kit.ts'
import type { BlockRef } from './wire-codec.ts'

/** The seed answers every upload request from DATA (unless `hold` is set) and unchokes on interest. */
function serve(seed: PeerConnection, opts: { hold?: BlockRef[] } = {}) {
  seed.setHandlers({
    onInterested: () => seed.unchoke(),
    onUploadRequest: (r) => {
      if (opts.hold) return void opts.hold.push(r)
      const at = r.index * SHAPE.pieceLength + r.begin
      queueMicrotask(() => seed.sendPiece(r.index, r.begin, DATA.subarray(at, at + r.length)))
    },
  })
}

/** A minimal "picker": requests the next missing blocks whenever the connection wants more. */
function download(leech: PeerConnection) {
  const todo = blocksOf(SHAPE)
  const got = new Uint8Array(SHAPE.totalLength)
  const state = { received: 0, dropped: [] as Array<[BlockRef, string]>, unsolicited: 0 }
  const fill = () => {
    for (let n = leech.wantedRequests(); n > 0 && todo.length > 0; n--) {
      const b = todo.shift()!
      if (!leech.request(b.index, b.begin, b.length)) todo.unshift(b)
    }
  }
  leech.setHandlers({
    onUnchoke: fill,
    onReady: fill,
    onBlock: (index, begin, data, solicited) => {
      got.set(data, index * SHAPE.pieceLength + begin)
      state.received += data.length
      if (!solicited) state.unsolicited++
    },
    onRequestsDropped: (reqs, reason) => {
      for (const r of reqs) state.dropped.push([r, reason])
      todo.unshift(...reqs)
    },
  })
  return { got, state, fill }
}

describe('PeerConnection pair over memory-net', () => {
  it('handshakes, exchanges have-all/have-none and decodes the client', async () => {
    const { seed, leech } = await connectPair()
    expect(leech.fast).toBe(true)
    expect(leech.extended).toBe(true)
    await until(() => leech.peerPieces?.isFull() === true)
    expect(leech.peerPieces?.count()).toBe(4)
    expect(seed.peerPieces?.count()).toBe(0)
    expect(seed.direction).toBe('incoming')
    expect(seed.remote?.peerId).toBeDefined()
  })

  it('sends a real bitfield without the fast extension and tracks have', async () => {
    const partial = new Bitfield(SHAPE.pieceCount)
    partial.set(0)
    partial.set(2)
    const { seed, leech } = await connectPair({
      leechOptions: { extensions: { extended: true }, localPieces: partial },
    })
    expect(seed.fast).toBe(false)
    await until(() => seed.peerPieces?.count() === 2)
    expect([0, 1, 2, 3].map((i) => seed.peerPieces!.has(i))).toEqual([true, false, true, false])
    const haves: number[] = []
    seed.setHandlers({ onHave: (i) => haves.push(i) })
    leech.have(3)
    await until(() => haves.length === 1)
    expect(haves).toEqual([3])
    expect(seed.peerPieces!.count()).toBe(3)
  })

  it('downloads every block of a tiny torrent with pipelining', async () => {
    const { seed, leech } = await connectPair()
    serve(seed)
    const d = download(leech)
    leech.interested()
    await until(() => d.state.received === SHAPE.totalLength, 20_000)
    expect(d.state.received).toBe(SHAPE.totalLength)
    expect(d.got.every((b, i) => b === DATA[i])).toBe(true)
    const ls = leech.stats()
    const ss = seed.stats()
    expect(ls.downloaded).toBe(SHAPE.totalLength)
    expect(ss.uploaded).toBe(SHAPE.totalLength)
    expect(ls.requests).toBe(0)
    expect(ls.protocolDown).toBeGreaterThan(68)
    expect(ls.rttMs).not.toBeNull()
    expect(leech.state.flags()).toBe('D')
    expect(seed.state.flags()).toBe('U')
  })

  it('a choke without the fast extension drops every outstanding request', async () => {
    const hold: BlockRef[] = []
    const { seed, leech } = await connectPair({
      leechOptions: { extensions: { extended: true } },
      seedOptions: { extensions: { extended: true } },
    })
    serve(seed, { hold })
    const d = download(leech)
    leech.interested()
    await until(() => hold.length >= 4)
    const outstanding = leech.stats().requests
    expect(outstanding).toBeGreaterThanOrEqual(4)
    seed.choke()
    await until(() => d.state.dropped.length === outstanding)
    expect(d.state.dropped.every(([, why]) => why === 'choked')).toBe(true)
    expect(leech.stats().requests).toBe(0)
    expect(leech.wantedRequests()).toBe(0)
    // The seed forgot them: a late answer is refused.
    expect(seed.sendPiece(hold[0]!.index, hold[0]!.begin, new Uint8Array(hold[0]!.length))).toBe(false)
  })

  it('with the fast extension a choke rejects each queued request explicitly', async () => {
    const hold: BlockRef[] = []
    const { seed, leech } = await connectPair()
    serve(seed, { hold })
    const d = download(leech)
    leech.interested()
    await until(() => hold.length >= 4)
    const outstanding = leech.stats().requests
    seed.choke()
    await until(() => d.state.dropped.length === outstanding)
    expect(d.state.dropped.length).toBe(outstanding)
    expect(d.state.dropped.every(([, why]) => why === 'rejected')).toBe(true)
  })

  it('allowed-fast lets the leech download one piece while choked', async () => {
    const { seed, leech } = await connectPair()
    serve(seed)
    seed.setHandlers({ ...serveHandlers(seed), onInterested: () => {} }) // never unchoke
    let got = 0
    leech.setHandlers({
      onAllowedFast: () => void leech.request(1, 0, 16384),
      onBlock: (_i, _b, data) => (got += data.length),
    })
    leech.interested()
    expect(leech.request(1, 0, 16384)).toBe(false) // choked, not allowed yet
    seed.allowFast(1)
    await until(() => got === 16384)
    expect(got).toBe(16384)
    expect(leech.canRequest(2)).toBe(false)
  })

  it('cancel withdraws a request and the peer answers with a reject (fast)', async () => {
    const hold: BlockRef[] = []
    const { seed, leech } = await connectPair()
    serve(seed, { hold })
    const dropped: string[] = []
    leech.setHandlers({ onRequestsDropped: (_r, why) => dropped.push(why) })
    leech.interested()
    await until(() => !leech.state.peerChoking)
    expect(leech.request(0, 0, 16384)).toBe(true)
    expect(leech.request(0, 0, 16384)).toBe(false) // duplicate
    await until(() => hold.length === 1)
    expect(leech.cancel(0, 0, 16384)).toBe(true)
    await until(() => seed.stats().uploadQueue === 0)
    expect(seed.sendPiece(0, 0, DATA.subarray(0, 16384))).toBe(false)
    await settle()
    expect(dropped).toEqual([]) // our own cancel is not a drop; the reject for it is ignored
  })

  it('times out silent requests (snub), cancels them and reports them', async () => {
    const hold: BlockRef[] = []
    const { seed, leech, clock } = await connectPair()
    serve(seed, { hold })
    const d = download(leech)
    leech.interested()
    await until(() => hold.length >= 4)
    const n = leech.stats().requests
    clock.advance(19_000)
    expect(d.state.dropped.length).toBe(0)
    clock.advance(2_000)
    expect(d.state.dropped.length).toBe(n)
    expect(d.state.dropped.every(([, why]) => why === 'timeout')).toBe(true)
    expect(leech.stats().snubbed).toBe(true)
    expect(leech.wantedRequests()).toBeLessThanOrEqual(1)
    // The cancels reached the seed; the snubbed leech keeps exactly one request going.
    await until(() => seed.stats().uploadQueue === 1)
    expect(seed.stats().uploadQueue).toBe(1)
    expect(leech.stats().requests).toBe(1)
  })

  it('sends keep-alives when idle', async () => {
    const { seed, leech, clock } = await connectPair()
    const closed: CloseReason[] = []
    leech.setHandlers({ onClose: (r) => closed.push(r) })
    const before = seed.stats().protocolDown
    clock.advance(91_000)
    await settle()
    expect(seed.stats().protocolDown - before).toBeGreaterThanOrEqual(4)
    expect(leech.isOpen).toBe(true)
  })

  it('caps the pipeline by the peer reqq and by our own ceiling', async () => {
    const { seed, leech } = await connectPair({ leechOptions: { config: { minRequestDepth: 50 } } })
    serve(seed)
    leech.interested()
    await until(() => !leech.state.peerChoking)
    expect(leech.wantedRequests()).toBe(50)
    leech.setPeerRequestLimit(8)
    expect(leech.wantedRequests()).toBe(8)
  })

  it('recognises a connection to ourselves', async () => {
    const same = new Uint8Array(20).fill(0x41)
    const { MemoryNetwork } = await import('../platform/memory-net.ts')
    const { PeerConnection } = await import('./peer-connection.ts')
    const { INFO_HASH } = await import('./peer-test-kit.ts')
    const net = new MemoryNetwork()
    const reasons: CloseReason[] = []
    let incoming: InstanceType<typeof PeerConnection> | undefined
    await net.host('10.0.0.1').listen({ port: 1 }, (s) => {
      incoming = new PeerConnection(s, { direction: 'incoming', peerId: same, acceptIncoming: () => true })
    })
    const s = await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: 1 })
    const c = new PeerConnection(s, {
      direction: 'outgoing',
      peerId: same,
      infoHash: INFO_HASH,
      handlers: { onClose: (r) => reasons.push(r) },
    })
    await until(() => reasons.length > 0)
    expect(incoming?.closeReason).toEqual({ kind: 'self' })
    expect(reasons).toEqual([{ kind: 'remote-closed' }])
    expect(c.isOpen).toBe(false)
  })
})

function serveHandlers(seed: PeerConnection) {
  return {
    onUploadRequest: (r: BlockRef) => {
      const at = r.index * SHAPE.pieceLength + r.begin
      queueMicrotask(() => seed.sendPiece(r.index, r.begin, DATA.subarray(at, at + r.length)))
    },
  }
}
