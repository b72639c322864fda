import { Kind, Op } from '../protocol.ts'
import { encodeFrame } from '../frame-codec.ts'
import { check, type ConformanceCase } from './harness.ts'
import { upgradeStatus } from './fixtures.ts'

const AUTH_CLOSE = 4001

export const authCases: ConformanceCase[] = [
  {
    id: 'AUTH-001',
    title: 'hello without a token is refused with auth and closed',
    async run(ctx) {
      const r = await ctx.raw()
      r.request(1, Op.hello, { protocol: 1 })
      const f = await r.reply(1)
      check(f?.kind === Kind.ERROR && f.meta.code === 'auth', `expected ERROR auth, got ${JSON.stringify(f?.meta)}`)
      check(await r.until(() => r.closeCode !== null, 3000), 'connection not closed')
      check(r.closeCode === AUTH_CLOSE, `close code ${r.closeCode}, expected ${AUTH_CLOSE}`)
    },
  },
  {
    id: 'AUTH-002',
    title: 'hello with a wrong token is refused with auth and closed',
    async run(ctx) {
      const r = await ctx.raw()
      const wrong = ctx.target.token.replace(/^./, (c) => (c === '0' ? '1' : '0'))
      r.request(1, Op.hello, { token: wrong, protocol: 1 })
      const f = await r.reply(1)
      check(f?.kind === Kind.ERROR && f.meta.code === 'auth', `expected ERROR auth, got ${JSON.stringify(f?.meta)}`)
      check(await r.until(() => r.closeCode !== null, 3000), 'connection not closed')
    },
  },
  {
    id: 'AUTH-003',
    title: 'an operation before hello gets ERROR auth and a close',
    async run(ctx) {
      const r = await ctx.raw()
      r.request(9, Op.fsList, { root: ctx.root, path: '' })
      const f = await r.reply(9)
      check(f?.kind === Kind.ERROR && f.meta.code === 'auth', `expected ERROR auth, got ${JSON.stringify(f?.meta)}`)
      check(await r.until(() => r.closeCode !== null, 3000), 'connection not closed')
      check(!r.frames.some((x) => x.kind === Kind.REPLY), 'the operation was answered')
    },
  },
  {
    id: 'AUTH-004',
    title: 'DATA and CREDIT before hello get ERROR auth and a close',
    async run(ctx) {
      for (const kind of [Kind.DATA, Kind.CREDIT]) {
        const r = await ctx.raw()
        r.send(encodeFrame(kind, 1, 0, undefined, new Uint8Array(4)))
        check(await r.until(() => r.closeCode !== null, 3000), `kind ${kind}: connection not closed`)
        check(
          r.frames.every((x) => x.kind === Kind.ERROR && x.meta.code === 'auth'),
          `kind ${kind}: expected only ERROR auth`,
        )
      }
    },
  },
  {
    id: 'AUTH-005',
    plainOnly: true,
    title: 'a foreign Origin is refused at the upgrade (HTTP 403)',
    async run(ctx) {
      for (const origin of ['https://evil.example', 'null', 'chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa']) {
        const s = await upgradeStatus(ctx.port, { Host: `127.0.0.1:${ctx.port}`, Origin: origin })
        check(s === 403, `Origin ${origin}: status ${s}, expected 403`)
      }
    },
  },
  {
    id: 'AUTH-006',
    plainOnly: true,
    title: 'a foreign Host is refused at the upgrade (DNS rebinding, HTTP 403)',
    async run(ctx) {
      const o: Record<string, string> = ctx.target.origin ? { Origin: ctx.target.origin } : {}
      for (const host of [
        `evil.example:${ctx.port}`,
        `127.0.0.1.nip.io:${ctx.port}`,
        `127.0.0.1:${ctx.port + 1}`,
        '127.0.0.1',
      ]) {
        const s = await upgradeStatus(ctx.port, { Host: host, ...o })
        check(s === 403, `Host ${host}: status ${s}, expected 403`)
      }
      const ok = await upgradeStatus(ctx.port, { Host: `127.0.0.1:${ctx.port}`, ...o })
      check(ok === 101, `the good Host was refused (${ok})`)
    },
  },
  {
    id: 'AUTH-007',
    title: 'hello reply announces protocol 1, limits and the conformance root',
    async run(ctx) {
      const c = await ctx.client()
      const l = c.limits
      for (const k of [
        'maxConnectsInFlight',
        'maxConnectsPending',
        'connectTimeoutMs',
        'maxFrameBytes',
        'maxDataFrameBytes',
        'recvWindowBytes',
        'maxIoBytes',
      ] as const) {
        check(typeof l[k] === 'number' && l[k] > 0, `limit ${k} missing`)
      }
      check(l.maxConnectsPending >= l.maxConnectsInFlight, 'pending cap below in-flight cap')
      check(c.roots.includes(ctx.root), `no root named ${ctx.root}`)
    },
  },
  {
    id: 'AUTH-010',
    title: "hello reply names each root's absolute path when it has rootPaths (optional)",
    async run(ctx) {
      const c = await ctx.client()
      const paths = c.rootPaths
      if (Object.keys(paths).length === 0) return // an older daemon: the field is optional
      for (const r of c.roots)
        check(typeof paths[r] === 'string' && paths[r]!.startsWith('/'), `rootPaths has no absolute path for ${r}`)
      check(
        Object.keys(paths).every((k) => c.roots.includes(k)),
        'rootPaths names a root not in roots',
      )
    },
  },
  {
    id: 'AUTH-008',
    title: 'an unknown protocol version is refused with unsupported',
    async run(ctx) {
      const r = await ctx.raw()
      r.request(1, Op.hello, { token: ctx.target.token, protocol: 999 })
      const f = await r.reply(1)
      check(
        f?.kind === Kind.ERROR && f.meta.code === 'unsupported',
        `expected ERROR unsupported, got ${JSON.stringify(f?.meta)}`,
      )
    },
  },
  {
    id: 'AUTH-009',
    title: 'a second hello after success is invalid and the connection stays usable',
    async run(ctx) {
      const r = await ctx.raw({ hello: true })
      r.request(2, Op.hello, { token: ctx.target.token, protocol: 1 })
      const f = await r.reply(2)
      check(
        f?.kind === Kind.ERROR && f.meta.code === 'invalid',
        `expected ERROR invalid, got ${JSON.stringify(f?.meta)}`,
      )
      r.request(3, Op.ping, {})
      check((await r.reply(3))?.kind === Kind.REPLY, 'ping after second hello not answered')
    },
  },
]
