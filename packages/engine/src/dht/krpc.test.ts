import { describe, expect, it } from 'vitest'
import { utf8Decode, utf8Encode } from '../util/bytes.ts'
import { encodeBencode } from '../util/bencode.ts'
import {
  decodeCompactNodes,
  decodeKrpc,
  encodeCompactNodes,
  encodeError,
  encodeQuery,
  encodeResponse,
  MAX_KRPC_PACKET,
} from './krpc.ts'
import type { KrpcMessage, KrpcQuery } from './krpc.ts'

const id = utf8Encode('abcdefghij0123456789')
const other = utf8Encode('mnopqrstuvwxyz123456')
const t = utf8Encode('aa')

function decodeOk(b: Uint8Array): KrpcMessage {
  const r = decodeKrpc(b)
  if (!r.ok) throw new Error(`decode failed: ${r.error.reason} ${r.error.detail}`)
  return r.message
}

describe('KRPC codec', () => {
  it('encodes the BEP 5 examples byte for byte', () => {
    expect(utf8Decode(encodeQuery({ kind: 'query', t, id, ro: false, method: 'ping' }))).toBe(
      'd1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe',
    )
    expect(utf8Decode(encodeQuery({ kind: 'query', t, id, ro: false, method: 'find_node', target: other }))).toBe(
      'd1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe',
    )
    expect(utf8Decode(encodeResponse({ kind: 'response', t, id: other }))).toBe(
      'd1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re',
    )
    expect(utf8Decode(encodeError({ kind: 'error', t, code: 201, message: 'A Generic Error Ocurred' }))).toBe(
      'd1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee',
    )
    expect(
      utf8Decode(
        encodeQuery({
          kind: 'query',
          t,
          id,
          ro: false,
          method: 'announce_peer',
          infoHash: other,
          port: 6881,
          impliedPort: true,
          token: utf8Encode('aoeusnth'),
        }),
      ),
    ).toBe(
      'd1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe',
    )
  })

  it('round-trips every query kind with ro and want', () => {
    const queries: KrpcQuery[] = [
      { kind: 'query', t, id, ro: true, method: 'ping' },
      { kind: 'query', t, id, ro: false, method: 'find_node', target: other, want: ['n4', 'n6'] },
      { kind: 'query', t, id, ro: false, method: 'get_peers', infoHash: other, want: ['n6'] },
      {
        kind: 'query',
        t,
        id,
        ro: false,
        method: 'announce_peer',
        infoHash: other,
        port: 51413,
        impliedPort: false,
        token: new Uint8Array(64).fill(7),
      },
    ]
    for (const q of queries) expect(decodeOk(encodeQuery(q))).toEqual(q)
  })

  it('round-trips a get_peers response with nodes, nodes6, values, token and ip', () => {
    const r = {
      kind: 'response' as const,
      t: utf8Encode('0123456789abcdef'),
      id,
      token: utf8Encode('tok'),
      nodes: [
        { id: other, host: '1.2.3.4', port: 6881 },
        { id, host: '127.0.0.1', port: 1 },
      ],
      nodes6: [{ id: other, host: '2001:db8::1', port: 65535 }],
      values: [
        { ip: '9.8.7.6', port: 5 },
        { ip: '2001:db8::2', port: 6 },
      ],
      ip: { ip: '5.6.7.8', port: 4000 },
      v: utf8Encode('TP01'),
    }
    expect(decodeOk(encodeResponse(r))).toEqual(r)
  })

  it('compact node info is 26 bytes (IPv4) and 38 bytes (IPv6) a node; the other family is skipped', () => {
    const cs = [
      { id, host: '1.2.3.4', port: 80 },
      { id: other, host: '::1', port: 81 },
    ]
    expect(encodeCompactNodes(cs, 4).length).toBe(26)
    expect(encodeCompactNodes(cs, 6).length).toBe(38)
    expect(decodeCompactNodes(encodeCompactNodes(cs, 6), 6)).toEqual([cs[1]])
  })

  it('refuses bad fields with typed errors, keeping the transaction id of a query', () => {
    const q = (a: object, extra: object = {}) =>
      encodeBencode({ t, y: utf8Encode('q'), q: utf8Encode('find_node'), a, ...extra } as never)
    const cases: Array<[Uint8Array, string, number]> = [
      [q({ id: id.subarray(0, 19), target: other }), 'bad-id', 203],
      [q({ id, target: new Uint8Array(21) }), 'bad-field', 203],
      [q({ id }), 'bad-field', 203],
      [encodeBencode({ t, y: utf8Encode('q'), q: utf8Encode('vote'), a: { id } }), 'unknown-method', 204],
      [
        encodeBencode({
          t,
          y: utf8Encode('q'),
          q: utf8Encode('announce_peer'),
          a: { id, info_hash: other, port: 1, token: new Uint8Array(65) },
        }),
        'bad-field',
        203,
      ],
      [
        encodeBencode({
          t,
          y: utf8Encode('q'),
          q: utf8Encode('announce_peer'),
          a: { id, info_hash: other, port: 70000, token: t },
        }),
        'bad-field',
        203,
      ],
    ]
    for (const [bytes, reason, code] of cases) {
      const r = decodeKrpc(bytes)
      expect(r.ok).toBe(false)
      if (r.ok) continue
      expect(r.error.reason).toBe(reason)
      expect(r.error.code).toBe(code)
      expect(r.error.isQuery).toBe(true)
      expect(r.error.t).toEqual(t)
    }
  })

  it('refuses oversized packets, oversized transaction ids, bad nodes lengths and non-dictionaries', () => {
    const big = encodeBencode({ t, y: utf8Encode('r'), r: { id, pad: new Uint8Array(MAX_KRPC_PACKET) } })
    const checks: Array<[Uint8Array, string]> = [
      [big, 'too-large'],
      [encodeBencode({ t: new Uint8Array(17), y: utf8Encode('r'), r: { id } }), 'bad-transaction'],
      [encodeBencode({ t, y: utf8Encode('r'), r: { id, nodes: new Uint8Array(27) } }), 'bad-field'],
      [encodeBencode({ t, y: utf8Encode('r'), r: { id, token: new Uint8Array(65) } }), 'bad-field'],
      [encodeBencode({ t, y: utf8Encode('x'), r: { id } }), 'bad-type'],
      [encodeBencode([1, 2]), 'not-a-dict'],
      [utf8Encode('d1:t2:aa'), 'bencode'],
    ]
    for (const [bytes, reason] of checks) {
      const r = decodeKrpc(bytes)
      expect(r.ok ? 'ok' : r.error.reason).toBe(reason)
    }
  })

  it('skips values entries of the wrong length and a hostile __proto__ key changes nothing', () => {
    const r = decodeOk(
      encodeBencode({
        t,
        y: utf8Encode('r'),
        r: { id, values: [new Uint8Array(5), new Uint8Array([1, 2, 3, 4, 0, 9]), 3] },
      }),
    )
    expect(r.kind === 'response' && r.values).toEqual([{ ip: '1.2.3.4', port: 9 }])
    const p = decodeKrpc(utf8Encode('d9:__proto__d2:id20:abcdefghij0123456789e1:t2:aa1:y1:re'))
    expect(p.ok).toBe(false)
  })
})
