import { describe, expect, it } from 'vitest'
import { decodePex, encodePex, PexDiff, PEX_SEED, PEX_UTP, type PexPeer } from './ut-pex.ts'
import { ExtensionError } from './extension-error.ts'
import { encodeBencode } from '../util/bencode.ts'
import { utf8Encode } from '../util/bytes.ts'

describe('BEP 11 ut_pex codec', () => {
  it('round-trips IPv4 and IPv6 peers with flags', () => {
    const msg = {
      added: [
        { ip: '1.2.3.4', port: 6881, flags: PEX_SEED },
        { ip: '2001:db8::7', port: 51413, flags: PEX_UTP },
        { ip: '5.6.7.8', port: 1, flags: 0 },
      ],
      dropped: [
        { ip: '9.9.9.9', port: 9 },
        { ip: '::1', port: 2 },
      ],
    }
    const back = decodePex(encodePex(msg))
    expect(back.added.sort((a, b) => a.port - b.port)).toEqual([...msg.added].sort((a, b) => a.port - b.port))
    expect(back.dropped.sort((a, b) => a.port - b.port)).toEqual([...msg.dropped].sort((a, b) => a.port - b.port))
  })
  it('keeps flags aligned when a port-0 entry is skipped, tolerates missing flags, caps counts', () => {
    const added = new Uint8Array([1, 1, 1, 1, 0, 0, 2, 2, 2, 2, 0, 7])
    expect(decodePex(encodeBencode({ added, 'added.f': new Uint8Array([PEX_SEED, PEX_UTP]) })).added).toEqual([
      { ip: '2.2.2.2', port: 7, flags: PEX_UTP },
    ])
    expect(decodePex(encodeBencode({ added })).added).toEqual([{ ip: '2.2.2.2', port: 7, flags: 0 }])
    const many = new Uint8Array(6 * 500).map((_, i) => (i % 6 === 5 ? 1 : 3))
    expect(decodePex(encodeBencode({ added: many, dropped: many }), 100)).toMatchObject({
      added: { length: 100 },
      dropped: { length: 100 },
    })
  })
  it('rejects non-dictionaries and garbage', () => {
    for (const b of [utf8Encode('le'), utf8Encode('d5:added'), utf8Encode('zz')])
      expect(() => decodePex(b)).toThrow(ExtensionError)
    expect(decodePex(encodeBencode({ added: 5 } as never))).toEqual({ added: [], dropped: [] })
  })
})

describe('PexDiff', () => {
  it('sends the change since the last message, at most 50 each way', () => {
    const d = new PexDiff()
    const peers: PexPeer[] = Array.from({ length: 60 }, (_, i) => ({ ip: `10.0.0.${i + 1}`, port: 6881, flags: 0 }))
    const m1 = d.next(peers)!
    expect(m1.added).toHaveLength(50)
    const m2 = d.next(peers)!
    expect(m2.added.map((p) => p.ip)).toEqual(peers.slice(50).map((p) => p.ip))
    expect(d.next(peers)).toBeNull()
    const m3 = d.next(peers.slice(1))!
    expect(m3).toEqual({ added: [], dropped: [{ ip: '10.0.0.1', port: 6881 }] })
  })
})
