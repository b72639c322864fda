import { describe, expect, it } from 'vitest'
import { crc32c, peerPriority } from './bep40.ts'

describe('BEP 40 peer priority', () => {
  it('computes crc32-c (Castagnoli) check value', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
  })

  it('matches the vectors of BEP 40', () => {
    expect(peerPriority({ ip: '123.213.32.10', port: 0 }, { ip: '98.76.54.32', port: 0 })).toBe(0xec2d7224)
    expect(peerPriority({ ip: '123.213.32.10', port: 0 }, { ip: '123.213.32.234', port: 0 })).toBe(0x99568189)
  })

  it('is symmetric', () => {
    const pairs: Array<[string, string]> = [
      ['123.213.32.10', '98.76.54.32'],
      ['10.0.0.1', '10.0.1.1'],
      ['2001:db8::1', '2001:db8:1::1'],
      ['2001:db8::1', '1.2.3.4'],
    ]
    for (const [a, b] of pairs) {
      const x = peerPriority({ ip: a, port: 1 }, { ip: b, port: 2 })
      expect(peerPriority({ ip: b, port: 2 }, { ip: a, port: 1 })).toBe(x)
    }
  })

  it('uses the ports when the addresses are equal', () => {
    const expected = crc32c(new Uint8Array([0x1a, 0xe1, 0x1a, 0xe2])) // 6881, 6882 big-endian, ascending
    expect(peerPriority({ ip: '1.2.3.4', port: 6882 }, { ip: '1.2.3.4', port: 6881 })).toBe(expected)
  })

  it('masks IPv4 per shared prefix', () => {
    const pri = (a: string, b: string) => peerPriority({ ip: a, port: 1 }, { ip: b, port: 1 })
    // Different /16: FF.FF.55.55, so 0xaa (170) bits in the last two bytes do not count.
    expect(pri('1.2.170.170', '9.9.9.9')).toBe(pri('1.2.0.0', '9.9.9.9'))
    expect(pri('1.2.3.4', '9.9.9.11')).toBe(pri('1.2.3.4', '9.9.9.1')) // 11 & 0x55 = 1
    // Same /16: FF.FF.FF.55, the third byte counts whole, the fourth is masked.
    expect(pri('1.2.170.4', '1.2.3.4')).not.toBe(pri('1.2.0.4', '1.2.3.4'))
    expect(pri('1.2.3.170', '1.2.9.9')).toBe(pri('1.2.3.0', '1.2.9.9'))
    // Same /24: the whole address counts.
    expect(pri('1.2.3.4', '1.2.3.170')).not.toBe(pri('1.2.3.4', '1.2.3.0'))
  })

  it('masks IPv6 from FFFF:FFFF:FFFF:5555:...', () => {
    // Different /48: byte 6 onwards is ANDed with 0x55, so 0xaa bits there do not count.
    expect(peerPriority({ ip: '2001:db8:1:aaaa::', port: 1 }, { ip: '2001:db9::1', port: 1 })).toBe(
      peerPriority({ ip: '2001:db8:1::', port: 1 }, { ip: '2001:db9::1', port: 1 }),
    )
    // Same /48: byte 6 counts whole.
    expect(peerPriority({ ip: '2001:db8:1:aa00::', port: 1 }, { ip: '2001:db8:1::1', port: 1 })).not.toBe(
      peerPriority({ ip: '2001:db8:1:0::', port: 1 }, { ip: '2001:db8:1::1', port: 1 }),
    )
  })

  it('gives 0 for unparsable input', () => {
    expect(peerPriority({ ip: 'nope', port: 1 }, { ip: '1.2.3.4', port: 1 })).toBe(0)
  })
})

describe('BEP 40 IPv4 fast path', () => {
  it('agrees with a straightforward reference on 2000 pairs', async () => {
    const { peerPriorityRaw } = await import('./bep40.ts')
    let x = 12345
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) & 0xff
    for (let n = 0; n < 2000; n++) {
      const a = new Uint8Array([next(), next(), next(), next()])
      const b =
        n % 3 === 0
          ? new Uint8Array([a[0], a[1], n % 2 ? a[2] : next(), next()])
          : new Uint8Array([next(), next(), next(), next()])
      if (n % 50 === 0) b.set(a)
      const pa = 1 + (n % 60000)
      const pb = 60000 - (n % 60000)
      const fast = peerPriorityRaw(a, 4, pa, b, 4, pb)
      // A from-scratch reference of the IPv4 rules: masks by shared prefix, ascending order.
      let common = 0
      while (common < 4 && a[common] === b[common]) common++
      let want: number
      if (common === 4) {
        const lo = Math.min(pa, pb)
        const hi = Math.max(pa, pb)
        want = crc32c(new Uint8Array([lo >> 8, lo & 0xff, hi >> 8, hi & 0xff]))
      } else {
        const keep = Math.max(2, common + 1)
        const m = (v: Uint8Array) => v.map((byte, i) => (i < keep ? byte : byte & 0x55))
        const [ma, mb] = [m(a), m(b)]
        const first = a[common] < b[common]
        want = crc32c(new Uint8Array([...(first ? ma : mb), ...(first ? mb : ma)]))
      }
      expect(fast).toBe(want)
    }
  })
})
