import { describe, expect, it } from 'vitest'
import { formatIpv6, isLocalAddress, isUnusableAddress, parseIp, peerKey } from './ip-address.ts'

describe('parseIp', () => {
  it('parses dotted quads and refuses malformed ones', () => {
    expect(parseIp('1.2.3.4')?.text).toBe('1.2.3.4')
    expect(parseIp('255.255.255.254')?.family).toBe(4)
    for (const bad of ['1.2.3', '1.2.3.4.5', '1.2.3.256', '1.2.3.04', '1.2.3.-1', 'a.b.c.d', '', ' ', '1..2.3'])
      expect(parseIp(bad), bad).toBeNull()
  })

  it('canonicalises IPv6 per RFC 5952', () => {
    expect(parseIp('2001:DB8:0:0:0:0:2:1')?.text).toBe('2001:db8::2:1')
    expect(parseIp('2001:0db8:0000:0000:0001:0000:0000:0001')?.text).toBe('2001:db8::1:0:0:1')
    expect(parseIp('2001:db8:0:1:1:1:1:1')?.text).toBe('2001:db8:0:1:1:1:1:1') // single zero group stays
    expect(parseIp('[fe80::1]')?.text).toBe('fe80::1')
    expect(parseIp('::1')?.text).toBe('::1')
    expect(parseIp('1::')?.text).toBe('1::')
    expect(parseIp('1:2:3:4:5:6:1.2.3.4')?.text).toBe('1:2:3:4:5:6:102:304')
  })

  it('maps IPv4-mapped IPv6 to plain IPv4', () => {
    const p = parseIp('::ffff:10.0.0.1')
    expect(p?.family).toBe(4)
    expect(p?.text).toBe('10.0.0.1')
    expect(parseIp('::FFFF:a00:1')?.text).toBe('10.0.0.1')
  })

  it('refuses malformed IPv6', () => {
    for (const bad of [
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      ':1',
      '1:',
      '1:::2',
      'g::1',
      '12345::1',
      'fe80::1%eth0',
      '1.2.3.4::1',
    ])
      expect(parseIp(bad), bad).toBeNull()
  })

  it('formats the first of two equal zero runs compressed', () => {
    const b = new Uint8Array(16)
    b[1] = 1 // 1:0:0:1:0:0:1:1 style
    b[7] = 1
    b[13] = 1
    b[15] = 1
    expect(formatIpv6(b)).toBe('1::1:0:0:1:1')
  })

  it('flags addresses no peer can have', () => {
    for (const s of ['0.0.0.0', '0.1.2.3', '224.0.0.1', '255.255.255.255', '::', 'ff02::1'])
      expect(isUnusableAddress(parseIp(s)!), s).toBe(true)
    for (const s of ['127.0.0.1', '10.1.2.3', '::1', '2001:db8::1'])
      expect(isUnusableAddress(parseIp(s)!), s).toBe(false)
  })

  it('builds bracketed keys for IPv6', () => {
    expect(peerKey(parseIp('2001:DB8::1')!, 6881)).toBe('[2001:db8::1]:6881')
    expect(peerKey(parseIp('1.2.3.4')!, 80)).toBe('1.2.3.4:80')
  })

  it('isLocalAddress: loopback and private ranges, never a name or a public address', () => {
    for (const a of [
      '127.0.0.1',
      '10.9.8.7',
      '172.16.0.1',
      '172.31.1.1',
      '192.168.0.1',
      '192.0.2.9',
      '169.254.0.1',
      '::1',
      'fd00::2',
      'fe80::1',
      '::ffff:127.0.0.1',
      'localhost',
    ])
      expect(isLocalAddress(a), a).toBe(true)
    for (const a of [
      'router.bittorrent.com',
      '8.8.8.8',
      '172.32.0.1',
      '203.0.113.7',
      '2001:db8::1',
      '::ffff:8.8.8.8',
      '::',
    ])
      expect(isLocalAddress(a), a).toBe(false)
  })
})
