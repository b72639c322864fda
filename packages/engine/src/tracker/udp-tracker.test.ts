import { describe, expect, it } from 'vitest'
import { MemoryNetwork } from '../platform/memory-net.ts'
import type { NetPort } from '../platform/ports.ts'
import { bytesEqual, concatBytes, utf8Encode, view } from '../util/bytes.ts'
import { ManualClock } from '../util/clock.ts'
import { encodeCompactPeers } from '../util/peer-address.ts'
import type { AnnounceParams } from './announce-types.ts'
import { TrackerError } from './tracker-error.ts'
import { UdpTrackerClient } from './udp-tracker-client.ts'
import {
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  encodeUrlDataOption,
} from './udp-tracker-codec.ts'

const params: AnnounceParams = {
  infoHash: new Uint8Array(20).fill(0xab),
  peerId: utf8Encode('-TP0001-abcdefghijkl'),
  port: 51413,
  uploaded: 10,
  downloaded: 20,
  left: 2 ** 40,
  event: 'started',
  numwant: 30,
  key: 0x01020304,
}

async function flush(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve()
}

interface Seen {
  at: number
  action: number
  connectionId: Uint8Array
  body: Uint8Array
}

/** A BEP 15 tracker on a MemoryNetwork host; `drop(n)` says whether to ignore the n-th datagram. */
async function fakeUdpTracker(
  net: NetPort,
  clock: ManualClock,
  opts: { drop?: (n: number) => boolean; error?: string; wrongTxFirst?: boolean; peers?: Uint8Array } = {},
) {
  const seen: Seen[] = []
  const connId = new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2])
  const sock = await net.bindUdp({ port: 6969 }, (data, from) => {
    const v = view(data)
    const action = v.getUint32(8)
    const tx = v.getUint32(12)
    seen.push({ at: clock.now(), action, connectionId: data.slice(0, 8), body: data })
    if (opts.drop?.(seen.length)) return
    const reply = (b: Uint8Array) => sock.send(b, from.address, from.port)
    const head = (a: number, t: number, extra: number) => {
      const b = new Uint8Array(8 + extra)
      view(b).setUint32(0, a)
      view(b).setUint32(4, t)
      return b
    }
    if (opts.error) return reply(concatBytes([head(3, tx, 0), utf8Encode(opts.error)]))
    if (opts.wrongTxFirst) reply(head(action, (tx + 1) >>> 0, 8))
    if (action === 0) {
      const b = head(0, tx, 8)
      b.set(connId, 8)
      return reply(b)
    }
    if (!bytesEqual(data.subarray(0, 8), connId))
      return reply(concatBytes([head(3, tx, 0), utf8Encode('bad connection id')]))
    if (action === 1) {
      const b = concatBytes([head(1, tx, 12), opts.peers ?? encodeCompactPeers([{ ip: '7.7.7.7', port: 7777 }], 4)])
      view(b).setUint32(8, 1800)
      view(b).setUint32(12, 4)
      view(b).setUint32(16, 9)
      return reply(b)
    }
    if (action === 2) {
      const n = (data.length - 16) / 20
      const b = head(2, tx, 12 * n)
      for (let i = 0; i < n; i++) view(b).setUint32(8 + 12 * i, 100 + i)
      return reply(b)
    }
  })
  return { seen, connId }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return e instanceof TrackerError ? e.code : `other:${String(e)}`
  }
  return 'ok'
}

function setup(trackerAddress = '10.0.0.2') {
  const net = new MemoryNetwork()
  const clock = new ManualClock(1_000_000)
  return { clock, client: net.host('10.0.0.1'), server: net.host(trackerAddress) }
}

describe('UDP tracker codec', () => {
  it('writes BEP 15 connect and announce packets', () => {
    const c = encodeConnectRequest(0xcafebabe)
    expect(Array.from(c.subarray(0, 8))).toEqual([0, 0, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80])
    expect(view(c).getUint32(12)).toBe(0xcafebabe)
    const a = encodeAnnounceRequest(new Uint8Array(8).fill(1), 5, params)
    const v = view(a)
    expect(a).toHaveLength(98)
    expect([
      v.getUint32(8),
      v.getUint32(12),
      v.getBigUint64(56),
      v.getBigUint64(64),
      v.getBigUint64(72),
      v.getUint32(80),
      v.getUint32(88),
      v.getInt32(92),
      v.getUint16(96),
    ]).toEqual([1, 5, 20n, 2n ** 40n, 10n, 2, 0x01020304, 30, 51413])
    expect(a.subarray(16, 36)).toEqual(params.infoHash)
    expect(a.subarray(36, 56)).toEqual(params.peerId)
    expect(
      view(encodeAnnounceRequest(new Uint8Array(8), 1, { ...params, event: undefined, numwant: undefined })).getInt32(
        92,
      ),
    ).toBe(-1)
  })
  it('appends the BEP 41 URL data option for a path with a passkey, nothing for /announce', () => {
    expect(encodeUrlDataOption('/announce')).toEqual(new Uint8Array())
    expect(encodeUrlDataOption('')).toEqual(new Uint8Array())
    expect(Array.from(encodeUrlDataOption('/a?k=1'))).toEqual([2, 6, ...utf8Encode('/a?k=1'), 0])
    const long = `/${'x'.repeat(299)}`
    const opt = encodeUrlDataOption(long)
    expect([opt[0], opt[1], opt[257], opt[258], opt[opt.length - 1]]).toEqual([2, 255, 2, 45, 0])
    expect(opt).toHaveLength(2 + 255 + 2 + 45 + 1)
    const a = encodeAnnounceRequest(new Uint8Array(8), 1, params, opt)
    expect(a.subarray(98)).toEqual(opt)
  })
  it('ignores short or unknown datagrams', () => {
    expect(decodeUdpResponse(new Uint8Array(7), false)).toBeNull()
    expect(decodeUdpResponse(new Uint8Array(12), false)).toBeNull() // connect needs 16
    const unknown = new Uint8Array(8)
    view(unknown).setUint32(0, 77)
    expect(decodeUdpResponse(unknown, false)).toBeNull()
  })
})

