import { describe, expect, it } from 'vitest'
import { ManualClock } from '../util/clock.ts'
import { encodeBencode } from '../util/bencode.ts'
import { utf8Encode } from '../util/bytes.ts'
import { fromHex } from '../util/hex.ts'
import { xorshift } from '../util/fuzz.ts'
import { DhtNode } from './dht-node.ts'
import { decodeKrpc, encodeQuery, encodeResponse, MAX_KRPC_PACKET } from './krpc.ts'
import type { KrpcMessage, KrpcQuery, KrpcResponse } from './krpc.ts'
import { idToHex, randomId } from './node-id.ts'
import { TOKEN_ROTATION_MS } from './tokens.ts'

interface Sent {
  host: string
  port: number
  msg: KrpcMessage
  bytes: Uint8Array
}

/** A query as a test writes it: the harness adds kind, t and ro. Distributes over the union. */
type QueryInput = KrpcQuery extends infer Q
  ? Q extends KrpcQuery
    ? Omit<Q, 'kind' | 't' | 'ro'> & { ro?: boolean }
    : never
  : never

/** One node under test with a transport that records what it sends and lets the test deliver datagrams. */
function harness(opts: { readOnly?: boolean; families?: Array<4 | 6> } = {}) {
  const clock = new ManualClock(1_000_000)
  const rnd = xorshift(77)
  const sent: Sent[] = []
  let deliver: (bytes: Uint8Array, host: string, port: number) => void = () => {}
  const node = new DhtNode({
    transport: {
      send: (host, port, bytes) => {
        const r = decodeKrpc(bytes)
        if (!r.ok) throw new Error('node sent an undecodable packet')
        sent.push({ host, port, msg: r.message, bytes })
      },
      onMessage: (cb) => {
        deliver = cb
      },
    },
    clock,
    random: rnd,
    ...opts,
  })
  const t = utf8Encode('qq')
  const query = (q: QueryInput, host = '127.0.0.9', port = 7000) => {
    const before = sent.length
    deliver(encodeQuery({ kind: 'query', t, ro: false, ...q } as KrpcQuery), host, port)
    return sent.slice(before)
  }
  return {
    clock,
    rnd,
    node,
    sent,
    query,
    deliver: (b: Uint8Array, host: string, port: number) => deliver(b, host, port),
  }
}

const asResponse = (s: Sent | undefined): KrpcResponse => {
  if (s?.msg.kind !== 'response') throw new Error(`expected a response, got ${s?.msg.kind}`)
  return s.msg
}

