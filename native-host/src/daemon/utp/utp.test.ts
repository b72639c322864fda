import { describe, expect, it } from 'vitest'
import type { UtpConnection } from './connection.ts'
import { DelayHistory, Ledbat } from './ledbat.ts'
import { PacketType, decodePacket, encodePacket } from './packet.ts'
import { seqAdd, seqDiff, seqLess, u32Diff } from './seq.ts'
import { SimLink } from './sim-link.ts'

function pattern(n: number, seed = 7): Uint8Array {
  const b = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0
    b[i] = x >>> 24
  }
  return b
}

interface Side {
  conn?: UtpConnection
  got: Uint8Array[]
  ended: boolean
  closed: boolean
  error?: { code: string }
}

function sink(conn: UtpConnection, s: Side): void {
  s.conn = conn
  conn.setEvents({
    onData: (b) => s.got.push(b.slice()),
    onEnd: () => {
      s.ended = true
    },
    onClose: (e) => {
      s.closed = true
      s.error = e
    },
  })
}

function joined(s: Side): Uint8Array {
  const out = new Uint8Array(s.got.reduce((n, b) => n + b.length, 0))
  let at = 0
  for (const b of s.got) {
    out.set(b, at)
    at += b.length
  }
  return out
}

/** A connected pair over a SimLink: a dials b. */
function pair(link: ConstructorParameters<typeof SimLink>[0], opts: ConstructorParameters<typeof SimLink>[1] = {}) {
  const server: Side = { got: [], ended: false, closed: false }
  const client: Side = { got: [], ended: false, closed: false }
  const sim = new SimLink(link, opts, {
    ...opts,
    onAccept: (c) => {
      sink(c, server)
      return true
    },
  })
  let connected = false
  const c = sim.a.connect('b', 1)
  sink(c, client)
  c.setEvents({
    ...{
      onData: (b: Uint8Array) => client.got.push(b.slice()),
      onEnd: () => {
        client.ended = true
      },
      onClose: (e?: { code: string }) => {
        client.closed = true
        client.error = e
      },
    },
    onConnect: () => {
      connected = true
    },
  })
  expect(sim.run(() => connected && server.conn !== undefined, 5000)).toBe(true)
  return { sim, server, client, c }
}

describe('uTP packet codec', () => {
  it('round-trips a header, a selective ack and the payload', () => {
    const sack = new Uint8Array([0b101, 0, 0, 0x80])
    const p = {
      type: PacketType.data,
      connectionId: 0xbeef,
      timestampUs: 0xfffffff0,
      timestampDiffUs: 12345,
      wndSize: 1 << 20,
      seqNr: 65535,
      ackNr: 7,
      sack,
      payload: new Uint8Array([1, 2, 3]),
    }
    const bytes = encodePacket(p)
    expect(bytes.length).toBe(20 + 2 + 4 + 3)
    expect(bytes[0]).toBe(0x01) // type 0, version 1
    const d = decodePacket(bytes)!
    expect({ ...d, sack: [...d.sack!], payload: [...d.payload] }).toEqual({
      ...p,
      sack: [...sack],
      payload: [1, 2, 3],
    })
  })

  it('skips unknown extensions and refuses what is not uTP v1', () => {
    const base = encodePacket({
      type: PacketType.state,
      connectionId: 1,
      timestampUs: 0,
      timestampDiffUs: 0,
      wndSize: 0,
      seqNr: 1,
      ackNr: 2,
      payload: new Uint8Array(0),
    })
    const withExt = new Uint8Array([...base.subarray(0, 20), 0, 3, 0xaa, 0xbb, 0xcc, 9])
    withExt[1] = 2 // extension 2 (extension bits), then none
    const d = decodePacket(withExt)!
    expect(d.sack).toBeUndefined()
    expect([...d.payload]).toEqual([9])
    expect(decodePacket(base.subarray(0, 19))).toBeNull()
    const v2 = base.slice()
    v2[0] = (PacketType.state << 4) | 2
    expect(decodePacket(v2)).toBeNull()
    // libtorrent sends selective acks of any length, not only multiples of 4 (seen on the wire)
    const odd = new Uint8Array([...base.subarray(0, 20), 0, 5, 0b11, 0, 0, 0, 1])
    odd[1] = 1
    expect([...decodePacket(odd)!.sack!]).toEqual([0b11, 0, 0, 0, 1])
    const truncatedExt = base.slice()
    truncatedExt[1] = 1
    expect(decodePacket(truncatedExt)).toBeNull()
    expect(
      decodePacket(new TextEncoder().encode('d1:ad2:id20:xxxxxxxxxxxxxxxxxxxxe1:q4:ping1:t2:aa1:y1:qe')),
    ).toBeNull()
  })
})

describe('uTP sequence numbers', () => {
  it('compare across 16-bit and 32-bit wraparound', () => {
    expect(seqAdd(65535, 1)).toBe(0)
    expect(seqDiff(2, 65534)).toBe(4)
    expect(seqDiff(65534, 2)).toBe(-4)
    expect(seqLess(65530, 3)).toBe(true)
    expect(seqLess(3, 65530)).toBe(false)
    expect(u32Diff(5, 0xfffffffb)).toBe(10)
  })

  it('a transfer whose sequence numbers wrap arrives intact', () => {
    // random16 starts near the top of the range, so the sequence numbers wrap within a few packets
    const { sim, server, c } = pair({ delayMs: 2, seed: 3 }, { random16: () => 65530 })
    const data = pattern(300_000)
    c.write(data)
    c.end()
    expect(sim.run(() => server.ended, 30_000)).toBe(true)
    expect(Buffer.from(joined(server)).equals(Buffer.from(data))).toBe(true)
  })
})

