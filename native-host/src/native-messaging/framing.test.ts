import { describe, expect, it } from 'vitest'
import { encodeFrame, FrameReader } from './framing.ts'

describe('native-messaging framing', () => {
  it('prefixes UTF-8 JSON with a little-endian 32-bit length', () => {
    const f = encodeFrame({ name: 'Übergröße 日本' })
    const body = new TextEncoder().encode(JSON.stringify({ name: 'Übergröße 日本' }))
    expect(f.length).toBe(4 + body.length)
    expect([...f.subarray(0, 4)]).toEqual([body.length & 0xff, (body.length >> 8) & 0xff, 0, 0])
    expect(new TextDecoder().decode(f.subarray(4))).toBe(JSON.stringify({ name: 'Übergröße 日本' }))
  })

  it('reassembles messages split at every byte and several in one chunk', () => {
    const msgs = [{ type: 'hello' }, { type: 'ping', id: 7 }, { s: 'x'.repeat(70_000) }]
    const all = Buffer.concat(msgs.map((m) => Buffer.from(encodeFrame(m))))
    const r = new FrameReader()
    const got: unknown[] = []
    for (let i = 0; i < all.length; i += 1 + (i % 997))
      got.push(...r.push(all.subarray(i, Math.min(all.length, i + 1 + (i % 997)))))
    expect(got).toEqual(msgs)
    expect(r.pending).toBe(0)
    expect(new FrameReader().push(all)).toEqual(msgs)
  })

  it('refuses oversized frames both ways', () => {
    expect(() => encodeFrame({ s: 'x'.repeat(1024 * 1024) })).toThrow(/exceeds/)
    const head = new Uint8Array(4)
    new DataView(head.buffer).setUint32(0, 2 * 1024 * 1024, true)
    expect(() => new FrameReader().push(head)).toThrow(/exceeds/)
  })

  it('rejects a frame that is not JSON', () => {
    const bad = new Uint8Array([3, 0, 0, 0, 0x7b, 0x7b, 0x7b])
    expect(() => new FrameReader().push(bad)).toThrow()
  })
})
