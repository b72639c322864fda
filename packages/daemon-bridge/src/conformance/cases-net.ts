import net from 'node:net'
import type { TcpSocket } from '@tidepool/engine'
import { check, rejectsWith, sleep, within, type ConformanceCase } from './harness.ts'
import { closedPort, tcpEcho, udpEcho, udpEcho6 } from './fixtures.ts'

/** Collects what a socket delivers. */
function sink(s: TcpSocket): { bytes(): number; data(): Uint8Array[]; ended: boolean; closed: boolean } {
  const st = { chunks: [] as Uint8Array[], n: 0, ended: false, closed: false }
  s.setHandlers({
    onData: (b) => {
      st.chunks.push(b.slice())
      st.n += b.length
    },
    onEnd: () => (st.ended = true),
    onClose: () => (st.closed = true),
  })
  return {
    bytes: () => st.n,
    data: () => st.chunks,
    get ended() {
      return st.ended
    },
    get closed() {
      return st.closed
    },
  }
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) check(false, `${what} (waited ${ms} ms)`)
    await sleep(5)
  }
}

export const netCases: ConformanceCase[] = [
  {
    id: 'TCP-001',
    title: 'connect to a loopback echo server and echo 4 MiB intact',
    async run(ctx) {
      const echo = await tcpEcho()
      ctx.cleanups.push(() => echo.close())
      const c = await ctx.client()
      const s = await c.net.connect({ host: '127.0.0.1', port: echo.port })
      check(s.remotePort === echo.port, 'remotePort')
      const got = sink(s)
      const data = new Uint8Array(4 << 20).map((_, i) => (i * 31 + (i >> 12)) & 255)
      for (let at = 0; at < data.length; at += 65536) s.write(data.subarray(at, at + 65536))
      await waitFor(() => got.bytes() >= data.length, 10_000, `echoed ${got.bytes()} of ${data.length}`)
      const all = new Uint8Array(data.length)
      let at = 0
      for (const b of got.data()) {
        all.set(b, at)
        at += b.length
      }
      check(
        all.every((b, i) => b === data[i]),
        'echoed bytes differ',
      )
      s.close()
    },
  },
  {
    id: 'TCP-002',
    title: 'half-close: end() sends FIN, the peer answers, onEnd then onClose',
    async run(ctx) {
      const echo = await tcpEcho()
      ctx.cleanups.push(() => echo.close())
      const c = await ctx.client()
      const s = await c.net.connect({ host: '127.0.0.1', port: echo.port })
      const got = sink(s)
      s.write(new TextEncoder().encode('last words'))
      s.end()
      await waitFor(() => got.closed, 5000, 'socket did not close after both FINs')
      check(got.ended, 'no onEnd before onClose')
      check(new TextDecoder().decode(got.data()[0]) === 'last words', 'data before FIN lost')
      await waitFor(() => echo.open() === 0, 3000, 'server side still open')
    },
  },
  {
    id: 'TCP-003',
    title: 'a connect to a closed port fails with refused',
    async run(ctx) {
      const c = await ctx.client()
      await rejectsWith(c.net.connect({ host: '127.0.0.1', port: await closedPort() }), 'refused', 'closed port')
    },
  },
  {
    id: 'TCP-004',
    title: 'listen on loopback and accept an incoming connection as a new socket',
    async run(ctx) {
      const c = await ctx.client()
      const accepted: TcpSocket[] = []
      const l = await c.net.listen({ host: '127.0.0.1', port: 0 }, (s) => {
        accepted.push(s)
        s.setHandlers({ onData: (b) => s.write(b), onEnd: () => s.end() })
      })
      ctx.cleanups.push(() => l.close())
      check(l.port > 0, 'no port')
      const raw = net.connect(l.port, '127.0.0.1')
      raw.on('error', () => {}) // a reset when the case ends: what it checks is the bytes that came back
      const back: Buffer[] = []
      raw.on('data', (b) => back.push(b))
      raw.write('incoming')
      await waitFor(() => Buffer.concat(back).toString() === 'incoming', 3000, 'accepted socket did not echo')
      check(accepted.length === 1 && accepted[0].remoteAddress.includes('127.0.0.1'), 'accepted remoteAddress')
      const ended = new Promise<void>((r) => raw.once('end', () => r()))
      raw.end()
      await within(ended, 3000, 'accepted socket FIN')
      raw.destroy()
    },
  },
  {
    id: 'TCP-005',
    title: 'IPv6 loopback connect (::1) and a hostname (localhost)',
    async run(ctx) {
      const c = await ctx.client()
      const echo6 = await tcpEcho('::1').catch(() => null)
      if (echo6) {
        ctx.cleanups.push(() => echo6.close())
        const s = await c.net.connect({ host: '::1', port: echo6.port })
        const got = sink(s)
        s.write(new Uint8Array([1, 2, 3]))
        await waitFor(() => got.bytes() === 3, 3000, 'no echo over ::1')
        s.close()
      }
      const echo = await tcpEcho()
      ctx.cleanups.push(() => echo.close())
      const s = await c.net
        .connect({ host: 'localhost', port: echo.port })
        .catch(async () => c.net.connect({ host: 'localhost', port: echo.port }))
      s.close()
    },
  },
  {
    id: 'TCP-006',
    title: 'a client that disconnects leaves no socket open',
    async run(ctx) {
      const echo = await tcpEcho()
      ctx.cleanups.push(() => echo.close())
      const c = await ctx.client()
      for (let i = 0; i < 10; i++) await c.net.connect({ host: '127.0.0.1', port: echo.port })
      await waitFor(() => echo.open() === 10, 3000, 'not all connected')
      c.close()
      await waitFor(() => echo.open() === 0, 3000, `${echo.open()} sockets still open after disconnect`)
    },
  },
  {
    id: 'TCP-007',
    title: 'flow control: a paused socket is not read past the window; resume delivers the rest',
    async run(ctx) {
      const c = await ctx.client()
      // More than the window plus what kernel buffers on both sides can hold (a few MiB each).
      const total = c.limits.recvWindowBytes + (32 << 20)
      let sent = 0
      const srv = net.createServer((s) => {
        s.on('error', () => {}) // the daemon closing the socket mid-pump is what the case provokes
        const chunk = Buffer.alloc(65536, 7)
        const pump = (): void => {
          while (sent < total) {
            sent += chunk.length
            if (!s.write(chunk)) break
          }
          if (sent >= total) s.end()
        }
        s.on('drain', pump)
        pump()
      })
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
      ctx.cleanups.push(() => srv.close())
      const s = await c.net.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port })
      s.pause()
      const got = sink(s)
      await sleep(500)
      check(got.bytes() === 0, 'data delivered while paused')
      check(sent < total, `the daemon read all ${total} bytes of a paused socket`)
      s.resume()
      await waitFor(() => got.ended, 15_000, `only ${got.bytes()} of ${total} after resume`)
      check(got.bytes() === total, `got ${got.bytes()} of ${total}`)
    },
  },
  {
    id: 'TCP-008',
    title: 'a listener on "::" takes IPv6 and, where it also takes IPv4, reports an IPv4 peer as plain IPv4',
    async run(ctx) {
      const c = await ctx.client()
      const accepted: Array<{ address: string; port: number }> = []
      let l: { port: number; close(): void }
      try {
        l = await c.net.listen({ host: '::', port: 0 }, (s) => {
          accepted.push({ address: s.remoteAddress, port: s.remotePort })
          s.close()
        })
      } catch {
        return // no IPv6 on this machine: nothing to check
      }
      ctx.cleanups.push(() => l.close())
      const dial = (host: string): Promise<number | null> =>
        new Promise((resolve) => {
          const s = net.connect({ host, port: l.port }, () => resolve(s.localPort ?? null))
          s.on('error', () => resolve(null))
          s.on('close', () => undefined)
          ctx.cleanups.push(() => s.destroy())
        })
      const v6port = await dial('::1')
      if (v6port !== null) {
        await waitFor(() => accepted.some((a) => a.port === v6port), 3000, 'the [::1] connection was not announced')
        check(
          accepted.find((a) => a.port === v6port)!.address === '::1',
          `IPv6 peer reported as ${JSON.stringify(accepted)}`,
        )
      }
      const v4port = await dial('127.0.0.1')
      if (v4port === null) return // a v6-only listener: IPv4 is not its business
      await waitFor(() => accepted.some((a) => a.port === v4port), 3000, 'the 127.0.0.1 connection was not announced')
      const v4 = accepted.find((a) => a.port === v4port)!
      check(v4.address === '127.0.0.1', `an IPv4 peer on a dual-stack listener reported as ${v4.address}`)
    },
  },
  {
    id: 'UDP-001',
    title: 'UDP bind, send to a loopback echo and receive with the source address',
    async run(ctx) {
      const echo = await udpEcho()
      ctx.cleanups.push(() => echo.close())
      const c = await ctx.client()
      const got: Array<{ text: string; address: string; port: number }> = []
      const u = await c.net.bindUdp({ host: '127.0.0.1' }, (d, from) =>
        got.push({ text: new TextDecoder().decode(d), ...from }),
      )
      ctx.cleanups.push(() => u.close())
      check(u.port > 0, 'no port')
      for (let i = 0; i < 5 && got.length === 0; i++) {
        u.send(new TextEncoder().encode('datagram'), '127.0.0.1', echo.port)
        await sleep(200)
      }
      check(got.length > 0, 'no datagram back')
      check(
        got[0].text === 'datagram' && got[0].port === echo.port && got[0].address === '127.0.0.1',
        JSON.stringify(got[0]),
      )
    },
  },
  {
    id: 'UDP-002',
    title:
      'the hello reply\'s optional udpScope is "any" or "local"; under "local" datagrams to a name or a public address are dropped and the socket stays usable',
    async run(ctx) {
      const c = await ctx.client()
      const raw = await ctx.raw()
      const hello = await raw.hello(ctx.target.token)
      raw.close()
      const scope = hello?.meta.udpScope
      check(scope === undefined || scope === 'any' || scope === 'local', `udpScope ${JSON.stringify(scope)}`)
      check(c.udpScope === (scope === 'local' ? 'local' : 'any'), `client reads udpScope as ${c.udpScope}`)
      if (scope !== 'local') return // a daemon that may send anywhere: nothing here may leave the machine
      const echo = await udpEcho()
      ctx.cleanups.push(() => echo.close())
      const got: string[] = []
      const u = await c.net.bindUdp({ host: '127.0.0.1' }, (d) => got.push(new TextDecoder().decode(d)))
      ctx.cleanups.push(() => u.close())
      // dropped by the daemon before any lookup or send (203.0.113.0/24 is TEST-NET-3, .invalid never resolves)
      u.send(new TextEncoder().encode('x'), 'udp-scope.invalid', 6881)
      u.send(new TextEncoder().encode('x'), '203.0.113.7', 6881)
      for (let i = 0; i < 5 && got.length === 0; i++) {
        u.send(new TextEncoder().encode('still here'), '127.0.0.1', echo.port)
        await sleep(200)
      }
      check(got[0] === 'still here', `the socket stopped working: ${JSON.stringify(got)}`)
    },
  },
  {
    id: 'UDP-003',
    title:
      'a daemon with the udp-ipv6-only capability binds an IPv6-only socket on the port of an IPv4 one, and both carry datagrams',
    async run(ctx) {
      const c = await ctx.client()
      if (!c.udpIpv6Only) return // optional: a daemon that does not announce it need not take ipv6Only
      const echo6 = await udpEcho6()
      if (!echo6) return // no IPv6 on this machine
      ctx.cleanups.push(() => echo6.close())
      const echo4 = await udpEcho()
      ctx.cleanups.push(() => echo4.close())
      const got: Array<{ text: string; address: string }> = []
      const on = (d: Uint8Array, from: { address: string }) =>
        got.push({ text: new TextDecoder().decode(d), address: from.address })
      const u4 = await c.net.bindUdp({ host: '0.0.0.0' }, on)
      ctx.cleanups.push(() => u4.close())
      const u6 = await c.net.bindUdp({ host: '::', port: u4.port, ipv6Only: true }, on)
      ctx.cleanups.push(() => u6.close())
      check(u6.port === u4.port, `IPv6 socket on port ${u6.port}, IPv4 on ${u4.port}`)
      for (let i = 0; i < 5 && got.length < 2; i++) {
        u4.send(new TextEncoder().encode('v4'), '127.0.0.1', echo4.port)
        u6.send(new TextEncoder().encode('v6'), '::1', echo6.port)
        await sleep(200)
      }
      check(
        got.some((g) => g.text === 'v4' && g.address === '127.0.0.1'),
        `no IPv4 echo: ${JSON.stringify(got)}`,
      )
      check(
        got.some((g) => g.text === 'v6' && g.address === '::1'),
        `no IPv6 echo: ${JSON.stringify(got)}`,
      )
    },
  },
]
