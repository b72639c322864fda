import { describe, expect, it } from 'vitest'
import { Bitfield } from './bitfield.ts'
import { closeText, leechAgainstRaw, rawAgainstSeed, settle, SHAPE, until } from './peer-test-kit.ts'
import type { BlockRef } from './wire-codec.ts'
import * as W from './wire-codec.ts'

const msg = (m: W.WireMessage) => W.encodeMessage(m)

describe('PeerConnection closes on protocol violations with a reason', () => {
  it.each([
    ['a piece message longer than a block', W.encodePieceHeader(0, 0, 16385), 'message 7 of 16394 bytes exceeds'],
    ['a length of 2^32-1', new Uint8Array([0xff, 0xff, 0xff, 0xff, 7]), 'exceeds'],
    ['a bitfield of the wrong size', msg({ type: 'bitfield', bits: new Uint8Array(2) }), 'bitfield of 2 bytes'],
    ['a bitfield with spare bits set', msg({ type: 'bitfield', bits: new Uint8Array([0xf8]) }), 'spare bits'],
    ['a have beyond the piece count', msg({ type: 'have', index: 4 }), 'piece index 4'],
    ['a request over 16 KiB', msg({ type: 'request', index: 0, begin: 0, length: 32768 }), 'request of 32768 bytes'],
    [
      'a request past the end of the last piece',
      msg({ type: 'request', index: 3, begin: 0, length: 10001 }),
      'beyond the piece',
    ],
    ['an extended message over 1 MiB', new Uint8Array([0, 0x10, 0, 3, 20]), 'exceeds'],
  ])('%s', async (_name, bytes, reason) => {
    const { raw, conn } = await rawAgainstSeed()
    raw.sendHandshake()
    await until(() => conn.isOpen)
    raw.write(bytes)
    await until(() => conn.closeReason !== null)
    expect(closeText(conn)).toContain('protocol violation')
    expect(closeText(conn)).toContain(reason)
    await until(() => raw.closed)
    expect(raw.closed).toBe(true)
  })

  it('a bitfield after a have, and have-all without the fast extension', async () => {
    const a = await rawAgainstSeed()
    a.raw.sendHandshake()
    a.raw.write(W.INTERESTED, msg({ type: 'have', index: 1 }), msg({ type: 'bitfield', bits: new Uint8Array(1) }))
    await until(() => a.conn.closeReason !== null)
    expect(closeText(a.conn)).toContain("bitfield after the peer's pieces were known")
    const b = await rawAgainstSeed()
    b.raw.sendHandshake({ fast: false, extended: true })
    b.raw.write(W.HAVE_ALL)
    await until(() => b.conn.closeReason !== null)
    expect(closeText(b.conn)).toContain('have-all without the fast extension')
  })

  it('a garbage or unknown handshake, and a handshake that never comes', async () => {
    const a = await rawAgainstSeed()
    a.raw.write(new TextEncoder().encode('GET /announce HTTP/1.1\r\n\r\n'))
    await until(() => a.conn.closeReason !== null)
    expect(closeText(a.conn)).toContain('bad handshake')
    const b = await rawAgainstSeed({ acceptIncoming: () => false })
    b.raw.sendHandshake()
    await until(() => b.conn.closeReason !== null)
    expect(b.conn.closeReason).toEqual({ kind: 'incoming-refused' })
    const c = await rawAgainstSeed()
    c.clock.advance(19_000)
    expect(closeText(c.conn)).toBeNull()
    c.clock.advance(1_000)
    expect(closeText(c.conn)).toBe('handshake timeout')
  })

  it('an outgoing connection answered with another info-hash', async () => {
    const { raw, conn } = await leechAgainstRaw()
    raw.sendHandshake({ fast: true, extended: true }, new Uint8Array(20).fill(9))
    await until(() => conn.closeReason !== null)
    expect(closeText(conn)).toBe('protocol violation: handshake info-hash mismatch')
  })

  it('too many unrequested blocks (late ones after a cancel are tolerated and delivered)', async () => {
    const { raw, conn } = await leechAgainstRaw()
    const late: boolean[] = []
    conn.setHandlers({ onBlock: (_i, _b, _d, solicited) => late.push(solicited) })
    raw.sendHandshake()
    raw.write(W.HAVE_ALL, W.UNCHOKE)
    await until(() => !conn.state.peerChoking)
    conn.interested()
    expect(conn.request(0, 0, 16384)).toBe(true)
    expect(conn.cancel(0, 0, 16384)).toBe(true)
    raw.write(msg({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(16384) }))
    await until(() => late.length === 1)
    expect(late).toEqual([false])
    for (let i = 0; i < 16; i++) raw.write(msg({ type: 'piece', index: 1, begin: 0, block: new Uint8Array(16) }))
    await settle()
    expect(conn.isOpen).toBe(true)
    expect(conn.stats().wasted).toBe(16 * 16)
    raw.write(msg({ type: 'piece', index: 1, begin: 0, block: new Uint8Array(16) }))
    await until(() => conn.closeReason !== null)
    expect(closeText(conn)).toBe('protocol violation: too many unrequested blocks')
  })
})

