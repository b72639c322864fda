import { describe, expect, it } from 'vitest'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { encodeBencode, type BDict } from '../util/bencode.ts'
import { utf8Encode } from '../util/bytes.ts'
import { ManualClock } from '../util/clock.ts'
import { fromHex } from '../util/hex.ts'
import { encodeCompactPeers } from '../util/peer-address.ts'
import { percentDecodeBytes } from '../util/percent-encode.ts'
import { buildAnnounceUrl, httpAnnounce, parseAnnounceResponse } from './http-announce.ts'
import { decodeChunked, httpGet } from './http-client.ts'
import { fakeHttpServer } from './test-http-server.ts'
import { TrackerError } from './tracker-error.ts'
import type { AnnounceParams } from './announce-types.ts'

const params: AnnounceParams = {
  infoHash: fromHex(`00ff2041${'7e'.repeat(16)}`),
  peerId: utf8Encode('-TP0001-abcdefghijkl'),
  port: 6881,
  uploaded: 1,
  downloaded: 2,
  left: 3,
  event: 'started',
  numwant: 50,
  key: 0xdeadbeef,
}

async function flush(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve()
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return e instanceof TrackerError ? e.code : `other:${String(e)}`
  }
  return 'ok'
}

function http200(body: Uint8Array, extra = ''): Array<Uint8Array | string> {
  return [`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n`, body]
}

function setup(maxChunk?: number) {
  const net = new MemoryNetwork(maxChunk ? { maxChunk } : {})
  return { client: net.host('10.0.0.1'), server: net.host('10.0.0.2') }
}

describe('buildAnnounceUrl', () => {
  it('percent-encodes raw bytes and keeps an existing query', () => {
    const u = buildAnnounceUrl('http://t.example/announce.php?passkey=abc', params)
    expect(u.startsWith('http://t.example/announce.php?passkey=abc&info_hash=%00%FF%20A~~')).toBe(true)
    const q = new Map(
      u
        .split('?')[1]
        .split('&')
        .map((kv) => kv.split('=') as [string, string]),
    )
    expect(percentDecodeBytes(q.get('info_hash')!)).toEqual(params.infoHash)
    expect(percentDecodeBytes(q.get('peer_id')!)).toEqual(params.peerId)
    expect([
      q.get('port'),
      q.get('uploaded'),
      q.get('downloaded'),
      q.get('left'),
      q.get('compact'),
      q.get('event'),
      q.get('numwant'),
      q.get('key'),
    ]).toEqual(['6881', '1', '2', '3', '1', 'started', '50', 'deadbeef'])
    expect(buildAnnounceUrl('http://t/a', { ...params, event: undefined, trackerId: 'x y' })).toMatch(
      /\?info_hash=.*&trackerid=x%20y$/,
    )
  })
})

describe('parseAnnounceResponse', () => {
  it('reads compact, dictionary and IPv6 peers with counts, intervals and warnings', () => {
    const body = encodeBencode({
      interval: 1800,
      'min interval': 60,
      complete: 5,
      incomplete: 7,
      'tracker id': utf8Encode('tid'),
      'warning message': utf8Encode('slow down'),
      peers: encodeCompactPeers([{ ip: '1.2.3.4', port: 6881 }], 4),
      peers6: encodeCompactPeers([{ ip: '::1', port: 7 }], 6),
    })
    expect(parseAnnounceResponse(body)).toEqual({
      interval: 1800,
      minInterval: 60,
      complete: 5,
      incomplete: 7,
      trackerId: 'tid',
      warning: 'slow down',
      peers: [
        { ip: '1.2.3.4', port: 6881 },
        { ip: '::1', port: 7 },
      ],
    })
    const dict = encodeBencode({
      interval: 10,
      peers: [
        { ip: utf8Encode('5.6.7.8'), port: 1, 'peer id': new Uint8Array(20) },
        { ip: utf8Encode('bad host!'), port: 2 },
        { ip: utf8Encode('::2'), port: 0 },
        7,
      ] as never,
    })
    expect(parseAnnounceResponse(dict).peers).toEqual([{ ip: '5.6.7.8', port: 1 }])
  })
  it('turns failure reasons and garbage into typed errors', () => {
    const err = (b: Uint8Array) => {
      try {
        parseAnnounceResponse(b)
      } catch (e) {
        return [(e as TrackerError).code, (e as TrackerError).message]
      }
      return ['ok']
    }
    expect(err(encodeBencode({ 'failure reason': utf8Encode('unregistered torrent') }))).toEqual([
      'failure',
      'unregistered torrent',
    ])
    expect(err(utf8Encode('<html>'))[0]).toBe('bad-response')
    expect(err(encodeBencode({ peers: new Uint8Array() }))[0]).toBe('bad-response')
    expect(err(encodeBencode([1] as never))[0]).toBe('bad-response')
  })
})

