import { describe, expect, it } from 'vitest'
import { ChunkQueue } from './chunk-queue.ts'
import { encodeHandshake } from './handshake.ts'
import { encodeMessage, encodePieceHeader, KEEP_ALIVE } from './wire-codec.ts'
import type { DecodeResult, WireMessage } from './wire-codec.ts'
import { WireDecoder } from './wire-decoder.ts'

const block = (n: number, seed = 1) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff)

const SAMPLES: WireMessage[] = [
  { type: 'keep-alive' },
  { type: 'choke' },
  { type: 'unchoke' },
  { type: 'interested' },
  { type: 'not-interested' },
  { type: 'have-all' },
  { type: 'have-none' },
  { type: 'have', index: 7 },
  { type: 'suggest', index: 3 },
  { type: 'allowed-fast', index: 9 },
  { type: 'bitfield', bits: new Uint8Array([0xff, 0x80]) },
  { type: 'request', index: 1, begin: 16384, length: 16384 },
  { type: 'cancel', index: 1, begin: 0, length: 16384 },
  { type: 'reject', index: 2, begin: 32768, length: 100 },
  { type: 'piece', index: 4, begin: 16384, block: block(16384) },
  { type: 'piece', index: 0, begin: 0, block: new Uint8Array(0) },
  { type: 'port', port: 6881 },
  { type: 'extended', extId: 0, payload: new TextEncoder().encode('d1:md11:ut_metadatai1eee') },
  { type: 'unknown', id: 99, payload: block(10) },
]

/** Typed arrays as short fingerprints: vitest's deep equality on 16 KiB arrays is slow. */
function norm(x: unknown): unknown {
  if (x instanceof Uint8Array) {
    let h = 2166136261
    for (let i = 0; i < x.length; i++) h = Math.imul(h ^ x[i]!, 16777619)
    return `bytes:${x.length}:${h >>> 0}`
  }
  if (Array.isArray(x)) return x.map(norm)
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, norm(v)]))
  return x
}

