import dgram from 'node:dgram'
import type { IoError, TcpSocket } from '@tidepool/engine'
import { Op } from '../protocol.ts'
import { check, rejectsWith, sleep, within, type ConformanceCase } from './harness.ts'

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) check(false, `${what} (waited ${ms} ms)`)
    await sleep(5)
  }
}

/**
 * uTP (capability `utp`). The daemon is its own peer: one client listens with `utp: true`, another dials
 * it over uTP, so the daemon's uTP talks to itself across loopback UDP.
 */
export const utpCases: ConformanceCase[] = [
  {
    id: 'UTP-001',
    title: 'uTP: accept and connect over loopback, 2 MiB echoed intact, end() on both sides closes both',
    async run(ctx) {
      const server = await ctx.client()
      if (!server.utp) return // optional capability (UTP-003 checks the refusal)
      const accepted: TcpSocket[] = []
      let serverClosed: IoError | undefined | 'open' = 'open'
      const l = await server.net.listen({ host: '127.0.0.1', port: 0, utp: true }, (s) => {
        accepted.push(s)
        s.setHandlers({
          onData: (b) => s.write(b),
          onEnd: () => s.end(),
          onClose: (e) => {
            serverClosed = e
          },
        })
      })
      ctx.cleanups.push(() => l.close())
      check(l.utp === true, 'tcp.listen with utp: true did not answer utp: true')
      const c = await ctx.client()
      const s = await within(c.net.connect({ host: '127.0.0.1', port: l.port, transport: 'utp' }), 10_000, 'connect')
      check(s.transport === 'utp', 'connected socket is not uTP')
      const chunks: Uint8Array[] = []
      let n = 0
      let ended = false
      let closed: IoError | undefined | 'open' = 'open'
      s.setHandlers({
        onData: (b) => {
          chunks.push(b.slice())
          n += b.length
        },
        onEnd: () => (ended = true),
        onClose: (e) => {
          closed = e
        },
      })
      const data = new Uint8Array(2 << 20).map((_, i) => (i * 31 + (i >> 12)) & 255)
      for (let at = 0; at < data.length; at += 65536) s.write(data.subarray(at, at + 65536))
      await waitFor(() => n >= data.length, 30_000, `echoed ${n} of ${data.length}`)
      check(accepted.length === 1 && accepted[0].transport === 'utp', 'accept event did not say transport utp')
      check(accepted[0].remoteAddress === '127.0.0.1', `accepted remoteAddress ${accepted[0].remoteAddress}`)
      const all = new Uint8Array(n)
      let at = 0
      for (const b of chunks) {
        all.set(b, at)
        at += b.length
      }
      check(
        all.every((b, i) => b === data[i]),
        'echoed bytes differ',
      )
      s.end()
      await waitFor(() => closed !== 'open' && serverClosed !== 'open', 10_000, 'uTP sockets did not close after FINs')
      check(ended, 'no end event before close')
      check(closed === undefined && serverClosed === undefined, 'a clean close reported an error')
    },
  },
  {
    id: 'UTP-002',
    title:
      'uTP: a connect nobody answers fails (timeout or refused) within connectTimeoutMs; close() of a live one reaches the peer',
    async run(ctx) {
      const c = await ctx.client()
      if (!c.utp) return
      // a UDP port that swallows the SYNs
      const silent = dgram.createSocket('udp4')
      await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()))
      ctx.cleanups.push(() => silent.close())
      const t0 = Date.now()
      const err = await c.net.connect({ host: '127.0.0.1', port: silent.address().port, transport: 'utp' }).then(
        () => undefined,
        (e: IoError) => e,
      )
      check(err && (err.code === 'timeout' || err.code === 'refused'), `expected timeout/refused, got ${err?.code}`)
      check(Date.now() - t0 <= c.limits.connectTimeoutMs + 3000, `took ${Date.now() - t0} ms`)
      // close(): the accepted side hears of it
      const server = await ctx.client()
      let peerGone = false
      const l = await server.net.listen({ host: '127.0.0.1', port: 0, utp: true }, (s) =>
        s.setHandlers({ onClose: () => (peerGone = true) }),
      )
      ctx.cleanups.push(() => l.close())
      const s = await c.net.connect({ host: '127.0.0.1', port: l.port, transport: 'utp' })
      s.write(new TextEncoder().encode('hello'))
      await sleep(100)
      s.close()
      await waitFor(() => peerGone, 5000, 'the accepted uTP socket did not see the close')
    },
  },
  {
    id: 'UTP-004',
    title:
      'uTP: udp.bind on the port of our own uTP listener shares it: other datagrams reach the UDP handle, uTP still connects',
    async run(ctx) {
      const c = await ctx.client()
      if (!c.utp) return
      const l = await c.net.listen({ host: '127.0.0.1', port: 0, utp: true }, (s) =>
        s.setHandlers({ onData: (b) => s.write(b) }),
      )
      ctx.cleanups.push(() => l.close())
      const got: string[] = []
      const u = await c.net.bindUdp({ host: '127.0.0.1', port: l.port }, (d) => got.push(new TextDecoder().decode(d)))
      ctx.cleanups.push(() => u.close())
      check(u.port === l.port, `UDP handle on ${u.port}, listener on ${l.port}`)
      const raw = dgram.createSocket('udp4')
      await new Promise<void>((r) => raw.bind(0, '127.0.0.1', () => r()))
      ctx.cleanups.push(() => raw.close())
      const back: string[] = []
      raw.on('message', (m) => back.push(m.toString()))
      for (let i = 0; i < 5 && (got.length === 0 || back.length === 0); i++) {
        raw.send('d1:ad2:id20:xxxxxxxxxxxxxxxxxxxxe1:q4:ping1:t2:aa1:y1:qe', l.port, '127.0.0.1')
        u.send(new TextEncoder().encode('pong'), '127.0.0.1', raw.address().port)
        await sleep(100)
      }
      check(
        got.some((g) => g.includes('ping')),
        `the shared UDP handle got nothing: ${JSON.stringify(got)}`,
      )
      check(back.includes('pong'), 'nothing sent through the shared handle arrived')
      const s = await within(c.net.connect({ host: '127.0.0.1', port: l.port, transport: 'utp' }), 10_000, 'connect')
      let echoed = ''
      s.setHandlers({ onData: (b) => (echoed += new TextDecoder().decode(b)) })
      s.write(new TextEncoder().encode('still uTP'))
      await waitFor(() => echoed === 'still uTP', 5000, 'uTP on the shared port')
      s.close()
    },
  },
  {
    id: 'UTP-003',
    title:
      'without the utp capability a client refuses uTP, and the daemon answers tcp.connect transport "utp" with an error',
    async run(ctx) {
      const c = await ctx.client()
      if (c.utp) {
        // with it, a bad transport value is invalid
        await rejectsWith(
          c.request(Op.tcpConnect, { host: '127.0.0.1', port: 9, transport: 'quic' }),
          'invalid',
          'transport "quic"',
        )
        return
      }
      await rejectsWith(
        c.net.connect({ host: '127.0.0.1', port: 9, transport: 'utp' }),
        'unsupported',
        'a uTP connect on a daemon without uTP',
      )
      const err = await c.request(Op.tcpConnect, { host: '127.0.0.1', port: 9, transport: 'utp' }).then(
        () => undefined,
        (e: IoError) => e,
      )
      check(err !== undefined, 'a daemon without uTP connected a transport "utp" request')
    },
  },
]
