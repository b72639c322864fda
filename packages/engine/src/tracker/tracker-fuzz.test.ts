import { describe, expect, it } from 'vitest'
import { parseAnnounceResponse } from './http-announce.ts'
import { TrackerError } from './tracker-error.ts'
import { decodeUdpResponse } from './udp-tracker-codec.ts'
import { encodeBencode } from '../util/bencode.ts'
import { utf8Encode } from '../util/bytes.ts'
import { encodeCompactPeers } from '../util/peer-address.ts'
import { mutate, xorshift } from '../util/fuzz.ts'

describe('tracker response fuzz', () => {
  it('mutated HTTP responses parse or throw TrackerError; UDP datagrams never throw', () => {
    const rnd = xorshift(4242)
    const http = encodeBencode({ interval: 60, complete: 1, peers: encodeCompactPeers([{ ip: '1.2.3.4', port: 5 }], 4), peers6: encodeCompactPeers([{ ip: '::1', port: 6 }], 6), 'warning message': utf8Encode('w') })
    let ok = 0
    for (let i = 0; i < 3000; i++) {
      let b = http
      for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) b = mutate(b, rnd)
      try {
        const r = parseAnnounceResponse(b)
        for (const p of r.peers) expect(p.port > 0 && p.port < 65536).toBe(true)
        ok++
      } catch (e) {
        if (!(e instanceof TrackerError)) throw e
      }
      const d = mutate(new Uint8Array([0, 0, 0, (i % 4), 0, 0, 0, 1, ...new Uint8Array(30).map(() => rnd() * 256)]), rnd)
      decodeUdpResponse(d, i % 2 === 0)
    }
    expect(ok).toBeGreaterThan(0)
  })
})