/** Decode everything available; bounded by the input size. */
function drain(d: WireDecoder, max = 10_000): DecodeResult[] {
  const out: DecodeResult[] = []
  for (let i = 0; i < max; i++) {
    const r = d.next()
    out.push(r)
    if (r.type === 'need-more' || r.type === 'invalid') break
  }
  return out
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

function lenMsg(len: number, id: number, extra = 0): Uint8Array {
  const b = new Uint8Array(5 + extra)
  new DataView(b.buffer).setUint32(0, len >>> 0)
  b[4] = id
  return b
}

describe('wire codec', () => {
  it('decode(encode(m)) == m for every message type', () => {
    const d = new WireDecoder({ pieceCount: 16 })
    for (const m of SAMPLES) d.push(encodeMessage(m))
    const got = drain(d)
    expect(norm(got.slice(0, -1))).toEqual(norm(SAMPLES))
    expect(got.at(-1)).toEqual({ type: 'need-more', missing: 4 })
  })

  it('encode(decode(b)) == b, fed one byte at a time and in random splits', () => {
    const wire = concat(SAMPLES.map(encodeMessage))
    const one = new WireDecoder({ pieceCount: 16 })
    const seen: WireMessage[] = []
    for (let i = 0; i < wire.length; i++) {
      one.push(wire.subarray(i, i + 1))
      for (const r of drain(one)) if (r.type !== 'need-more' && r.type !== 'invalid') seen.push(r)
    }
    expect(norm(concat(seen.map(encodeMessage)))).toEqual(norm(wire))
    let seed = 12345
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 5000) + 1
    for (let round = 0; round < 20; round++) {
      const d = new WireDecoder({ pieceCount: 16 })
      const msgs: WireMessage[] = []
      for (let o = 0; o < wire.length; ) {
        const n = rand()
        d.push(wire.subarray(o, o + n))
        o += n
        for (const r of drain(d)) if (r.type !== 'need-more' && r.type !== 'invalid') msgs.push(r)
      }
      expect(norm(msgs)).toEqual(norm(SAMPLES))
    }
  })

  it('hands out a view (no copy) for a contiguous block and a copy across chunks', () => {
    const msg = encodeMessage({ type: 'piece', index: 1, begin: 0, block: block(16384) })
    const d = new WireDecoder()
    d.push(msg)
    const r = d.next()
    expect(r.type).toBe('piece')
    if (r.type === 'piece') expect(r.block.buffer).toBe(msg.buffer)
    const d2 = new WireDecoder()
    d2.push(msg.subarray(0, 100))
    d2.push(msg.subarray(100))
    const r2 = d2.next()
    if (r2.type !== 'piece') throw new Error('expected piece')
    expect(r2.block.buffer).not.toBe(msg.buffer)
    expect(norm(r2.block)).toEqual(norm(block(16384)))
  })

  it('rejects huge lengths from the header alone, never as negative numbers', () => {
    for (const len of [0xffffffff, 0x80000000, 0x80000001, 2 ** 31 + 13]) {
      for (const id of [7, 5, 20, 99]) {
        const d = new WireDecoder()
        d.push(lenMsg(len, id))
        const r = d.next()
        expect(r).toMatchObject({ type: 'invalid', code: 'too-long' })
        expect(d.next()).toBe(r) // dead after a violation
      }
    }
  })

  it('enforces block, extended and fixed-size limits', () => {
    const tooBig = new WireDecoder()
    tooBig.push(encodePieceHeader(0, 0, 16385))
    expect(tooBig.next()).toMatchObject({ type: 'invalid', code: 'too-long' })
    const tolerant = new WireDecoder({ limits: { maxBlockLength: 32768 } })
    tolerant.push(encodeMessage({ type: 'piece', index: 0, begin: 0, block: block(32768) }))
    expect(tolerant.next().type).toBe('piece')
    const ext = new WireDecoder()
    ext.push(lenMsg(2 + (1 << 20) + 1, 20))
    expect(ext.next()).toMatchObject({ type: 'invalid', code: 'too-long' })
    const extOk = new WireDecoder()
    extOk.push(lenMsg(2 + (1 << 20), 20))
    expect(extOk.next().type).toBe('need-more')
    for (const [len, id] of [
      [2, 0],
      [4, 4],
      [14, 6],
      [12, 8],
      [2, 9],
      [5, 14],
      [1, 16],
      [9, 17],
    ] as const) {
      const d = new WireDecoder()
      d.push(lenMsg(len, id))
      expect(d.next(), `id ${id} len ${len}`).toMatchObject({ type: 'invalid', code: 'bad-length' })
    }
    const shortPiece = new WireDecoder()
    shortPiece.push(lenMsg(8, 7))
    expect(shortPiece.next()).toMatchObject({ type: 'invalid', code: 'bad-length' })
  })

  it('checks bitfield size and spare bits against the piece count, and indices', () => {
    const exact = new WireDecoder({ pieceCount: 10 })
    exact.push(encodeMessage({ type: 'bitfield', bits: new Uint8Array([0xff, 0xc0]) }))
    expect(exact.next().type).toBe('bitfield')
    const spare = new WireDecoder({ pieceCount: 10 })
    spare.push(encodeMessage({ type: 'bitfield', bits: new Uint8Array([0xff, 0xe0]) }))
    expect(spare.next()).toMatchObject({ type: 'invalid', code: 'bad-bitfield' })
    const long = new WireDecoder({ pieceCount: 10 })
    long.push(encodeMessage({ type: 'bitfield', bits: new Uint8Array(3) }))
    expect(long.next()).toMatchObject({ type: 'invalid', code: 'bad-bitfield' })
    const unknownCount = new WireDecoder()
    unknownCount.push(encodeMessage({ type: 'bitfield', bits: new Uint8Array(3) }))
    expect(unknownCount.next().type).toBe('bitfield')
    const have = new WireDecoder({ pieceCount: 10 })
    have.push(encodeMessage({ type: 'have', index: 10 }))
    expect(have.next()).toMatchObject({ type: 'invalid', code: 'index-out-of-range' })
    const piece = new WireDecoder({ pieceCount: 10 })
    piece.push(encodeMessage({ type: 'piece', index: 0xffffffff, begin: 0, block: block(4) }))
    expect(piece.next()).toMatchObject({ type: 'invalid', code: 'index-out-of-range' })
  })

  it('reads a handshake then messages from the same stream, failing fast on junk', () => {
    const ih = new Uint8Array(20).fill(1)
    const pid = new Uint8Array(20).fill(2)
    const d = new WireDecoder()
    const stream = concat([encodeHandshake(ih, pid, { fast: true }), encodeMessage({ type: 'have-all' }), KEEP_ALIVE])
    d.push(stream.subarray(0, 30))
    expect(d.readHandshake()).toEqual({ type: 'need-more', missing: 38 })
    d.push(stream.subarray(30))
    const h = d.readHandshake()
    expect(h.type).toBe('handshake')
    if (h.type === 'handshake') expect(h.handshake.fast).toBe(true)
    expect(drain(d).map((r) => r.type)).toEqual(['have-all', 'keep-alive', 'need-more'])
    const junk = new WireDecoder()
    junk.push(new TextEncoder().encode('GET / HTTP/1.1\r\n'))
    expect(junk.readHandshake()).toMatchObject({ type: 'invalid', code: 'bad-handshake' })
  })

  it('never throws on random input (fuzz, fixed seed)', () => {
    let seed = 987654321
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0)
    for (let round = 0; round < 2000; round++) {
      const d = new WireDecoder({ pieceCount: round % 2 ? 100 : null })
      const len = rnd() % 64
      const bytes = new Uint8Array(len).map(() => rnd() & 0xff)
      // Bias towards small plausible lengths so bodies get parsed too.
      if (len >= 5 && round % 3 === 0) {
        bytes[0] = 0
        bytes[1] = 0
        bytes[2] = 0
        bytes[3] = rnd() % 20
        bytes[4] = rnd() % 22
      }
      d.push(bytes)
      const out = drain(d, 100)
      const last = out.at(-1)!
      expect(['need-more', 'invalid']).toContain(last.type)
    }
  })
})

describe('ChunkQueue', () => {
  it('reads u32 across chunk borders unsigned and takes exact slices', () => {
    const q = new ChunkQueue()
    q.push(new Uint8Array([0xff, 0xff]))
    q.push(new Uint8Array([0xff]))
    q.push(new Uint8Array([0xfe, 1, 2, 3]))
    expect(q.length).toBe(7)
    expect(q.peekUint32(0)).toBe(0xfffffffe)
    q.skip(1)
    expect(q.take(4)).toEqual(new Uint8Array([0xff, 0xff, 0xfe, 1]))
    expect(q.take(2)).toEqual(new Uint8Array([2, 3]))
    expect(q.length).toBe(0)
  })
})