describe('UdpTrackerClient', () => {
  it('connects, announces, and reuses the connection id for one minute', async () => {
    const { clock, client, server } = setup()
    const t = await fakeUdpTracker(server, clock)
    const udp = new UdpTrackerClient(client, { clock })
    const r = await udp.announce('udp://10.0.0.2:6969/announce', params)
    expect(r).toEqual({ interval: 1800, incomplete: 4, complete: 9, peers: [{ ip: '7.7.7.7', port: 7777 }] })
    expect(t.seen.map((s) => s.action)).toEqual([0, 1])
    expect(t.seen[1].connectionId).toEqual(t.connId)
    clock.advance(59_000)
    await udp.announce('udp://10.0.0.2:6969', params)
    expect(t.seen.map((s) => s.action)).toEqual([0, 1, 1])
    clock.advance(1_000)
    await udp.announce('udp://10.0.0.2:6969', params)
    expect(t.seen.map((s) => s.action)).toEqual([0, 1, 1, 0, 1])
    await udp.announce('udp://10.0.0.2:6969/announce?passkey=abc', params)
    expect(t.seen[5].body.subarray(98)).toEqual(encodeUrlDataOption('/announce?passkey=abc'))
    expect(t.seen[4].body).toHaveLength(98)
    udp.close()
  })
  it('retries after 15 * 2^n seconds', async () => {
    const { clock, client, server } = setup()
    const t = await fakeUdpTracker(server, clock, { drop: (n) => n <= 2 })
    const udp = new UdpTrackerClient(client, { clock })
    const p = udp.announce('udp://10.0.0.2:6969', params)
    await flush()
    expect(t.seen).toHaveLength(1)
    clock.advance(14_999)
    await flush()
    expect(t.seen).toHaveLength(1)
    clock.advance(1)
    await flush()
    expect(t.seen).toHaveLength(2)
    clock.advance(30_000)
    await flush()
    await p
    expect(t.seen.map((s) => [s.at - 1_000_000, s.action])).toEqual([
      [0, 0],
      [15_000, 0],
      [45_000, 0],
      [45_000, 1],
    ])
  })
  it('gives up with a timeout after the last retry (15 + 30 + 60 s)', async () => {
    const { clock, client, server } = setup()
    const t = await fakeUdpTracker(server, clock, { drop: () => true })
    const udp = new UdpTrackerClient(client, { clock, maxRetries: 2 })
    let result = 'pending'
    void code(udp.announce('udp://10.0.0.2:6969', params)).then((c) => (result = c))
    for (const step of [15_000, 30_000, 59_999]) {
      await flush()
      clock.advance(step)
    }
    await flush()
    expect(result).toBe('pending')
    clock.advance(1)
    await flush()
    expect(result).toBe('timeout')
    expect(t.seen.map((s) => s.at - 1_000_000)).toEqual([0, 15_000, 45_000])
  })
  it('reports the tracker error action as a failure with its message', async () => {
    const { clock, client, server } = setup()
    await fakeUdpTracker(server, clock, { error: 'torrent not found' })
    const udp = new UdpTrackerClient(client, { clock })
    await expect(udp.announce('udp://10.0.0.2:6969', params)).rejects.toThrow('torrent not found')
  })
  it('ignores replies whose transaction id does not match', async () => {
    const { clock, client, server } = setup()
    const t = await fakeUdpTracker(server, clock, { wrongTxFirst: true })
    const udp = new UdpTrackerClient(client, { clock })
    expect((await udp.announce('udp://10.0.0.2:6969', params)).peers).toHaveLength(1)
    expect(t.seen).toHaveLength(2)
  })
  it('reads 18-byte peers from an IPv6 tracker, and scrapes', async () => {
    const { clock, client, server } = setup('2001:db8::2')
    await fakeUdpTracker(server, clock, { peers: encodeCompactPeers([{ ip: '2001:db8::9', port: 9 }], 6) })
    const udp = new UdpTrackerClient(client, { clock })
    expect((await udp.announce('udp://[2001:db8::2]:6969', params)).peers).toEqual([{ ip: '2001:db8::9', port: 9 }])
    expect(await udp.scrape('udp://[2001:db8::2]:6969', [params.infoHash, params.infoHash])).toEqual([
      { complete: 100, downloaded: 0, incomplete: 0 },
      { complete: 101, downloaded: 0, incomplete: 0 },
    ])
  })
  it('can be aborted and rejects bad URLs', async () => {
    const { clock, client, server } = setup()
    await fakeUdpTracker(server, clock, { drop: () => true })
    const udp = new UdpTrackerClient(client, { clock })
    const ac = new AbortController()
    const p = code(udp.announce('udp://10.0.0.2:6969', params, ac.signal))
    await flush()
    ac.abort()
    expect(await p).toBe('aborted')
    expect(await code(udp.announce('udp://nohost', params))).toBe('unsupported')
    expect(await code(udp.announce('http://10.0.0.2:6969', params))).toBe('unsupported')
  })
})
