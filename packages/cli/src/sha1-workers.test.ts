import { createHash } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { startSha1Workers } from './sha1-workers.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const ref = (b: Uint8Array) => createHash('sha1').update(b).digest('hex')

describe('startSha1Workers', () => {
  const h = startSha1Workers(2)
  afterAll(() => h.close())

  it('hashes in worker threads, many at once, and hands every buffer back intact', async () => {
    const pieces = Array.from({ length: 12 }, (_, i) => {
      const b = new Uint8Array(256 * 1024 + i)
      for (let j = 0; j < b.length; j++) b[j] = (j * 31 + i) & 255
      return b
    })
    const want = pieces.map((p) => ({ digest: ref(p), bytes: Buffer.from(p) }))
    const got = await Promise.all(pieces.map((p) => h.sha1(p)))
    expect(pieces[0]!.length, 'the buffer was transferred, not copied').toBe(0)
    got.forEach((r, i) => {
      expect(hex(r.digest)).toBe(want[i]!.digest)
      expect(Buffer.from(r.data).equals(want[i]!.bytes)).toBe(true)
    })
  })

  it('copies a view it cannot transfer and leaves the caller’s buffer alone', async () => {
    const whole = new Uint8Array(1000).map((_, i) => i & 255)
    const view = whole.subarray(100, 900)
    const r = await h.sha1(view)
    expect(hex(r.digest)).toBe(ref(whole.subarray(100, 900)))
    expect(whole.length).toBe(1000)
    expect(Buffer.from(r.data).equals(Buffer.from(whole.subarray(100, 900)))).toBe(true)
  })

  it('rejects after close', async () => {
    const h2 = startSha1Workers(1)
    await h2.close()
    await expect(h2.sha1(new Uint8Array(10))).rejects.toThrow(/closed/)
  })
})
