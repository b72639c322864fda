import { describe, expect, it } from 'vitest'
import { fromHex, toHex, isHex } from './hex.ts'
import { decodeBase32, encodeBase32 } from './base32.ts'
import { bytesEqual, compareBytes, concatBytes, utf8Decode, utf8Encode } from './bytes.ts'
import { sha1 } from './sha1.ts'
import { percentDecodeBytes, percentEncodeBytes } from './percent-encode.ts'
import { ManualClock } from './clock.ts'

function rand(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

describe('hex', () => {
  it('round-trips random bytes', () => {
    for (let n = 0; n < 50; n++) {
      const b = rand(n, n + 1)
      expect(fromHex(toHex(b))).toEqual(b)
    }
  })
  it('accepts upper case and rejects garbage', () => {
    expect(fromHex('ABcd')).toEqual(new Uint8Array([0xab, 0xcd]))
    expect(() => fromHex('abc')).toThrow(/odd/)
    expect(() => fromHex('zz')).toThrow(/invalid/)
    expect(isHex('00ff', 4)).toBe(true)
    expect(toHex(new Uint8Array([0, 15, 16, 255]))).toBe('000f10ff')
    expect(isHex('00fg')).toBe(false)
  })
})

describe('base32', () => {
  it('matches RFC 4648 test vectors', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY======'],
      ['fo', 'MZXQ===='],
      ['foo', 'MZXW6==='],
      ['foob', 'MZXW6YQ='],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI======'],
    ]
    for (const [plain, enc] of vectors) {
      expect(encodeBase32(utf8Encode(plain))).toBe(enc)
      expect(utf8Decode(decodeBase32(enc))).toBe(plain)
      expect(utf8Decode(decodeBase32(enc.toLowerCase().replace(/=/g, '')))).toBe(plain)
    }
  })
  it('round-trips 20-byte hashes as 32 characters', () => {
    for (let s = 1; s < 30; s++) {
      const h = rand(20, s)
      const e = encodeBase32(h)
      expect(e).toHaveLength(32)
      expect(decodeBase32(e)).toEqual(h)
    }
  })
  it('rejects characters outside the alphabet', () => {
    expect(() => decodeBase32('MZXW1===')).toThrow(/invalid/)
  })
})

describe('bytes', () => {
  it('concat, equal, compare', () => {
    expect(concatBytes([new Uint8Array([1]), new Uint8Array([]), new Uint8Array([2, 3])])).toEqual(
      new Uint8Array([1, 2, 3]),
    )
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true)
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1]))).toBe(false)
    expect(compareBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBeLessThan(0)
    expect(compareBytes(new Uint8Array([1, 2]), new Uint8Array([1]))).toBeGreaterThan(0)
  })
  it('decodes invalid UTF-8 with the replacement character', () => {
    expect(utf8Decode(new Uint8Array([0x61, 0xff, 0x62]))).toBe('a\uFFFDb')
  })
})

describe('sha1', () => {
  it('matches FIPS 180 vectors and hashes only the bytes of a view', async () => {
    expect(toHex(await sha1(utf8Encode('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    const big = concatBytes([utf8Encode('xx'), utf8Encode('abc'), utf8Encode('yy')])
    expect(toHex(await sha1(big.subarray(2, 5)))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    expect(toHex(await sha1(new Uint8Array()))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
  })
})

describe('percent encoding', () => {
  it('encodes raw bytes like trackers expect and round-trips', () => {
    expect(percentEncodeBytes(new Uint8Array([0x12, 0x41, 0x7e, 0x20, 0xff, 0x2e]))).toBe('%12A~%20%FF.')
    for (let s = 1; s < 20; s++) {
      const b = rand(20, s)
      const e = percentEncodeBytes(b)
      expect(e).toMatch(/^[A-Za-z0-9\-._~%]*$/)
      expect(percentDecodeBytes(e)).toEqual(b)
    }
    expect(() => percentDecodeBytes('%zz')).toThrow()
  })
})

describe('ManualClock', () => {
  it('fires due timers in order, including ones scheduled while advancing', () => {
    const c = new ManualClock(1000)
    const log: string[] = []
    c.setTimeout(() => log.push('b'), 20)
    c.setTimeout(() => {
      log.push('a')
      c.setTimeout(() => log.push('c'), 5)
    }, 10)
    const h = c.setTimeout(() => log.push('never'), 15)
    c.clearTimeout(h)
    c.advance(14)
    expect(log).toEqual(['a'])
    c.advance(100)
    expect(log).toEqual(['a', 'c', 'b'])
    expect(c.now()).toBe(1114)
  })
})
