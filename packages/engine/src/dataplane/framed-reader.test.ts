import { describe, expect, it } from 'vitest'
import { Rc4 } from '../mse/rc4.ts'
import { STORED_MESSAGE_ID } from '../platform/ports.ts'
import { FramedReader, STORED_MESSAGE_LENGTH, storedMessage } from './framed-reader.ts'

function msg(id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const m = new Uint8Array(5 + payload.length)
  new DataView(m.buffer).setUint32(0, 1 + payload.length)
  m[4] = id
  m.set(payload, 5)
  return m
}

function pieceMsg(index: number, begin: number, block: Uint8Array): Uint8Array {
  const p = new Uint8Array(8 + block.length)
  const v = new DataView(p.buffer)
  v.setUint32(0, index)
  v.setUint32(4, begin)
  p.set(block, 8)
  return msg(7, p)
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function block(seed: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, k) => (k * 31 + seed * 7) & 255)
}

/** Deterministic cut points (a small LCG), so a failure can be replayed. */
function cuts(total: number, seed: number, maxPiece: number): number[] {
  const out: number[] = []
  let x = seed
  let at = 0
  while (at < total) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    at = Math.min(total, at + 1 + (x % maxPiece))
    out.push(at)
  }
  return out
}

/** Index of the first difference, -1 when equal (toEqual on large typed arrays is very slow). */
function diff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return k
  return a.length === b.length ? -1 : n
}

function keptSummary(kept: Kept[]): string[] {
  return kept.map((k) => `${k.index}/${k.begin}/${k.block.length}/${k.block.reduce((x, y) => (x * 31 + y) >>> 0, 7)}`)
}

interface Kept {
  index: number
  begin: number
  block: Uint8Array
}

/** A stream of mixed messages, what the reader must deliver for it, and the blocks it must keep. */
function scenario(): { wire: Uint8Array; expected: Uint8Array; kept: Kept[]; keepIndex: (i: number) => boolean } {
  const keepIndex = (i: number): boolean => i % 2 === 0
  const wire: Uint8Array[] = []
  const expected: Uint8Array[] = []
  const kept: Kept[] = []
  const add = (m: Uint8Array, out: Uint8Array | null = m): void => {
    wire.push(m)
    if (out) expected.push(out)
  }
  add(new Uint8Array(4)) // keep-alive
  add(msg(1)) // unchoke
  add(msg(4, Uint8Array.of(0, 0, 0, 9))) // have
  for (let n = 0; n < 12; n++) {
    const index = n % 4
    const b = block(n, n === 11 ? 5000 : 16384)
    const m = pieceMsg(index, (n >> 2) * 16384, b)
    if (keepIndex(index)) {
      add(m, storedMessage(index, (n >> 2) * 16384, b.length))
      kept.push({ index, begin: (n >> 2) * 16384, block: b })
    } else add(m)
    if (n === 5) add(msg(STORED_MESSAGE_ID, new Uint8Array(12)), null) // a peer's own 250: dropped
    if (n === 7) add(msg(20, block(99, 3000))) // extended
  }
  add(msg(STORED_MESSAGE_ID), null)
  add(msg(0))
  return { wire: concat(wire), expected: concat(expected), kept, keepIndex }
}

function run(
  wire: Uint8Array,
  cutAt: number[],
  keepIndex: (i: number) => boolean,
  decrypt?: Rc4,
): { out: Uint8Array; kept: Kept[] } {
  const kept: Kept[] = []
  const reader = new FramedReader({
    decrypt: decrypt?.snapshot(),
    store: (index, begin, b) => {
      if (!keepIndex(index)) return false
      kept.push({ index, begin, block: b.slice() })
      return true
    },
  })
  const out: Uint8Array[] = []
  let from = 0
  for (const to of cutAt) {
    out.push(reader.push(wire.slice(from, to)).slice())
    from = to
  }
  expect(reader.error).toBeNull()
  expect(reader.buffered).toBe(0)
  return { out: concat(out), kept }
}

