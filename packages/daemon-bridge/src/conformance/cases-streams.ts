import http from 'node:http'
import type { BridgeClient } from '../bridge-client.ts'
import { Capability, Ev, Op } from '../protocol.ts'
import { check, rejectsWith, within, type CaseContext, type ConformanceCase } from './harness.ts'

interface HttpAnswer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** One GET (or HEAD) with the given headers; resolves with what came back, whole. */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (d: Buffer) => parts.push(d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

interface Published {
  c: BridgeClient
  handle: number
  url: string
  content: Uint8Array
  /** EVENT stream.need / stream.gone as they arrive. */
  needs: Array<{ req: number; offset: number; length: number }>
  gone: number[]
  /** Answer every need at once with stream.ready (default on). */
  autoReady: boolean
}

/** Writes a file in the conformance root and publishes it; null when the daemon has no stream-http or no HTTP port. */
async function publish(ctx: CaseContext, name: string, size: number, extra: object = {}): Promise<Published | null> {
  const c = await ctx.client()
  if (!c.capabilities.has(Capability.streamHttp)) return null
  await c.files.mkdir(ctx.root, ctx.dir)
  const path = `${ctx.dir}/${name}`
  const content = new Uint8Array(size)
  for (let i = 0; i < size; i++) content[i] = (i * 7 + (i >> 8)) & 0xff
  const h = await c.files.open(ctx.root, path, { write: true, create: true })
  await h.write(0, content)
  await h.close()
  ctx.cleanups.push(() => c.files.remove(ctx.root, path))
  const r = await c.request(Op.streamPublish, { root: ctx.root, path, length: size, name, ...extra })
  const handle = r.meta.handle as number
  const url = r.meta.url as string
  check(typeof handle === 'number' && handle > 0, `stream.publish: bad handle ${String(handle)}`)
  check(typeof r.meta.secret === 'string' && (r.meta.secret as string).length >= 22, 'stream.publish: secret too short')
  check(typeof url === 'string', 'stream.publish: url is not a string')
  if (url === '') return null // a daemon that does not listen (in-process only) has nothing to GET
  check(
    url.endsWith(`/stream/${r.meta.secret as string}`),
    `stream.publish: url ${url} does not end in /stream/<secret>`,
  )
  const p: Published = { c, handle, url, content, needs: [], gone: [], autoReady: true }
  c.register(handle, {
    onWireData() {},
    onWireEvent(ev, meta) {
      if (ev === Ev.streamNeed) {
        const n = { req: meta.req as number, offset: meta.offset as number, length: meta.length as number }
        p.needs.push(n)
        if (p.autoReady) void c.request(Op.streamReady, { handle, req: n.req })
      } else if (ev === Ev.streamGone) p.gone.push(meta.req as number)
    },
    onBridgeClosed() {},
  })
  ctx.cleanups.push(() => c.request(Op.streamUnpublish, { handle }))
  return p
}

export const streamCases: ConformanceCase[] = [
  {
    id: 'STRM-001',
    title: 'without stream-http, ops 80-82 answer ERROR and the connection stays',
    async run(ctx) {
      const c = await ctx.client()
      if (c.capabilities.has(Capability.streamHttp)) return
      for (const op of [Op.streamPublish, Op.streamUnpublish, Op.streamReady]) {
        let code: string | undefined
        await within(c.request(op, { handle: 1 }), 2000, `op ${op}`).then(
          () => undefined,
          (e: { code?: string }) => (code = e.code),
        )
        check(code === 'invalid' || code === 'unsupported', `op ${op}: expected invalid or unsupported, got ${code}`)
      }
      await within(c.request(Op.ping, {}), 2000, 'ping after stream ops')
    },
  },
  {
    id: 'STRM-002',
    title: 'a Range GET asks the client (EVENT stream.need) and, once ready, answers 206 with the exact bytes',
    async run(ctx) {
      const p = await publish(ctx, 'clip.mp4', 700_000)
      if (!p) return
      const r = await within(get(p.url, { Range: 'bytes=100000-650001' }), 10_000, 'ranged GET')
      check(r.status === 206, `expected 206, got ${r.status}`)
      check(r.headers['content-type'] === 'video/mp4', `Content-Type ${r.headers['content-type']} for .mp4`)
      check(r.headers['content-length'] === '550002', `Content-Length ${r.headers['content-length']}`)
      check(r.headers['content-range'] === 'bytes 100000-650001/700000', `Content-Range ${r.headers['content-range']}`)
      check(r.headers['accept-ranges'] === 'bytes', 'Accept-Ranges: bytes missing')
      check(Buffer.from(p.content.subarray(100000, 650002)).equals(r.body), 'body differs from the file')
      check(p.needs.length > 0, 'no EVENT stream.need before the bytes were read')
      const covered = p.needs.reduce((n, x) => n + x.length, 0)
      check(
        p.needs[0]!.offset === 100000 && covered === 550002,
        `needs do not cover the range: ${JSON.stringify(p.needs)}`,
      )
      const whole = await within(get(p.url), 10_000, 'GET without Range')
      check(
        whole.status === 200 && whole.body.length === 700_000,
        `plain GET: ${whole.status}, ${whole.body.length} bytes`,
      )
    },
  },
  {
    id: 'STRM-003',
    title: 'a wrong secret is 404; a range beyond the file is 416 with Content-Range bytes */SIZE',
    async run(ctx) {
      const p = await publish(ctx, 'song.mp3', 5000)
      if (!p) return
      const wrong = await within(
        get(p.url.replace(/\/stream\/.*$/, '/stream/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')),
        5000,
        'wrong secret',
      )
      check(wrong.status === 404, `wrong secret: expected 404, got ${wrong.status}`)
      const beyond = await within(get(p.url, { Range: 'bytes=5000-6000' }), 5000, 'range beyond the end')
      check(beyond.status === 416, `range beyond the end: expected 416, got ${beyond.status}`)
      check(beyond.headers['content-range'] === 'bytes */5000', `416 Content-Range ${beyond.headers['content-range']}`)
      check(p.needs.length === 0, 'the client was asked for bytes of a refused request')
      const suffix = await within(get(p.url, { Range: 'bytes=-100' }), 5000, 'suffix range')
      check(suffix.status === 206 && suffix.headers['content-range'] === 'bytes 4900-4999/5000', 'suffix range')
      check(suffix.headers['content-type'] === 'audio/mpeg', `Content-Type ${suffix.headers['content-type']} for .mp3`)
    },
  },
  {
    id: 'STRM-004',
    title: 'a foreign Origin or Host is refused with 403 before the client is asked',
    async run(ctx) {
      const p = await publish(ctx, 'a.webm', 1000)
      if (!p) return
      const origin = await within(get(p.url, { Origin: 'http://evil.example' }), 5000, 'foreign Origin')
      check(origin.status === 403, `foreign Origin: expected 403, got ${origin.status}`)
      const host = await within(get(p.url, { Host: `evil.example:${new URL(p.url).port}` }), 5000, 'foreign Host')
      check(host.status === 403, `foreign Host: expected 403, got ${host.status}`)
      check(p.needs.length === 0, 'the client was asked for bytes of a refused request')
    },
  },
  {
    id: 'STRM-005',
    title: 'a client that never answers stream.need: the request fails with 504 after waitMs, then EVENT stream.gone',
    async run(ctx) {
      const p = await publish(ctx, 'slow.mkv', 100_000, { waitMs: 500 })
      if (!p) return
      p.autoReady = false
      const t0 = Date.now()
      const r = await within(get(p.url, { Range: 'bytes=0-99' }), 10_000, 'GET of bytes never made ready')
      const ms = Date.now() - t0
      check(r.status === 504, `expected 504, got ${r.status}`)
      check(ms >= 400 && ms < 5000, `answered after ${ms} ms, waitMs was 500`)
      check(p.needs.length === 1, `expected one stream.need, got ${p.needs.length}`)
      for (let i = 0; i < 50 && p.gone.length === 0; i++) await new Promise((d) => setTimeout(d, 20))
      check(p.gone[0] === p.needs[0]!.req, `no stream.gone for req ${p.needs[0]!.req}`)
      // a late answer is not an error
      await within(p.c.request(Op.streamReady, { handle: p.handle, req: p.needs[0]!.req }), 2000, 'late stream.ready')
    },
  },
  {
    id: 'STRM-006',
    title: 'unpublish makes the URL 404; bad arguments and paths are refused',
    async run(ctx) {
      const p = await publish(ctx, 'gone.mp4', 1000)
      if (!p) return
      await p.c.request(Op.streamUnpublish, { handle: p.handle })
      const r = await within(get(p.url), 5000, 'GET after unpublish')
      check(r.status === 404, `after unpublish: expected 404, got ${r.status}`)
      await rejectsWith(p.c.request(Op.streamUnpublish, { handle: p.handle }), 'closed', 'second unpublish')
      await rejectsWith(
        p.c.request(Op.streamReady, { handle: p.handle, req: 1 }),
        'closed',
        'ready on an unpublished stream',
      )
      await rejectsWith(
        p.c.request(Op.streamPublish, { root: ctx.root, path: '../x.mp4', length: 1 }),
        'bad-path',
        'publish of ../x.mp4',
      )
      await rejectsWith(
        p.c.request(Op.streamPublish, { root: ctx.root, path: 'x.mp4', length: -1 }),
        'invalid',
        'publish with a negative length',
      )
      await rejectsWith(
        p.c.request(Op.streamPublish, { root: ctx.root, path: 'x.mp4', length: 1, waitMs: 1 }),
        'invalid',
        'publish with waitMs 1',
      )
    },
  },
]
