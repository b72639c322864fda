import { describe, expect, it } from 'vitest'
import { decodeFrame, decodeFrameParts, encodeCredit, encodeFrame, HEADER_BYTES, readCredit } from './frame-codec.ts'

describe('frame codec', () => {
  it('round-trips kind, id, op, meta and payload', () => {
    const payload = new Uint8Array([1, 2, 3, 250])
    const enc = encodeFrame(1, 0xfffffffe, 45, { root: 'Ñ', path: 'файл/文件/ملف/🙂' }, payload)
    const r = decodeFrame(enc)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.frame.kind).toBe(1)
    expect(r.frame.id).toBe(0xfffffffe)
    expect(r.frame.op).toBe(45)
    expect(r.frame.meta).toEqual({ root: 'Ñ', path: 'файл/文件/ملف/🙂' })
    expect([...r.frame.payload]).toEqual([1, 2, 3, 250])
  })

  it('uses big-endian header fields at fixed offsets', () => {
    const enc = encodeFrame(4, 0x01020304, 0x0506, undefined, new Uint8Array([9]))
    expect([...enc]).toEqual([4, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 9])
  })

  it('decodes empty meta as {} and payload as a view', () => {
    const enc = encodeFrame(4, 7, 0, undefined, new Uint8Array(10))
    const r = decodeFrame(enc)
    expect(r.ok && r.frame.meta).toEqual({})
    expect(r.ok && r.frame.payload.buffer).toBe(enc.buffer)
  })

  it('rejects truncated, bad metaLen, non-JSON and non-object meta', () => {
    expect(decodeFrame(new Uint8Array(HEADER_BYTES - 1)).ok).toBe(false)
    const bad = encodeFrame(1, 5, 10, { a: 1 })
    const cut = bad.subarray(0, bad.length - 1)
    const r = decodeFrame(cut)
    expect(r.ok).toBe(false)
    if (!r.ok) expect([r.id, r.op]).toEqual([5, 10])
    const notJson = encodeFrame(1, 1, 1, undefined, new TextEncoder().encode('{x'))
    notJson[10] = 2 // metaLen = 2
    expect(decodeFrame(notJson).ok).toBe(false)
    const arr = new TextEncoder().encode('[1]')
    const f = new Uint8Array(HEADER_BYTES + 3)
    f.set(arr, HEADER_BYTES)
    f[10] = 3
    expect(decodeFrame(f).ok).toBe(false)
  })

  it('encodes credit as u32', () => {
    const c = decodeFrame(encodeCredit(3, 1 << 20))
    expect(c.ok && c.frame.kind).toBe(6)
    expect(c.ok && readCredit(c.frame.payload)).toBe(1 << 20)
    expect(readCredit(new Uint8Array(3))).toBe(null)
  })

  it('decodes a message sent as header + payload fragments without copying the payload', () => {
    const payload = new Uint8Array(32 * 1024).fill(7)
    const head = encodeFrame(1, 9, 31, { handle: 3, offset: 4096 })
    const r = decodeFrameParts([head, payload])
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.frame.meta).toEqual({ handle: 3, offset: 4096 })
    expect(r.frame.payload).toBe(payload)
  })

  it('decodes other fragmentations as the joined message', () => {
    const whole = encodeFrame(1, 9, 31, { handle: 3 }, new Uint8Array([1, 2, 3, 4, 5]))
    for (const cuts of [[3], [HEADER_BYTES + 2], [HEADER_BYTES + 13, HEADER_BYTES + 14], [whole.length - 1]]) {
      const parts: Uint8Array[] = []
      let at = 0
      for (const c of cuts) {
        parts.push(whole.subarray(at, c))
        at = c
      }
      parts.push(whole.subarray(at))
      const r = decodeFrameParts(parts)
      expect(r.ok, `cuts ${cuts}`).toBe(true)
      if (!r.ok) return
      expect(r.frame.meta).toEqual({ handle: 3 })
      expect([...r.frame.payload]).toEqual([1, 2, 3, 4, 5])
    }
    // a header fragment whose metaLen runs past the message is still an error, not a crash
    const bad = decodeFrameParts([encodeFrame(1, 1, 1, { a: 1 }).subarray(0, HEADER_BYTES + 2), new Uint8Array(1)])
    expect(bad.ok).toBe(false)
  })
})
