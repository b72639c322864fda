import { describe, expect, it } from 'vitest'
import { fromHex } from '../util/hex.ts'
import { utf8Encode } from '../util/bytes.ts'
import { xorshift } from '../util/fuzz.ts'
import {
  commonPrefixBits,
  compareDistance,
  crc32c,
  distanceExp,
  isBep42Exempt,
  isSecureNodeId,
  randomId,
  randomIdWithPrefix,
  secureNodeId,
  xorDistance,
} from './node-id.ts'

describe('node ids', () => {
  it('XOR distance and its ordering', () => {
    const t = new Uint8Array(20)
    const a = new Uint8Array(20)
    a[19] = 1
    const b = new Uint8Array(20)
    b[0] = 0x80
    expect(xorDistance(a, b)[0]).toBe(0x80)
    expect(compareDistance(t, a, b)).toBeLessThan(0)
    expect(compareDistance(t, b, a)).toBeGreaterThan(0)
    expect(compareDistance(t, a, a)).toBe(0)
  })

  it('prefix length and distanceExp', () => {
    const a = new Uint8Array(20)
    const b = new Uint8Array(20)
    b[0] = 0x80
    const c = new Uint8Array(20)
    c[2] = 0x10
    expect(commonPrefixBits(a, b)).toBe(0)
    expect(distanceExp(a, b)).toBe(159)
    expect(commonPrefixBits(a, c)).toBe(19)
    expect(distanceExp(a, c)).toBe(140)
    expect(commonPrefixBits(a, a)).toBe(160)
    expect(distanceExp(a, a)).toBe(-1)
  })

  it('randomIdWithPrefix lands in the bucket at that depth', () => {
    const rnd = xorshift(7)
    const own = randomId(rnd)
    for (const depth of [0, 1, 7, 8, 9, 63, 100, 159]) {
      for (let i = 0; i < 20; i++) expect(commonPrefixBits(own, randomIdWithPrefix(own, depth, rnd))).toBe(depth)
    }
  })
})

describe('CRC32-C and BEP 42', () => {
  it('CRC32-C check value', () => {
    expect(crc32c(utf8Encode('123456789'))).toBe(0xe3069283)
  })

  // The example table in BEP 42 (IP, rand, node id).
  const vectors: Array<[string, string]> = [
    ['124.31.75.21', '5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401'],
    ['21.75.31.124', '5a3ce9c14e7a08645677bbd1cfe7d8f956d53256'],
    ['65.23.51.170', 'a5d43220bc8f112a3d426c84764f8c2a1150e616'],
    ['84.124.73.14', '1b0321dd1bb1fe518101ceef99462b947a01ff41'],
    ['43.213.53.83', 'e56f6cbf5b7c4be0237986d5243b87aa6d51305a'],
  ]

  it('accepts the BEP 42 examples and refuses them at another address', () => {
    for (const [ip, hex] of vectors) {
      expect(isSecureNodeId(fromHex(hex), ip)).toBe(true)
      expect(isSecureNodeId(fromHex(hex), '1.2.3.4')).toBe(false)
    }
  })

  it('generated ids verify, for IPv4 and IPv6', () => {
    const rnd = xorshift(99)
    for (const ip of ['124.31.75.21', '8.8.4.4', '2001:db8:1234::5', '2a00:1450::1']) {
      for (let i = 0; i < 16; i++) {
        const id = secureNodeId(ip, rnd)!
        expect(isSecureNodeId(id, ip)).toBe(true)
      }
    }
    expect(isSecureNodeId(randomId(xorshift(3)), '8.8.4.4')).toBe(false)
  })

  it('local addresses are exempt', () => {
    for (const ip of [
      '10.1.2.3',
      '127.0.0.1',
      '192.168.1.1',
      '172.20.0.1',
      '169.254.1.1',
      '::1',
      'fe80::1',
      'fd00::1',
    ]) {
      expect(isBep42Exempt(ip)).toBe(true)
    }
    expect(isBep42Exempt('8.8.8.8')).toBe(false)
    expect(isBep42Exempt('2001:db8::1')).toBe(false)
  })
})