describe('PeerConnection reports waste to its torrent', () => {
  it('stray messages are reported and tolerated; a reject after our cancel is not one', async () => {
    const { raw, conn } = await leechAgainstRaw()
    const strays: string[] = []
    const dropped: string[] = []
    conn.setHandlers({ onStray: (what) => strays.push(what), onRequestsDropped: (_r, why) => dropped.push(why) })
    raw.sendHandshake()
    raw.write(W.HAVE_ALL, W.UNCHOKE)
    await until(() => !conn.state.peerChoking)
    conn.interested()
    expect(conn.request(0, 0, 16384)).toBe(true)
    expect(conn.cancel(0, 0, 16384)).toBe(true)
    expect(conn.request(2, 0, 16384)).toBe(true)
    raw.write(msg({ type: 'reject', index: 0, begin: 0, length: 16384 })) // answers our cancel
    raw.write(msg({ type: 'reject', index: 2, begin: 0, length: 16384 })) // answers our request
    await until(() => dropped.length === 1)
    expect(strays).toEqual([])
    expect(dropped).toEqual(['rejected'])
    raw.write(msg({ type: 'reject', index: 1, begin: 16384, length: 16384 }))
    raw.write(msg({ type: 'piece', index: 1, begin: 0, block: new Uint8Array(16) }))
    raw.write(msg({ type: 'request', index: 2, begin: 0, length: 16384 })) // we have no piece at all
    await until(() => strays.length === 3)
    expect(strays).toEqual(['unrequested-reject', 'unrequested-block', 'unadvertised-request'])
    expect(conn.isOpen).toBe(true)
  })

  it('requests while we choke the peer are strays only past the grace after the choke, and never for allowed-fast pieces', async () => {
    const { raw, conn, clock } = await rawAgainstSeed()
    const strays: string[] = []
    const served: number[] = []
    conn.setHandlers({ onStray: (what) => strays.push(what), onUploadRequest: (r) => served.push(r.index) })
    raw.sendHandshake()
    await until(() => conn.isOpen)
    const request = (index: number) => raw.write(msg({ type: 'request', index, begin: 0, length: 16384 }))
    // right after the connection began (choked): in flight before the peer could know, not charged
    raw.write(W.INTERESTED)
    request(0)
    await settle()
    expect(strays).toEqual([])
    conn.unchoke()
    request(1)
    await until(() => served.length === 1)
    // just after our choke: still in flight, refused but not charged
    clock.advance(60_000)
    conn.choke()
    clock.advance(1999)
    request(2)
    await settle()
    expect(strays).toEqual([])
    // long after it: charged, one stray per request
    clock.advance(1)
    request(2)
    request(0)
    await until(() => strays.length === 2)
    expect(strays).toEqual(['choked-request', 'choked-request'])
    // an allowed-fast piece may be requested while choked
    conn.allowFast(2)
    request(2)
    for (let i = 0; i < 200 && served.length < 2; i++) await new Promise((r) => setTimeout(r, 5))
    expect(served).toEqual([1, 2])
    expect(strays).toHaveLength(2)
    expect(conn.isOpen).toBe(true)
  })

  it('a request for a piece we advertised is no stray', async () => {
    const { raw, conn } = await rawAgainstSeed()
    const strays: string[] = []
    conn.setHandlers({ onStray: (what) => strays.push(what), onUploadRequest: () => {} })
    raw.sendHandshake()
    await until(() => conn.isOpen)
    raw.write(W.INTERESTED, msg({ type: 'request', index: 1, begin: 0, length: 16384 }))
    await settle()
    expect(strays).toEqual([])
  })

  it('a snub is reported once, and again only after the peer delivered in between', async () => {
    const { raw, conn, clock } = await leechAgainstRaw()
    let snubs = 0
    conn.setHandlers({ onSnubbed: () => snubs++ })
    raw.sendHandshake()
    raw.write(W.HAVE_ALL, W.UNCHOKE)
    await until(() => !conn.state.peerChoking)
    conn.interested()
    conn.request(0, 0, 16384)
    clock.advance(21_000)
    expect(snubs).toBe(1)
    conn.request(0, 16384, 16384)
    clock.advance(21_000)
    expect(conn.stats().snubbed).toBe(true)
    expect(snubs).toBe(1)
    conn.request(1, 0, 16384)
    raw.write(msg({ type: 'piece', index: 1, begin: 0, block: new Uint8Array(16384) }))
    await until(() => !conn.stats().snubbed)
    conn.request(1, 16384, 16384)
    clock.advance(21_000)
    expect(snubs).toBe(2)
  })
})

