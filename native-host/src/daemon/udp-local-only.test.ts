import { describe, expect, it } from 'vitest'
import { isLocalDestination } from './udp-local-only.ts'

describe('isLocalDestination', () => {
  it('allows loopback and private addresses only', () => {
    for (const a of [
      '127.0.0.1',
      '127.5.5.5',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '192.0.2.7',
      '169.254.1.1',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      'localhost',
    ]) {
      expect(isLocalDestination(a), a).toBe(true)
    }
    for (const a of [
      'router.bittorrent.com',
      'dht.libtorrent.org',
      '8.8.8.8',
      '172.32.0.1',
      '192.0.3.1',
      '2001:db8::1',
      '2a00::1',
      '::ffff:8.8.8.8',
      '',
    ]) {
      expect(isLocalDestination(a), a).toBe(false)
    }
  })
})
