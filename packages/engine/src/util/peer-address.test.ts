import { describe, expect, it } from 'vitest'
import {
  decodeCompactPeers4,
  decodeCompactPeers6,
  encodeCompactPeers,
  formatIPv6,
  parseIPv4,
  parseIPv6,
  peerKey,
} from './peer-address.ts'

describe('peer addresses', () => {
  it('formats IPv6 per RFC 5952 and parses it back', () => {
    const cases = [
      '::1',
      '::',
      '2001:db8::1',
      '2001:db8:0:1:1:1:1:1',
      'fe80::1:0:0:1',
      '1::',
      '::ffff:1.2.3.4',
      '2001:db8::a:0:0:1',
    ]
    for (const c of cases) {
      const b = parseIPv6(c)
      expect(b, c).not.toBeNull()
      expect(formatIPv6(b!)).toBe(c)
    }
    expect(formatIPv6(parseIPv6('2001:0db8:0000:0000:0000:0000:0000:0001')!)).toBe('2001:db8::1')
    for (const bad of ['1:2:3', ':::', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9', '::1.2.3.256', ''])
      expect(parseIPv6(bad), bad).toBeNull()
  })
  it('parses IPv4 strictly', () => {
    expect(parseIPv4('127.0.0.1')).toEqual(new Uint8Array([127, 0, 0, 1]))
    for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', 'a.b.c.d', '1.2.3.4 ']) expect(parseIPv4(bad)).toBeNull()
  })
  it('compact peers round-trip (BEP 23 / BEP 7) and skip partial entries and port 0', () => {
    const v4 = [
      { ip: '1.2.3.4', port: 6881 },
      { ip: '255.0.0.1', port: 65535 },
    ]
    const e4 = encodeCompactPeers([...v4, { ip: '::1', port: 1 }], 4)
    expect(e4).toHaveLength(12)
    expect(decodeCompactPeers4(e4)).toEqual(v4)
    const withTail = new Uint8Array([...e4, 9, 9, 9])
    expect(decodeCompactPeers4(withTail)).toEqual(v4)
    expect(decodeCompactPeers4(new Uint8Array([1, 2, 3, 4, 0, 0]))).toEqual([])
    const v6 = [
      { ip: '2001:db8::1', port: 1 },
      { ip: '::1', port: 51413 },
    ]
    expect(decodeCompactPeers6(encodeCompactPeers(v6, 6))).toEqual(v6)
    expect(peerKey(v6[0])).toBe('[2001:db8::1]:1')
    expect(peerKey(v4[0])).toBe('1.2.3.4:6881')
  })
})