describe('httpGet / httpAnnounce over NetPort', () => {
  it('announces with Content-Length, sends Host and Connection: close, data split in 7-byte chunks', async () => {
    const { client, server } = setup(7)
    const body = encodeBencode({
      interval: 900,
      peers: encodeCompactPeers([{ ip: '9.9.9.9', port: 1000 }], 4),
    } as BDict)
    const srv = await fakeHttpServer(server, 8080, () => ({ pieces: http200(body) }))
    const res = await httpAnnounce(client, 'http://10.0.0.2:8080/announce', params)
    expect(res).toEqual({ interval: 900, peers: [{ ip: '9.9.9.9', port: 1000 }] })
    expect(srv.requests[0].target).toMatch(/^\/announce\?info_hash=%00%FF/)
    expect(srv.requests[0].headers.get('host')).toBe('10.0.0.2:8080')
    expect(srv.requests[0].headers.get('connection')).toBe('close')
  })
  it('decodes chunked bodies and reads until close without a length', async () => {
    const { client, server } = setup()
    const body = encodeBencode({ interval: 5, peers: new Uint8Array() })
    const a = body.subarray(0, 4),
      b = body.subarray(4)
    await fakeHttpServer(server, 80, (req) =>
      req.target === '/chunked'
        ? {
            pieces: [
              'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
              `${a.length.toString(16)};ext=1\r\n`,
              a,
              '\r\n',
              `${b.length.toString(16)}\r\n`,
              b,
              '\r\n0\r\n\r\n',
            ],
          }
        : { pieces: ['HTTP/1.0 200 OK\r\n\r\n', body] },
    )
    expect((await httpGet(client, 'http://10.0.0.2/chunked')).body).toEqual(body)
    expect((await httpGet(client, 'http://10.0.0.2/plain')).body).toEqual(body)
  })
  it('follows up to 3 redirects, then gives up', async () => {
    const { client, server } = setup()
    const srv = await fakeHttpServer(server, 80, (req) => {
      const n = Number(req.target.slice(1))
      return n > 0
        ? { pieces: [`HTTP/1.1 302 Found\r\nLocation: /${n - 1}\r\nContent-Length: 0\r\n\r\n`] }
        : { pieces: http200(utf8Encode('done')) }
    })
    expect(utf8Encode('done')).toEqual((await httpGet(client, 'http://10.0.0.2/3')).body)
    expect(srv.requests.map((r) => r.target)).toEqual(['/3', '/2', '/1', '/0'])
    expect(await code(httpGet(client, 'http://10.0.0.2/4'))).toBe('bad-response')
  })
  it('caps response size, by Content-Length and by streamed bytes', async () => {
    const { client, server } = setup()
    const big = new Uint8Array(3000)
    await fakeHttpServer(server, 80, (req) =>
      req.target === '/cl' ? { pieces: http200(big) } : { pieces: ['HTTP/1.1 200 OK\r\n\r\n', big, big] },
    )
    expect(await code(httpGet(client, 'http://10.0.0.2/cl', { maxBytes: 1000 }))).toBe('too-large')
    expect(await code(httpGet(client, 'http://10.0.0.2/stream', { maxBytes: 1000 }))).toBe('too-large')
  })
  it('times out on the injected clock when the server never answers', async () => {
    const { client, server } = setup()
    await fakeHttpServer(server, 80, () => ({
      pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'],
      hang: true,
    }))
    const clock = new ManualClock()
    const p = code(httpGet(client, 'http://10.0.0.2/', { clock, timeoutMs: 5000 }))
    await flush()
    clock.advance(4999)
    await flush()
    let done = false
    void p.then(() => (done = true))
    await flush()
    expect(done).toBe(false)
    clock.advance(1)
    expect(await p).toBe('timeout')
  })
  it('reports truncation, refusal, non-200 statuses and bad URLs', async () => {
    const { client, server } = setup()
    await fakeHttpServer(server, 80, (req) => {
      if (req.target === '/short') return { pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'] }
      if (req.target.startsWith('/fail?')) {
        const body = encodeBencode({ 'failure reason': utf8Encode('torrent not registered') })
        return { pieces: [`HTTP/1.1 400 Bad\r\nContent-Length: ${body.length}\r\n\r\n`, body] }
      }
      return { pieces: ['HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'] }
    })
    expect(await code(httpGet(client, 'http://10.0.0.2/short'))).toBe('bad-response')
    expect(await code(httpGet(client, 'http://10.0.0.3/'))).toBe('network')
    expect(await code(httpAnnounce(client, 'http://10.0.0.2/missing', params))).toBe('bad-response')
    expect(await code(httpAnnounce(client, 'http://10.0.0.2/fail', params))).toBe('failure')
    expect(await code(httpGet(client, 'ftp://x/'))).toBe('unsupported')
    expect(await code(httpGet(client, 'not a url'))).toBe('unsupported')
  })
})

describe('https', () => {
  it('asks NetPort for TLS on port 443, with SNI for host names only', async () => {
    const seen: Array<{ host: string; port: number; tls?: boolean; servername?: string }> = []
    const net = new MemoryNetwork({ connectBehaviour: (o) => (seen.push({ ...o }), 'refused') })
    const client = net.host('10.0.0.1')
    expect(await code(httpGet(client, 'https://tracker.example.org/announce'))).toBe('network')
    expect(await code(httpGet(client, 'https://10.0.0.2:8443/announce'))).toBe('network')
    expect(await code(httpGet(client, 'http://[::1]:8080/announce'))).toBe('network')
    expect(seen).toEqual([
      { host: 'tracker.example.org', port: 443, tls: true, servername: 'tracker.example.org' },
      { host: '10.0.0.2', port: 8443, tls: true },
      { host: '::1', port: 8080, tls: false },
    ])
  })
})

describe('decodeChunked', () => {
  it('returns null until complete and rejects bad sizes', () => {
    const full = utf8Encode('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n')
    for (let i = 0; i < full.length - 4; i++) expect(decodeChunked(full.subarray(0, i), 100)).toBeNull()
    expect(decodeChunked(full, 100)).toEqual(utf8Encode('abcde'))
    expect(() => decodeChunked(utf8Encode('zz\r\n'), 100)).toThrow(TrackerError)
    expect(() => decodeChunked(utf8Encode('ffff\r\n'), 100)).toThrow(/over/)
  })
})