describe('DHT node answering', () => {
  it('answers ping with its id and the asker address (BEP 42 ip)', () => {
    const h = harness()
    const out = h.query({ method: 'ping', id: randomId(h.rnd) })
    const r = asResponse(out.find((s) => s.msg.kind === 'response'))
    expect(r.id).toEqual(h.node.id)
    expect(r.t).toEqual(utf8Encode('qq'))
    expect(r.ip).toEqual({ ip: '127.0.0.9', port: 7000 })
  })

  it('an unknown querier is pinged before it enters the table; a ro querier is neither pinged nor added', () => {
    const h = harness()
    const id = randomId(h.rnd)
    const out = h.query({ method: 'ping', id })
    const ping = out.find((s) => s.msg.kind === 'query')!
    expect(ping.msg.kind === 'query' && ping.msg.method).toBe('ping')
    expect(h.node.nodeCount).toBe(0)
    h.deliver(encodeResponse({ kind: 'response', t: ping.msg.t, id }), '127.0.0.9', 7000)
    expect(h.node.table()!.has(id)).toBe(true)

    const roId = randomId(h.rnd)
    const roOut = h.query({ method: 'find_node', id: roId, target: roId, ro: true }, '127.0.0.10', 7001)
    expect(roOut.filter((s) => s.msg.kind === 'query')).toEqual([])
    expect(roOut.filter((s) => s.msg.kind === 'response').length).toBe(1)
    expect(h.node.table()!.has(roId)).toBe(false)
  })

  it('a reply from another address than the one asked is ignored', () => {
    const h = harness()
    const id = randomId(h.rnd)
    const ping = h.query({ method: 'ping', id }).find((s) => s.msg.kind === 'query')!
    h.deliver(encodeResponse({ kind: 'response', t: ping.msg.t, id }), '127.0.0.66', 7000)
    expect(h.node.nodeCount).toBe(0)
  })

  it('find_node returns the closest nodes it knows, in the families asked for', () => {
    const h = harness({ families: [4, 6] })
    const known = Array.from({ length: 30 }, (_, i) => ({
      id: randomId(h.rnd),
      host: i % 2 ? `127.1.0.${i}` : `fd00::${i + 1}`,
      port: 6000 + i,
    }))
    for (const c of known) h.node.table(c.host.includes(':') ? 6 : 4)!.responded(c)
    const target = randomId(h.rnd)
    const r4 = asResponse(
      h.query({ method: 'find_node', id: randomId(h.rnd), target }).find((s) => s.msg.kind === 'response'),
    )
    expect(r4.nodes!.length).toBe(8)
    expect(r4.nodes6).toBeUndefined()
    expect(r4.nodes!.map((n) => idToHex(n.id))).toEqual(
      h.node
        .table(4)!
        .closest(target)
        .map((n) => idToHex(n.id)),
    )
    const both = asResponse(
      h
        .query({ method: 'find_node', id: randomId(h.rnd), target, want: ['n4', 'n6'] })
        .find((s) => s.msg.kind === 'response'),
    )
    expect(both.nodes!.length).toBe(8)
    expect(both.nodes6!.length).toBe(8)
  })

  it('get_peers gives a token; announce_peer with it stores the peer; a bad or stale token gets error 203', () => {
    const h = harness()
    const infoHash = randomId(h.rnd)
    const id = randomId(h.rnd)
    const first = asResponse(h.query({ method: 'get_peers', id, infoHash }).find((s) => s.msg.kind === 'response'))
    expect(first.values).toBeUndefined()
    const token = first.token!
    const ok = h.query({ method: 'announce_peer', id, infoHash, port: 51413, impliedPort: false, token })
    expect(ok.find((s) => s.msg.kind === 'response')).toBeTruthy()
    // implied_port: the UDP source port is taken instead.
    const token11 = asResponse(
      h.query({ method: 'get_peers', id, infoHash }, '127.0.0.11', 7002).find((s) => s.msg.kind === 'response'),
    ).token!
    h.query({ method: 'announce_peer', id, infoHash, port: 0, impliedPort: true, token: token11 }, '127.0.0.11', 7002)
    const again = asResponse(
      h.query({ method: 'get_peers', id, infoHash }, '127.0.0.12', 7003).find((s) => s.msg.kind === 'response'),
    )
    expect(again.values!.map((p) => `${p.ip}:${p.port}`).sort()).toEqual(['127.0.0.11:7002', '127.0.0.9:51413'])

    // Another address's token, a made-up token, and a token two rotations old are refused.
    const err = (out: Sent[]) => out.find((s) => s.msg.kind === 'error')?.msg
    expect(
      err(h.query({ method: 'announce_peer', id, infoHash, port: 1, impliedPort: false, token }, '127.0.0.13', 7004)),
    ).toMatchObject({ code: 203 })
    expect(
      err(h.query({ method: 'announce_peer', id, infoHash, port: 1, impliedPort: false, token: new Uint8Array(8) })),
    ).toMatchObject({ code: 203 })
    h.clock.advance(2 * TOKEN_ROTATION_MS)
    expect(err(h.query({ method: 'announce_peer', id, infoHash, port: 1, impliedPort: false, token }))).toMatchObject({
      code: 203,
    })
  })

  it('answers malformed queries with 203 and unknown methods with 204; non-queries get nothing', () => {
    const h = harness()
    const id = randomId(h.rnd)
    const send = (b: Uint8Array) => {
      const before = h.sent.length
      h.deliver(b, '127.0.0.20', 7000)
      return h.sent
        .slice(before)
        .filter((s) => s.msg.kind === 'error')
        .map((s) => s.msg)
    }
    expect(
      send(encodeBencode({ t: utf8Encode('ab'), y: utf8Encode('q'), q: utf8Encode('vote'), a: { id } })),
    ).toMatchObject([{ code: 204, t: utf8Encode('ab') }])
    expect(
      send(encodeBencode({ t: utf8Encode('ab'), y: utf8Encode('q'), q: utf8Encode('get_peers'), a: { id } })),
    ).toMatchObject([{ code: 203 }])
    expect(send(encodeBencode({ t: utf8Encode('ab'), y: utf8Encode('r'), r: { id: id.subarray(1) } }))).toEqual([])
    expect(send(utf8Encode('garbage'))).toEqual([])
    expect(h.node.stats.malformed).toBe(4)
  })

  it('rate-limits queries per address: the burst, then the sustained rate; other addresses unaffected', () => {
    const h = harness()
    const id = randomId(h.rnd)
    let answered = 0
    for (let i = 0; i < 100; i++)
      answered += h.query({ method: 'ping', id }).filter((s) => s.msg.kind === 'response').length
    expect(answered).toBe(20)
    expect(h.node.stats.rateLimited).toBe(80)
    expect(h.query({ method: 'ping', id }, '127.0.0.30').filter((s) => s.msg.kind === 'response').length).toBe(1)
    h.clock.advance(1000)
    answered = 0
    for (let i = 0; i < 100; i++)
      answered += h.query({ method: 'ping', id }).filter((s) => s.msg.kind === 'response').length
    expect(answered).toBe(5)
  })

  it('no reply exceeds the bound, even with a full store and both families asked for', () => {
    const h = harness({ families: [4, 6] })
    const infoHash = randomId(h.rnd)
    for (let i = 0; i < 40; i++) h.node.table(4)!.responded({ id: randomId(h.rnd), host: `127.2.0.${i}`, port: 1 })
    for (let i = 0; i < 40; i++) h.node.table(6)!.responded({ id: randomId(h.rnd), host: `fd00::1:${i}`, port: 1 })
    // Fill the store through the protocol, from many addresses.
    for (let i = 0; i < 120; i++) {
      for (const host of [`127.3.${i}.1`, `fd00::2:${i}`]) {
        const tok = asResponse(
          h.query({ method: 'get_peers', id: randomId(h.rnd), infoHash }, host).find((s) => s.msg.kind === 'response'),
        ).token!
        h.query(
          { method: 'announce_peer', id: randomId(h.rnd), infoHash, port: 1000 + i, impliedPort: false, token: tok },
          host,
        )
      }
    }
    expect(h.node.storedPeers).toBe(240)
    for (const host of ['127.9.9.9', 'fd00::9']) {
      const out = h.query({ method: 'get_peers', id: randomId(h.rnd), infoHash, want: ['n4', 'n6'] }, host)
      const reply = out.find((s) => s.msg.kind === 'response')!
      const r = asResponse(reply)
      expect(r.values!.length).toBe(host.includes(':') ? 32 : 50)
      expect(r.nodes!.length + r.nodes6!.length).toBe(16)
      expect(reply.bytes.length).toBeLessThanOrEqual(MAX_KRPC_PACKET)
    }
  })

  it('a read-only node answers nothing and marks its queries ro', () => {
    const h = harness({ readOnly: true })
    expect(h.query({ method: 'ping', id: randomId(h.rnd) })).toEqual([])
    void h.node.ping('127.0.0.40', 7000)
    const q = h.sent[h.sent.length - 1].msg
    expect(q.kind === 'query' && q.ro).toBe(true)
  })
})

