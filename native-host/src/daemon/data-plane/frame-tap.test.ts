import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { FrameTap } from './frame-tap.ts'

describe('FrameTap', () => {
  it('replays from `at` the bytes as received, even when the client changed (decrypted) its buffers in place', () => {
    const tap = new FrameTap((e) => {
      throw e
    })
    // a keep-alive (4 zero bytes) and a 'have 7' after a 3-byte prefix, delivered as Node Buffers
    const first = Buffer.from([9, 9, 9, 0, 0, 0, 0])
    const second = Buffer.from([0, 0, 0, 5, 4, 0, 0, 0, 7])
    const delivered = [tap.read(first, true), tap.read(second, true)]
    // the in-process client gets these very buffers and decrypts them in place
    for (const d of delivered) d.fill(0xee)
    const framed = tap.frame({ at: 3, store: () => false }, () => {})
    expect([...framed]).toEqual([0, 0, 0, 0, 0, 0, 0, 5, 4, 0, 0, 0, 7])
  })
})