describe('PeerConnection message order', () => {
  it('accepts an extension handshake before have-all, as libtorrent sends them', async () => {
    const { raw, conn } = await leechAgainstRaw()
    raw.sendHandshake()
    raw.write(msg({ type: 'extended', extId: 0, payload: new TextEncoder().encode('de') }), W.HAVE_ALL)
    await until(() => conn.peerPieces?.isFull() === true)
    expect(conn.isOpen).toBe(true)
  })

  it('sends availability first even when onHandshake already declares interest', async () => {
    const { raw, conn } = await leechAgainstRaw()
    conn.setHandlers({ onHandshake: () => conn.interested() })
    raw.sendHandshake()
    await until(() => raw.received.length >= 2)
    expect(raw.types().slice(0, 2)).toEqual(['have-none', 'interested'])
    expect(conn.isOpen).toBe(true)
  })
})

describe('PeerConnection availability without a bitfield', () => {
  it('announces an empty set before the first have of a peer that sent no bitfield', async () => {
    const { raw, conn } = await leechAgainstRaw()
    const events: string[] = []
    conn.setHandlers({
      onPeerPieces: () => events.push(`pieces ${conn.peerPieces?.count()}`),
      onHave: (i) => events.push(`have ${i} -> ${conn.peerPieces?.count()}`),
    })
    raw.sendHandshake({ extended: true })
    raw.write(W.UNCHOKE, msg({ type: 'have', index: 2 }), msg({ type: 'have', index: 3 }))
    await until(() => events.length === 3)
    expect(events).toEqual(['pieces 0', 'have 2 -> 1', 'have 3 -> 2'])
  })
})

