import { describe, expect, it } from 'vitest'
import { PieceBits } from './piece-bits.ts'

describe('PieceBits', () => {
  it('uses BEP 3 bit order and counts', () => {
    const b = new PieceBits(10)
    expect(b.set(0)).toBe(true)
    expect(b.set(0)).toBe(false)
    b.set(9)
    expect([...b.bytes]).toEqual([0x80, 0x40])
    expect(b.count()).toBe(2)
    expect(b.has(9)).toBe(true)
    expect(b.has(10)).toBe(false)
    expect(b.clear(0)).toBe(true)
    expect(b.count()).toBe(1)
    expect(() => b.set(10)).toThrow(RangeError)
  })

  it('loads bytes, ignores spare bits and rejects wrong lengths', () => {
    const b = new PieceBits(10, new Uint8Array([0xff, 0xff]))
    expect(b.count()).toBe(10)
    expect(b.isFull()).toBe(true)
    expect([...b.bytes]).toEqual([0xff, 0xc0])
    expect(() => new PieceBits(10, new Uint8Array(1))).toThrow(RangeError)
    expect(PieceBits.full(3).clone().count()).toBe(3)
  })
})