describe('uTP connection', () => {
  it('moves data both ways and closes cleanly after FIN from each side', () => {
    const { sim, server, client, c } = pair({ delayMs: 5, seed: 11 })
    const up = pattern(200_000, 1)
    const down = pattern(150_000, 2)
    c.write(up)
    server.conn!.write(down)
    c.end()
    server.conn!.end()
    expect(sim.run(() => client.closed && server.closed, 30_000)).toBe(true)
    expect(Buffer.from(joined(server)).equals(Buffer.from(up))).toBe(true)
    expect(Buffer.from(joined(client)).equals(Buffer.from(down))).toBe(true)
    expect([client.error, server.error, client.ended, server.ended]).toEqual([undefined, undefined, true, true])
    expect([sim.a.size, sim.b.size]).toEqual([0, 0])
  })

  it('delivers byte-exact over a lossy, reordering link (10% loss, jitter)', () => {
    const { sim, server, c } = pair({ loss: 0.1, delayMs: 10, jitterMs: 15, seed: 5 })
    const data = pattern(1 << 20)
    c.write(data)
    c.end()
    expect(sim.run(() => server.ended, 600_000)).toBe(true)
    expect(Buffer.from(joined(server)).equals(Buffer.from(data))).toBe(true)
    expect(sim.dropped).toBeGreaterThan(50)
  })

  it('a connect to a port nobody listens on is refused; one into the void times out', () => {
    const sim = new SimLink({ delayMs: 1 }) // b has no onAccept: SYNs get a RESET
    let err: { code: string } | undefined
    sim.a.connect('b', 1).setEvents({
      onClose: (e) => {
        err = e
      },
    })
    expect(sim.run(() => err !== undefined, 1000)).toBe(true)
    expect(err?.code).toBe('refused')
    const lossy = new SimLink({ loss: 1 })
    let err2: { code: string } | undefined
    lossy.a.connect('b', 1).setEvents({
      onClose: (e) => {
        err2 = e
      },
    })
    expect(lossy.run(() => err2 !== undefined, 20_000)).toBe(true)
    expect(err2?.code).toBe('timeout')
    expect(lossy.now).toBeGreaterThanOrEqual(5000)
  })

  it('a paused receiver closes its window: the sender stops, then finishes once resumed', () => {
    const { sim, server, c } = pair({ delayMs: 2, seed: 9 }, { recvWindowBytes: 64 * 1024 })
    server.conn!.pause()
    const data = pattern(1 << 20)
    c.write(data)
    sim.run(() => false, 5000)
    expect(joined(server).length).toBe(0)
    // the sender holds back: little more than the window went out
    expect(sim.sent).toBeLessThan(200)
    server.conn!.resume()
    c.end()
    expect(sim.run(() => server.ended, 60_000)).toBe(true)
    expect(Buffer.from(joined(server)).equals(Buffer.from(data))).toBe(true)
  })

  it('write returns false over the high-water mark and drains', () => {
    const { sim, c } = pair({ delayMs: 2 }, { sendHighWater: 100_000 })
    let drained = false
    c.setEvents({ onDrain: () => (drained = true) })
    expect(c.write(pattern(50_000))).toBe(true)
    expect(c.write(pattern(100_000))).toBe(false)
    expect(sim.run(() => drained, 10_000)).toBe(true)
  })
})

describe('LEDBAT', () => {
  it('grows the window with no queuing delay and shrinks it above the target', () => {
    const cc = new Ledbat({ packetBytes: 1000 })
    let now = 0
    // base delay 50 ms (clock offset included, it only matters relative to the minimum)
    for (let i = 0; i < 50; i++) cc.onAck(1000, 50_000, true, (now += 10))
    const grown = cc.window
    expect(grown).toBeGreaterThan(20_000)
    expect(cc.queuingUs).toBe(0)
    // now 200 ms of queue on top: twice the target, so the window must come down
    for (let i = 0; i < 200; i++) cc.onAck(1000, 250_000, true, (now += 10))
    expect(cc.queuingUs).toBe(200_000)
    expect(cc.slowStart).toBe(false)
    expect(cc.window).toBeLessThan(grown)
    const shrunk = cc.window
    // the queue drains to under the target: growth again
    for (let i = 0; i < 100; i++) cc.onAck(1000, 60_000, true, (now += 10))
    expect(cc.window).toBeGreaterThan(shrunk)
    // a timeout drops to one packet, a loss halves at most once per round trip
    cc.onLoss(now, 100)
    const halved = cc.window
    cc.onLoss(now + 1, 100)
    expect(cc.window).toBe(halved)
    cc.onTimeout()
    expect(cc.window).toBe(1000)
  })

  it('the base delay is the minimum of the last two minutes, across uint32 wraparound', () => {
    const h = new DelayHistory()
    h.add(0xfffffff0, 0) // "negative" offsets wrap: 0xfffffff0 is below 5
    h.add(5, 1000)
    expect(h.base).toBe(0xfffffff0)
    h.add(100, 61_000)
    h.add(200, 122_000) // the first minute has aged out
    expect(h.base).toBe(100)
  })

  it('keeps the queue near the target on a slow bottleneck link', () => {
    // 200 KB/s bottleneck with 20 ms delay: without control the queue (and delay) would grow without bound
    const { sim, server, c } = pair({ delayMs: 20, bytesPerMs: 200, seed: 4 })
    c.write(pattern(3 << 20))
    sim.run(() => false, 15_000)
    const got = joined(server).length
    expect(got).toBeGreaterThan(2_000_000) // the link stayed busy
    expect(c.cc.queuingUs).toBeLessThan(200_000)
    expect(c.cc.window).toBeLessThan(200 * 20 * 2 + 100 * 200 * 2) // ~ bandwidth x (delay + target)
  })
})