describe('PeerConnection upload side', () => {
  it('honours our reqq: beyond it requests are rejected; reads are limited in flight', async () => {
    const reads: BlockRef[] = []
    const { raw, conn } = await rawAgainstSeed({ config: { maxIncomingRequests: 250, maxUploadReads: 16 } })
    conn.setHandlers({ onInterested: () => conn.unchoke(), onUploadRequest: (r) => reads.push(r) })
    raw.sendHandshake()
    raw.write(W.INTERESTED)
    await until(() => raw.types().includes('unchoke'))
    // 300 distinct requests: pieces 0..2 have 2 blocks; use small lengths at many offsets.
    for (let i = 0; i < 300; i++) raw.write(msg({ type: 'request', index: i % 3, begin: (i / 3) | 0, length: 16 }))
    await until(() => raw.types().filter((t) => t === 'reject').length === 50)
    expect(raw.types().filter((t) => t === 'reject').length).toBe(50)
    expect(reads.length).toBe(16)
    expect(conn.stats().uploadQueue).toBe(250)
    expect(conn.sendPiece(reads[0]!.index, reads[0]!.begin, new Uint8Array(16))).toBe(true)
    expect(reads.length).toBe(17) // a freed read slot is used at once
    await until(() => raw.types().includes('piece'))
    expect(conn.stats().uploaded).toBe(16)
  })

  it('rejects requests while choked (fast) and ignores them without fast', async () => {
    const a = await rawAgainstSeed()
    let reads = 0
    a.conn.setHandlers({ onUploadRequest: () => reads++ })
    a.raw.sendHandshake()
    a.raw.write(msg({ type: 'request', index: 0, begin: 0, length: 16384 }))
    await until(() => a.raw.types().includes('reject'))
    expect(a.raw.received.find((m) => m.type === 'reject')).toEqual({
      type: 'reject',
      index: 0,
      begin: 0,
      length: 16384,
    })
    const b = await rawAgainstSeed()
    b.conn.setHandlers({ onUploadRequest: () => reads++ })
    b.raw.sendHandshake({ fast: false, extended: true })
    b.raw.write(msg({ type: 'request', index: 0, begin: 0, length: 16384 }))
    await settle()
    expect(b.raw.types()).toEqual(['bitfield'])
    expect(reads).toBe(0)
    expect(b.conn.isOpen).toBe(true)
  })

  it('rejects (fast) a request for a piece we lack, even unchoked, without asking the torrent to read it', async () => {
    const lacking = Bitfield.full(SHAPE.pieceCount)
    lacking.clear(1)
    const reads: BlockRef[] = []
    const { raw, conn } = await rawAgainstSeed({
      acceptIncoming: (_hs, c) => {
        c.setTorrent(SHAPE)
        c.setLocalPieces(lacking)
        return true
      },
    })
    conn.setHandlers({ onInterested: () => conn.unchoke(), onUploadRequest: (r) => reads.push(r) })
    raw.sendHandshake()
    raw.write(
      W.INTERESTED,
      msg({ type: 'request', index: 1, begin: 0, length: 16384 }),
      msg({ type: 'request', index: 0, begin: 0, length: 16384 }),
    )
    await until(() => raw.types().includes('reject') && reads.length === 1)
    expect(raw.received.filter((m) => m.type === 'reject')).toEqual([
      { type: 'reject', index: 1, begin: 0, length: 16384 },
    ])
    expect(reads.map((r) => r.index)).toEqual([0])
  })

  it('a cancel removes a queued upload and is answered by a reject (fast)', async () => {
    const reads: BlockRef[] = []
    const { raw, conn } = await rawAgainstSeed()
    conn.setHandlers({ onInterested: () => conn.unchoke(), onUploadRequest: (r) => reads.push(r) })
    raw.sendHandshake()
    raw.write(W.INTERESTED, msg({ type: 'request', index: 2, begin: 16384, length: 16384 }))
    await until(() => reads.length === 1)
    raw.write(msg({ type: 'cancel', index: 2, begin: 16384, length: 16384 }))
    await until(() => raw.types().includes('reject'))
    expect(conn.sendPiece(2, 16384, new Uint8Array(16384))).toBe(false)
    expect(conn.stats().uploadQueue).toBe(0)
  })
})