describe('FramedReader', () => {
  it('replaces kept piece messages by STORED, forwards the rest, drops id 250 (one chunk)', () => {
    const s = scenario()
    const r = run(s.wire, [s.wire.length], s.keepIndex)
    expect(diff(r.out, s.expected)).toBe(-1)
    expect(s.kept).toHaveLength(6)
    expect(keptSummary(r.kept)).toEqual(keptSummary(s.kept))
  })

  it('gives the same result for chunk boundaries anywhere (byte by byte, and 100 random splits)', () => {
    const s = scenario()
    const bytewise = run(
      s.wire,
      Array.from({ length: s.wire.length }, (_, k) => k + 1),
      s.keepIndex,
    )
    expect(diff(bytewise.out, s.expected)).toBe(-1)
    expect(keptSummary(bytewise.kept)).toEqual(keptSummary(s.kept))
    for (let seed = 1; seed <= 100; seed++) {
      const r = run(s.wire, cuts(s.wire.length, seed, seed % 3 === 0 ? 40 : 30000), s.keepIndex)
      expect(diff(r.out, s.expected), `seed ${seed}`).toBe(-1)
      expect(keptSummary(r.kept), `seed ${seed}`).toEqual(keptSummary(s.kept))
    }
  })

  it('decrypts an RC4 stream from the given state, whatever the chunking', () => {
    const s = scenario()
    const key = Uint8Array.from({ length: 20 }, (_, k) => k * 3)
    const sender = new Rc4(key, 1024)
    sender.process(new Uint8Array(500)) // the handshake went before `at`
    const receiverAtAt = Rc4.fromState(sender.snapshot())
    const encrypted = sender.process(s.wire.slice())
    for (let seed = 1; seed <= 50; seed++) {
      const r = run(encrypted, cuts(encrypted.length, seed, 20000), s.keepIndex, Rc4.fromState(receiverAtAt.snapshot()))
      expect(diff(r.out, s.expected), `seed ${seed}`).toBe(-1)
      expect(keptSummary(r.kept), `seed ${seed}`).toEqual(keptSummary(s.kept))
    }
  })

  it('forwards a piece message raw when the store does not keep it (closed piece)', () => {
    const m = pieceMsg(3, 0, block(1, 16384))
    const r = run(m, [7, 100, m.length], () => false)
    expect(diff(r.out, m)).toBe(-1)
    expect(r.kept).toEqual([])
  })

  it('a STORED message has the documented layout', () => {
    const m = storedMessage(0x01020304, 0x4000, 0x3000)
    expect(m.length).toBe(STORED_MESSAGE_LENGTH)
    expect([...m]).toEqual([0, 0, 0, 13, 250, 1, 2, 3, 4, 0, 0, 0x40, 0, 0, 0, 0x30, 0])
  })

  it('stops at an oversize message: delivers what came before, sets error, then delivers nothing', () => {
    const reader = new FramedReader({ store: () => false, maxMessage: 1000 })
    const before = msg(1)
    const big = new Uint8Array(8)
    new DataView(big.buffer).setUint32(0, 1001)
    expect(reader.push(concat([before, big]))).toEqual(before)
    expect(reader.error?.code).toBe('too-large')
    expect(reader.push(msg(2))).toHaveLength(0)
  })

  it('detects an oversize length split across chunks', () => {
    const reader = new FramedReader({ store: () => false, maxMessage: 1000 })
    const big = new Uint8Array(4)
    new DataView(big.buffer).setUint32(0, 0xffffffff)
    expect(reader.push(big.slice(0, 2))).toHaveLength(0)
    expect(reader.error).toBeNull()
    expect(reader.push(big.slice(2))).toHaveLength(0)
    expect(reader.error?.length).toBe(0xffffffff)
  })

  it('a piece message too short to hold index and begin is forwarded (the engine rejects it)', () => {
    const m = msg(7, Uint8Array.of(0, 0, 0, 1))
    const r = run(m, [m.length], () => true)
    expect(r.out).toEqual(m)
  })
})
