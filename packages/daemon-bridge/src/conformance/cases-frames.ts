import { HEADER_BYTES, encodeFrame, writeHeader } from '../frame-codec.ts'
import { Kind, MAX_MESSAGE_FRAGMENTS, Op } from '../protocol.ts'
import { check, type CaseContext, type ConformanceCase } from './harness.ts'
import type { RawConn } from './raw-conn.ts'
import { upgradeResponse } from './fixtures.ts'

/** The malformed input got an ERROR or a close; then a new connection still works. */
async function survives(ctx: CaseContext, r: RawConn, what: string): Promise<void> {
  const reacted = await r.until(() => r.closeCode !== null || r.frames.some((f) => f.kind === Kind.ERROR), 3000)
  check(reacted, `${what}: neither an error nor a close`)
  const c = await ctx.client()
  await c.request(Op.ping, {})
}

export const frameCases: ConformanceCase[] = [
  {
    id: 'FRAME-001',
    title: 'a frame shorter than the header gets an error or close; the daemon keeps serving',
    async run(ctx) {
      const r = await ctx.raw({ hello: true })
      r.send(new Uint8Array([Kind.REQUEST, 0, 0, 0]))
      await survives(ctx, r, 'truncated header')
    },
  },
  {
    id: 'FRAME-002',
    title: 'metaLen past the end of the frame gets an error or close',
    async run(ctx) {
      const r = await ctx.raw({ hello: true })
      const f = new Uint8Array(HEADER_BYTES + 2)
      writeHeader(f, 0, Kind.REQUEST, 5, Op.ping, 1000)
      r.send(f)
      await survives(ctx, r, 'bad metaLen')
    },
  },
  {
    id: 'FRAME-003',
    title: 'meta that is not a JSON object gets an error or close',
    async run(ctx) {
      const r = await ctx.raw({ hello: true })
      const meta = new TextEncoder().encode('{not json')
      const f = new Uint8Array(HEADER_BYTES + meta.length)
      writeHeader(f, 0, Kind.REQUEST, 6, Op.ping, meta.length)
      f.set(meta, HEADER_BYTES)
      r.send(f)
      await survives(ctx, r, 'bad meta')
    },
  },
  {
    id: 'FRAME-004',
    title: 'an unknown kind gets an error or close',
    async run(ctx) {
      const r = await ctx.raw({ hello: true })
      r.send(encodeFrame(99, 7, Op.ping, {}))
      await survives(ctx, r, 'unknown kind')
    },
  },
  {
    id: 'FRAME-005',
    title: 'an unknown op gets ERROR invalid and the connection stays open',
    async run(ctx) {
      const r = await ctx.raw({ hello: true })
      r.request(8, 60000, {})
      const f = await r.reply(8)
      check(
        f?.kind === Kind.ERROR && f.meta.code === 'invalid',
        `expected ERROR invalid, got ${JSON.stringify(f?.meta)}`,
      )
      r.request(9, Op.ping, {})
      check((await r.reply(9))?.kind === Kind.REPLY, 'connection unusable after an unknown op')
    },
  },
  {
    id: 'FRAME-006',
    title: 'a message over maxFrameBytes closes the connection; the daemon keeps serving',
    async run(ctx) {
      const limits = (await ctx.client()).limits
      const r = await ctx.raw({ hello: true })
      r.send(encodeFrame(Kind.REQUEST, 10, Op.ping, {}, new Uint8Array(limits.maxFrameBytes + 1024)))
      check(await r.until(() => r.closeCode !== null, 5000), 'oversize message did not close the connection')
      const c = await ctx.client()
      await c.request(Op.ping, {})
    },
  },
  {
    id: 'FRAME-007',
    plainOnly: true,
    title: 'a text message gets an error or close',
    async run(ctx) {
      const r = await ctx.raw({ hello: true })
      r.send('{"op":"hello"}')
      await survives(ctx, r, 'text message')
    },
  },
  {
    id: 'FRAME-008',
    title: 'missing or mistyped arguments get ERROR invalid, connection stays open',
    async run(ctx) {
      const r = await ctx.raw({ hello: true })
      r.request(11, Op.tcpConnect, { host: 5, port: 'x' })
      const f = await r.reply(11)
      check(
        f?.kind === Kind.ERROR && f.meta.code === 'invalid',
        `expected ERROR invalid, got ${JSON.stringify(f?.meta)}`,
      )
      r.request(12, Op.fileRead, { handle: 424242, offset: 0, length: 1 })
      const g = await r.reply(12)
      check(
        g?.kind === Kind.ERROR && g.meta.code === 'closed',
        `unknown handle: expected closed, got ${JSON.stringify(g?.meta)}`,
      )
    },
  },
  {
    id: 'FRAME-009',
    plainOnly: true,
    title: 'a client with an all-zero masking key (the Node client) is served, including a large fragmented request',
    async run(ctx) {
      const c = await ctx.client({ generateMask: (m: Uint8Array) => m.fill(0) })
      await c.request(Op.ping, {})
      // A 1 MiB payload under a zero key: the daemon must not treat the unchanging key as an error.
      const g = await c.request(Op.ping, {}, new Uint8Array(1024 * 1024).fill(7)).then(
        () => 'reply',
        (e: { code?: string }) => `error ${e.code}`,
      )
      check(!c.closed, `zero-mask client was disconnected (${g})`)
      await c.request(Op.ping, {})
    },
  },
  {
    id: 'FRAME-010',
    plainOnly: true,
    title: 'the daemon selects no subprotocol: a requested one is not echoed in the 101',
    async run(ctx) {
      const o: Record<string, string> = ctx.target.origin ? { Origin: ctx.target.origin } : {}
      const r = await upgradeResponse(ctx.port, {
        Host: `127.0.0.1:${ctx.port}`,
        'Sec-WebSocket-Protocol': 'tidepool, chat',
        ...o,
      })
      check(r.status === 101, `upgrade answered ${r.status}, expected 101`)
      const p = r.headers['sec-websocket-protocol']
      check(p === undefined, `the daemon selected subprotocol ${String(p)}; the protocol has none`)
    },
  },
  {
    id: 'FRAME-011',
    plainOnly: true,
    title: `a message in ${MAX_MESSAGE_FRAGMENTS} fragments is served; one in more closes the connection with 1008`,
    async run(ctx) {
      const inFragments = (r: RawConn, id: number, n: number): void => {
        // The whole request in the first fragment, then empty continuations: only the count matters.
        r.ws.send(encodeFrame(Kind.REQUEST, id, Op.ping, {}), { fin: false })
        for (let i = 2; i < n; i++) r.ws.send(new Uint8Array(0), { fin: false })
        r.ws.send(new Uint8Array(0), { fin: true })
      }
      const r = await ctx.raw({ hello: true })
      inFragments(r, 20, MAX_MESSAGE_FRAGMENTS)
      const f = await r.reply(20, 10_000)
      check(
        f?.kind === Kind.REPLY,
        `${MAX_MESSAGE_FRAGMENTS} fragments: expected a REPLY, got ${f ? JSON.stringify(f.meta) : `close ${r.closeCode}`}`,
      )
      inFragments(r, 21, MAX_MESSAGE_FRAGMENTS + 1)
      check(
        await r.until(() => r.closeCode !== null, 10_000),
        `${MAX_MESSAGE_FRAGMENTS + 1} fragments did not close the connection`,
      )
      check(r.closeCode === 1008, `close code ${r.closeCode}, expected 1008`)
      check(!r.frames.some((x) => x.id === 21), 'the over-fragmented message was answered')
      const c = await ctx.client()
      await c.request(Op.ping, {})
    },
  },
]