describe('PeerConnection timers, extensions and magnets', () => {
  it('sends keep-alives and closes a peer silent for 4 minutes', async () => {
    const { raw, conn, clock } = await rawAgainstSeed()
    raw.sendHandshake()
    await until(() => conn.isOpen)
    await settle()
    const before = raw.types().length
    clock.advance(90_000)
    await settle()
    expect(raw.types().slice(before)).toEqual(['keep-alive'])
    clock.advance(149_000)
    expect(conn.isOpen).toBe(true)
    clock.advance(1_000)
    expect(closeText(conn)).toBe('idle timeout')
  })

  it('reports the peer DHT port and sends ours', async () => {
    const { raw, conn } = await rawAgainstSeed()
    const ports: number[] = []
    conn.setHandlers({ onPort: (p) => ports.push(p) })
    raw.sendHandshake({ fast: true, extended: true, dht: true })
    raw.write(msg({ type: 'port', port: 6881 }))
    await until(() => ports.length === 1)
    expect(ports).toEqual([6881])
    expect(conn.remote?.dht).toBe(true)
    conn.sendPort(51413)
    await until(() => raw.types().includes('port'))
    expect(raw.received.find((m) => m.type === 'port')).toEqual({ type: 'port', port: 51413 })
  })

  it('dispatches extended messages and sends ours', async () => {
    const { raw, conn } = await rawAgainstSeed()
    const got: Array<[number, string]> = []
    conn.setHandlers({ onExtended: (id, p) => got.push([id, new TextDecoder().decode(p)]) })
    raw.sendHandshake()
    raw.write(msg({ type: 'extended', extId: 0, payload: new TextEncoder().encode('d4:reqqi500ee') }))
    await until(() => got.length === 1)
    expect(got).toEqual([[0, 'd4:reqqi500ee']])
    conn.sendExtended(3, new Uint8Array([1, 2]))
    await until(() => raw.types().includes('extended'))
    expect(raw.received.find((m) => m.type === 'extended')).toEqual({
      type: 'extended',
      extId: 3,
      payload: new Uint8Array([1, 2]),
    })
  })

  it('keeps a magnet peer’s availability raw until the piece count is known, then checks it', async () => {
    const ok = await leechAgainstRaw({ torrent: null })
    let told = 0
    ok.conn.setHandlers({ onPeerPieces: () => told++ })
    ok.raw.sendHandshake()
    ok.raw.write(msg({ type: 'bitfield', bits: new Uint8Array([0xa0]) }), msg({ type: 'have', index: 3 }))
    await settle()
    expect(ok.conn.peerPieces).toBeNull()
    ok.conn.setTorrent(SHAPE)
    expect(told).toBe(1)
    expect(ok.conn.peerPieces?.count()).toBe(3)
    expect([0, 1, 2, 3].map((i) => ok.conn.peerPieces!.has(i))).toEqual([true, false, true, true])
    const bad = await leechAgainstRaw({ torrent: null })
    bad.raw.sendHandshake()
    bad.raw.write(msg({ type: 'bitfield', bits: new Uint8Array([0xff, 0xff]) }))
    await settle()
    bad.conn.setTorrent(SHAPE)
    expect(closeText(bad.conn)).toContain('does not fit 4 pieces')
  })

  it('stops asking for requests under write backpressure and signals ready on drain', async () => {
    const { raw, conn } = await leechAgainstRaw({ config: { minRequestDepth: 250 } }, { highWaterMark: 1000 })
    let ready = 0
    conn.setHandlers({ onReady: () => ready++ })
    raw.sendHandshake()
    raw.write(W.HAVE_ALL, W.UNCHOKE)
    await until(() => !conn.state.peerChoking)
    conn.interested()
    raw.socket.pause() // the peer stops reading: our 17-byte requests back up past 1000 bytes
    for (let i = 0; i < 250 && conn.wantedRequests() > 0; i++) {
      conn.request(i % 4, (i >> 2) * 16, 16)
      if (i % 2 === 1) await settle(5)
    }
    const sent = conn.stats().requests
    expect(sent).toBeGreaterThanOrEqual(1000 / 17)
    expect(sent).toBeLessThan(conn.requestDepth())
    expect(conn.wantedRequests()).toBe(0) // blocked, though the pipeline has room
    const before = ready
    raw.socket.resume()
    await until(() => ready > before)
    expect(ready).toBe(before + 1)
    expect(conn.wantedRequests()).toBeGreaterThan(0)
  })
})
