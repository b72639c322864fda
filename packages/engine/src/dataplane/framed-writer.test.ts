import { describe, expect, it } from 'vitest'
import { Rc4 } from '../mse/rc4.ts'
import { blockMessage, OrderedSender, PIECE_HEADER_LENGTH, encodePieceHeader } from './framed-writer.ts'

describe('blockMessage', () => {
  it('builds a piece message header in front of the block view', () => {
    const { message, block } = blockMessage(2, 0x4000, 5)
    expect(message.length).toBe(PIECE_HEADER_LENGTH + 5)
    block.set([1, 2, 3, 4, 5])
    expect([...message]).toEqual([0, 0, 0, 14, 7, 0, 0, 0, 2, 0, 0, 0x40, 0, 1, 2, 3, 4, 5])
  })
})

describe('OrderedSender', () => {
  it('keeps the order of ready writes behind a block still being read; a failed read sends nothing', async () => {
    const sent: number[][] = []
    const s = new OrderedSender((b) => sent.push([...b]))
    s.write(Uint8Array.of(1))
    let release!: (b: Uint8Array | null) => void
    s.writeLater(new Promise((r) => (release = r)))
    s.write(Uint8Array.of(3))
    s.writeLater(Promise.reject(new Error('read failed')))
    s.write(Uint8Array.of(4))
    expect(sent).toEqual([[1]])
    expect(s.pending).toBe(4)
    release(Uint8Array.of(2))
    await new Promise((r) => setTimeout(r, 0))
    expect(sent).toEqual([[1], [2], [3], [4]])
    expect(s.pending).toBe(0)
  })

  it('encrypts in send order with the given state, as one continuous RC4 stream', async () => {
    const key = Uint8Array.from({ length: 20 }, (_, k) => k + 1)
    const rc4 = new Rc4(key, 1024)
    rc4.process(new Uint8Array(300)) // bytes the engine encrypted before `frame`
    const out: Uint8Array[] = []
    const s = new OrderedSender((b) => out.push(b.slice()), rc4.snapshot())
    const plain = [Uint8Array.of(1, 2, 3), blockMessage(0, 0, 1000).message, Uint8Array.of(9)]
    s.write(plain[0]!.slice())
    s.writeLater(Promise.resolve(plain[1]!.slice()))
    s.write(plain[2]!.slice())
    await new Promise((r) => setTimeout(r, 0))
    const all = new Uint8Array(out.reduce((n, b) => n + b.length, 0))
    let at = 0
    for (const b of out) {
      all.set(b, at)
      at += b.length
    }
    const expected = new Uint8Array(all.length)
    expected.set(plain[0]!, 0)
    expected.set(plain[1]!, 3)
    expected.set(plain[2]!, 3 + plain[1]!.length)
    rc4.process(expected)
    expect(all).toEqual(expected)
  })

  it('afterQueued runs once what was queued before it went out; writes of a caller are not changed', async () => {
    const events: string[] = []
    const rc4 = new Rc4(Uint8Array.of(1, 2, 3))
    const s = new OrderedSender((b) => events.push(`send ${b.length}`), rc4.snapshot())
    s.afterQueued(() => events.push('idle now'))
    const mine = Uint8Array.of(5, 6)
    s.write(mine)
    expect([...mine]).toEqual([5, 6])
    s.writeLater(Promise.resolve(new Uint8Array(3)))
    s.afterQueued(() => events.push('after block'))
    expect(events).toEqual(['idle now', 'send 2'])
    await new Promise((r) => setTimeout(r, 0))
    expect(events).toEqual(['idle now', 'send 2', 'send 3', 'after block'])
  })

  it('drops what is queued when closed', async () => {
    const sent: Uint8Array[] = []
    const s = new OrderedSender((b) => sent.push(b))
    s.writeLater(Promise.resolve(Uint8Array.of(1)))
    s.close()
    s.write(Uint8Array.of(2))
    await new Promise((r) => setTimeout(r, 0))
    expect(sent).toEqual([])
  })

  it('writePieceLater sends a shared block as it is on a plain stream, and encrypts a copy with a cipher', async () => {
    const cache = Uint8Array.from({ length: 64 }, (_, k) => k) // a cached piece others read too
    const block = cache.subarray(16, 48)
    const plainOut: Uint8Array[] = []
    const plain = new OrderedSender((b) => plainOut.push(b))
    plain.write(Uint8Array.of(5))
    plain.writePieceLater(encodePieceHeader(3, 16, 32), Promise.resolve(block))
    plain.writePieceLater(encodePieceHeader(3, 48, 16), Promise.resolve(null)) // a failed read: nothing
    plain.write(Uint8Array.of(6))
    await new Promise((r) => setTimeout(r, 0))
    expect(plainOut.length).toBe(4)
    expect(plainOut[2]).toBe(block) // the view itself: no copy
    const { message } = blockMessage(3, 16, 32)
    message.set(block, PIECE_HEADER_LENGTH)
    expect([...plainOut[1]!, ...plainOut[2]!]).toEqual([...message])
    expect([...plainOut[3]!]).toEqual([6])

    const key = Uint8Array.from({ length: 20 }, (_, k) => 40 - k)
    const encOut: Uint8Array[] = []
    const enc = new OrderedSender((b) => encOut.push(b), new Rc4(key, 1024).snapshot())
    enc.writePieceLater(encodePieceHeader(3, 16, 32), Promise.resolve(block))
    await new Promise((r) => setTimeout(r, 0))
    expect([...cache.subarray(16, 48)]).toEqual(Array.from({ length: 32 }, (_, k) => k + 16)) // untouched
    const expected = message.slice()
    new Rc4(key, 1024).process(expected)
    expect(encOut.length).toBe(1)
    expect([...encOut[0]!]).toEqual([...expected])
  })
})
