import { describe, expect, it } from 'vitest'
import { utf8Encode } from '../util/bytes.ts'
import { mutate, xorshift } from '../util/fuzz.ts'
import { ManualClock } from '../util/clock.ts'
import { DhtNode } from './dht-node.ts'
import { decodeKrpc, encodeQuery, encodeResponse, MAX_KRPC_PACKET, MAX_TOKEN, MAX_TRANSACTION_ID } from './krpc.ts'
import { randomId } from './node-id.ts'

describe('KRPC decode fuzz', () => {
  it('mutated queries and responses decode or fail with a typed error, never throw, and keep the limits', () => {
    const rnd = xorshift(1414)
    const id = utf8Encode('abcdefghij0123456789')
    const t = utf8Encode('tx')
    const seeds = [
      encodeQuery({ kind: 'query', t, id, ro: true, method: 'get_peers', infoHash: id, want: ['n4', 'n6'] }),
      encodeQuery({
        kind: 'query',
        t,
        id,
        ro: false,
        method: 'announce_peer',
        infoHash: id,
        port: 6881,
        impliedPort: true,
        token: t,
      }),
      encodeResponse({
        kind: 'response',
        t,
        id,
        token: t,
        nodes: [{ id, host: '1.2.3.4', port: 5 }],
        nodes6: [{ id, host: '::1', port: 6 }],
        values: [{ ip: '9.9.9.9', port: 1 }],
        ip: { ip: '8.8.8.8', port: 2 },
      }),
    ]
    let decoded = 0
    for (let i = 0; i < 3000; i++) {
      let b = seeds[i % seeds.length]
      for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) b = mutate(b, rnd)
      const r = decodeKrpc(b)
      if (!r.ok) {
        expect(typeof r.error.reason).toBe('string')
        continue
      }
      decoded++
      const m = r.message
      expect(m.t.length).toBeGreaterThan(0)
      expect(m.t.length).toBeLessThanOrEqual(MAX_TRANSACTION_ID)
      if (m.kind !== 'error') expect(m.id.length).toBe(20)
      if (m.kind === 'response') {
        for (const n of [...(m.nodes ?? []), ...(m.nodes6 ?? [])]) {
          expect(n.id.length).toBe(20)
          expect(n.port > 0 && n.port < 65536).toBe(true)
        }
        for (const p of m.values ?? []) expect(p.port > 0 && p.port < 65536).toBe(true)
        if (m.token) expect(m.token.length).toBeLessThanOrEqual(MAX_TOKEN)
      }
    }
    expect(decoded).toBeGreaterThan(0)
    // Random bytes and an oversized packet: a typed failure each time.
    for (let i = 0; i < 300; i++) {
      const junk = new Uint8Array(Math.floor(rnd() * 200)).map(() => rnd() * 256)
      expect(decodeKrpc(junk).ok).toBe(false)
    }
    expect(decodeKrpc(new Uint8Array(MAX_KRPC_PACKET + 1)).ok).toBe(false)
  })

  it('a node fed mutated packets never throws, and everything it sends decodes and fits a datagram', () => {
    const rnd = xorshift(2718)
    const clock = new ManualClock()
    let deliver: (b: Uint8Array, host: string, port: number) => void = () => {}
    let sent = 0
    const node = new DhtNode({
      clock,
      random: rnd,
      families: [4, 6],
      transport: {
        send: (_host, _port, bytes) => {
          sent++
          expect(bytes.length).toBeLessThanOrEqual(MAX_KRPC_PACKET)
          expect(decodeKrpc(bytes).ok).toBe(true)
        },
        onMessage: (cb) => (deliver = cb),
      },
    })
    for (let i = 0; i < 30; i++) node.table(4)!.responded({ id: randomId(rnd), host: `127.6.0.${i}`, port: 1 })
    const id = randomId(rnd)
    const t = utf8Encode('zz')
    const seeds = [
      encodeQuery({ kind: 'query', t, id, ro: false, method: 'ping' }),
      encodeQuery({ kind: 'query', t, id, ro: false, method: 'find_node', target: id, want: ['n4', 'n6'] }),
      encodeQuery({ kind: 'query', t, id, ro: false, method: 'get_peers', infoHash: id }),
      encodeQuery({
        kind: 'query',
        t,
        id,
        ro: false,
        method: 'announce_peer',
        infoHash: id,
        port: 1,
        impliedPort: false,
        token: t,
      }),
      encodeResponse({ kind: 'response', t, id, nodes: [{ id, host: '1.2.3.4', port: 5 }] }),
    ]
    for (let i = 0; i < 2000; i++) {
      let b = seeds[i % seeds.length]
      for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) b = mutate(b, rnd)
      // Many source addresses, so the per-address rate limit lets most of them through.
      deliver(b, i % 3 ? `127.7.${i >> 8}.${i & 255}` : `fd00::${i.toString(16)}`, 1000 + (i % 50))
      if (i % 100 === 0) clock.advance(1000)
    }
    expect(sent).toBeGreaterThan(100)
    node.close()
  })
})
