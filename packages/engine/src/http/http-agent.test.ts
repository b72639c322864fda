import { describe, expect, it } from 'vitest'
import { expectFuzzClean } from '../fuzz/fuzz-in-suite.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { utf8Decode, utf8Encode } from '../util/bytes.ts'
import { ManualClock } from '../util/clock.ts'
import { HttpAgent } from './http-agent.ts'
import { HttpError } from './http-error.ts'
import { ResponseReader } from './response-reader.ts'
import { testHttpServer } from './test-http-server.ts'

function setup(maxChunk?: number) {
  const net = new MemoryNetwork(maxChunk ? { maxChunk } : {})
  return { client: net.host('10.0.0.1'), server: net.host('10.0.0.2') }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'ok'
  } catch (e) {
    return e instanceof HttpError ? e.code : `other: ${(e as Error).message}`
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve()
}

const text = (b: Uint8Array) => utf8Decode(b)

describe('HttpAgent', () => {
  it('keeps the connection for the next request to the same origin, and sends extra headers', async () => {
    const { client, server } = setup()
    const srv = await testHttpServer(server, 80, (req) => ({ body: `you asked ${req.target}` }))
    const agent = new HttpAgent(client)
    expect(text((await agent.get('http://10.0.0.2/a', { headers: { Range: 'bytes=0-9' } })).body)).toBe('you asked /a')
    expect(text((await agent.get('http://10.0.0.2/b')).body)).toBe('you asked /b')
    expect(srv.connections()).toBe(1)
    expect(srv.requests.map((r) => r.connection)).toEqual([1, 1])
    expect(srv.requests[0]!.headers.get('range')).toBe('bytes=0-9')
    expect(srv.requests[0]!.headers.get('connection')).toBe('keep-alive')
    expect(agent.idleCount).toBe(1)
    agent.close()
    expect(agent.idleCount).toBe(0)
  })

  it('keeps two idle connections per origin for a caller running two requests at once', async () => {
    const { client, server } = setup()
    const srv = await testHttpServer(server, 80, (req) => ({ body: req.target }))
    const agent = new HttpAgent(client)
    await Promise.all([agent.get('http://10.0.0.2/a'), agent.get('http://10.0.0.2/b')])
    expect(agent.idleCount).toBe(2)
    await Promise.all([agent.get('http://10.0.0.2/c'), agent.get('http://10.0.0.2/d')])
    expect(srv.connections()).toBe(2)
    // a third at once opens a third connection, which is not kept
    await Promise.all(['/e', '/f', '/g'].map((p) => agent.get(`http://10.0.0.2${p}`)))
    expect(srv.connections()).toBe(3)
    expect(agent.idleCount).toBe(2)
  })

  it('opens a new connection after Connection: close, an HTTP/1.0 answer or a body framed by the close', async () => {
    const { client, server } = setup()
    const srv = await testHttpServer(server, 80, (req) => {
      if (req.target === '/close') return { body: 'x', close: true }
      if (req.target === '/old') return { raw: ['HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\ny'], close: true }
      if (req.target === '/eof') return { raw: ['HTTP/1.1 200 OK\r\n\r\nuntil the end'], close: true }
      return { body: 'ok' }
    })
    const agent = new HttpAgent(client)
    for (const path of ['/close', '/old', '/eof', '/ok']) await agent.get(`http://10.0.0.2${path}`)
    expect(text((await agent.get('http://10.0.0.2/ok')).body)).toBe('ok')
    expect(srv.requests.map((r) => r.connection)).toEqual([1, 2, 3, 4, 4])
  })

  it('asks again on a fresh connection when the server closed the kept one meanwhile', async () => {
    const { client, server } = setup()
    let n = 0
    const srv = await testHttpServer(server, 80, () => (++n === 2 ? { raw: [], close: true } : { body: `r${n}` }))
    const agent = new HttpAgent(client)
    expect(text((await agent.get('http://10.0.0.2/1')).body)).toBe('r1')
    // the kept connection is closed by the server without an answer: the GET goes out again
    expect(text((await agent.get('http://10.0.0.2/2')).body)).toBe('r3')
    expect(srv.requests.map((r) => r.connection)).toEqual([1, 1, 2])
  })

  it('decodes chunked bodies with extensions and trailers delivered 3 bytes at a time, and keeps the connection', async () => {
    const { client, server } = setup(3)
    const body = utf8Encode('chunked body in two chunks ✓')
    const srv = await testHttpServer(server, 80, () => ({ body, chunked: true }))
    const agent = new HttpAgent(client)
    let counted = 0
    const res = await agent.get('http://10.0.0.2/', { onBody: (n) => (counted += n) })
    expect(res.body).toEqual(body)
    expect(counted).toBe(body.length)
    await agent.get('http://10.0.0.2/')
    expect(srv.connections()).toBe(1)
  })

  it('follows redirects (across origins too) up to the bound', async () => {
    const { client, server } = setup()
    const net2 = server
    await testHttpServer(net2, 8080, () => ({ body: 'moved here' }))
    await testHttpServer(server, 80, (req) => {
      const n = Number(req.target.slice(1))
      if (req.target === '/away')
        return { status: 307, headers: { Location: 'http://10.0.0.2:8080/x' }, body: 'see there' }
      return n > 0 ? { status: 302, headers: { Location: `/${n - 1}` } } : { body: 'done' }
    })
    const agent = new HttpAgent(client)
    const res = await agent.get('http://10.0.0.2/away')
    expect(text(res.body)).toBe('moved here')
    expect(res.url).toBe('http://10.0.0.2:8080/x')
    expect(text((await agent.get('http://10.0.0.2/3', { maxRedirects: 3 })).body)).toBe('done')
    expect(await code(agent.get('http://10.0.0.2/4', { maxRedirects: 3 }))).toBe('bad-response')
  })

  it('caps the body by Content-Length, by chunks and by bytes until the close', async () => {
    const { client, server } = setup()
    const big = new Uint8Array(3000)
    await testHttpServer(server, 80, (req) =>
      req.target === '/cl'
        ? { body: big }
        : req.target === '/chunked'
          ? { body: big, chunked: true }
          : { raw: ['HTTP/1.1 200 OK\r\n\r\n', big], close: true },
    )
    const agent = new HttpAgent(client)
    for (const p of ['/cl', '/chunked', '/eof'])
      expect(await code(agent.get(`http://10.0.0.2${p}`, { maxBytes: 1000 }))).toBe('too-large')
  })

  it('reports truncated bodies, garbage, refused connects and other schemes', async () => {
    const { client, server } = setup()
    await testHttpServer(server, 80, (req) =>
      req.target === '/short'
        ? { raw: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'], close: true }
        : req.target === '/badchunk'
          ? { raw: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'] }
          : req.target === '/badlen'
            ? { raw: ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'] }
            : { raw: ['SSH-2.0-OpenSSH\r\n\r\n'] },
    )
    const agent = new HttpAgent(client)
    expect(await code(agent.get('http://10.0.0.2/short'))).toBe('bad-response')
    expect(await code(agent.get('http://10.0.0.2/badchunk'))).toBe('bad-response')
    expect(await code(agent.get('http://10.0.0.2/badlen'))).toBe('bad-response')
    expect(await code(agent.get('http://10.0.0.2/ssh'))).toBe('bad-response')
    expect(await code(agent.get('http://10.0.0.3/'))).toBe('network')
    expect(await code(agent.get('ftp://10.0.0.2/'))).toBe('unsupported')
    expect(await code(agent.get('not a url'))).toBe('unsupported')
  })

  it('times out on the injected clock, and a timed-out connection is not kept', async () => {
    const { client, server } = setup()
    let hang = true
    const srv = await testHttpServer(server, 80, () => (hang ? { hang: true } : { body: 'late' }))
    const clock = new ManualClock()
    const agent = new HttpAgent(client, { clock })
    const p = code(agent.get('http://10.0.0.2/', { timeoutMs: 5000 }))
    await flush()
    clock.advance(4999)
    await flush()
    let done = false
    void p.then(() => (done = true))
    await flush()
    expect(done).toBe(false)
    clock.advance(1)
    expect(await p).toBe('timeout')
    hang = false
    expect(text((await agent.get('http://10.0.0.2/')).body)).toBe('late')
    expect(srv.connections()).toBe(2)
  })

  it('drops an idle connection after idleMs', async () => {
    const { client, server } = setup()
    const srv = await testHttpServer(server, 80, () => ({ body: 'x' }))
    const clock = new ManualClock()
    const agent = new HttpAgent(client, { clock, idleMs: 1000 })
    await agent.get('http://10.0.0.2/')
    expect(agent.idleCount).toBe(1)
    clock.advance(1000)
    expect(agent.idleCount).toBe(0)
    await agent.get('http://10.0.0.2/')
    expect(srv.connections()).toBe(2)
  })
})

describe('ResponseReader', () => {
  it('gives the same response whatever the split, and refuses bytes after it for reuse', () => {
    const wire = utf8Encode('HTTP/1.1 206 Partial\r\nContent-Length: 5\r\nContent-Range: bytes 0-4/9\r\n\r\nhello')
    for (let cut = 1; cut < wire.length; cut++) {
      const r = new ResponseReader(100)
      expect(r.push(wire.subarray(0, cut))).toBe(false)
      expect(r.push(wire.subarray(cut))).toBe(true)
      expect(text(r.result!.body)).toBe('hello')
      expect(r.result!.headers.get('content-range')).toBe('bytes 0-4/9')
      expect(r.result!.reusable).toBe(true)
    }
    const extra = new ResponseReader(100)
    extra.push(utf8Encode('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab'))
    expect(extra.result!.reusable).toBe(false)
  })

  it('has no body for 204 and 304', () => {
    for (const s of [204, 304]) {
      const r = new ResponseReader(100)
      expect(r.push(utf8Encode(`HTTP/1.1 ${s} X\r\n\r\n`))).toBe(true)
      expect(r.result!.body.length).toBe(0)
    }
  })
})

describe('HttpAgent over https', () => {
  it('asks NetPort for TLS on port 443, with SNI for host names only', async () => {
    const seen: Array<{ host: string; port: number; tls?: boolean; servername?: string }> = []
    const net = new MemoryNetwork({ connectBehaviour: (o) => (seen.push({ ...o }), 'refused') })
    const agent = new HttpAgent(net.host('10.0.0.1'))
    expect(await code(agent.get('https://mirror.example.org/pub/x.iso'))).toBe('network')
    expect(await code(agent.get('https://10.0.0.2:8443/x'))).toBe('network')
    expect(await code(agent.get('http://[::1]:8080/x'))).toBe('network')
    expect(seen).toEqual([
      { host: 'mirror.example.org', port: 443, tls: true, servername: 'mirror.example.org' },
      { host: '10.0.0.2', port: 8443, tls: true },
      { host: '::1', port: 8080, tls: false },
    ])
  })
})

describe('HTTP response fuzz', () => {
  it('mutated responses, split unevenly, complete or throw HttpError only, bodies within the cap', () =>
    expectFuzzClean('http-response', 4245, 3000))
})