describe('DHT node asking', () => {
  it('a query that times out resolves null and counts against the node in the table', async () => {
    const h = harness()
    const c = { id: randomId(h.rnd), host: '127.0.0.50', port: 7000 }
    h.node.table()!.responded(c)
    h.clock.advance(16 * 60_000) // questionable now
    h.node.maintain()
    // Maintenance pings the questionable node (and refreshes the idle bucket, which asks it too).
    const pings = h.sent.filter((s) => s.msg.kind === 'query' && s.msg.method === 'ping' && s.host === c.host)
    expect(pings.length).toBe(1)
    const direct = h.node.ping('127.0.0.51', 7000)
    h.clock.advance(4999)
    expect(h.node.table()!.get(c.id)!.failures).toBe(0)
    h.clock.advance(1)
    expect(await direct).toBeNull()
    expect(h.node.table()!.get(c.id)!.failures).toBe(2)
    expect(h.node.table()!.closest(c.id)).toEqual([])
    expect(h.node.stats.timeouts).toBe(3)
  })

  it('never hands out nodes restored from disk that have not answered us yet', () => {
    const h = harness()
    const restored = { id: idToHex(randomId(h.rnd)), host: '127.5.0.1', port: 6881 }
    h.node.table()!.restore([restored])
    const target = randomId(h.rnd)
    const before = asResponse(
      h.query({ method: 'find_node', id: randomId(h.rnd), target }).find((s) => s.msg.kind === 'response'),
    )
    expect(before.nodes).toEqual([])
    h.node.table()!.responded({ id: fromHex(restored.id), host: restored.host, port: restored.port })
    const after = asResponse(
      h.query({ method: 'find_node', id: randomId(h.rnd), target }).find((s) => s.msg.kind === 'response'),
    )
    expect(after.nodes!.map((n) => idToHex(n.id))).toEqual([restored.id])
  })

  it('saves its id and table and restores them', () => {
    const h = harness()
    for (let i = 0; i < 20; i++) h.node.table()!.responded({ id: randomId(h.rnd), host: `127.4.0.${i}`, port: 6881 })
    const saved = JSON.parse(JSON.stringify(h.node.save()))
    const again = new DhtNode({ transport: { send: () => {}, onMessage: () => {} }, clock: new ManualClock(), saved })
    expect(idToHex(again.id)).toBe(idToHex(h.node.id))
    expect(h.node.nodeCount).toBeGreaterThan(10)
    expect(again.nodeCount).toBe(h.node.nodeCount)
    expect(again.save().nodes).toEqual(expect.arrayContaining(saved.nodes))
  })
})
