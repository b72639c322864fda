import { check, rejectsWith, sleep, within, type ConformanceCase } from './harness.ts'
import { hangingPort, stalledServer, tcpEcho } from './fixtures.ts'
import type { IoError, TcpSocket } from '@tidepool/engine'
import { Op } from '../protocol.ts'

const MiB = 1024 * 1024

export const capCases: ConformanceCase[] = [
  {
    id: 'CAP-001',
    title: 'with maxConnectsInFlight hanging, the next connect waits; beyond maxConnectsPending: busy at once',
    async run(ctx) {
      const hang = await hangingPort()
      ctx.cleanups.push(() => hang.close())
      const echo = await tcpEcho()
      ctx.cleanups.push(() => echo.close())
      const c = await ctx.client()
      const { maxConnectsInFlight: inFlight, maxConnectsPending: pending, connectTimeoutMs } = c.limits
      // All checks below must finish before the hanging connects time out and free their slots.
      const step = Math.max(50, Math.min(700, Math.floor(connectTimeoutMs / 5)))
      const settled: string[] = []
      const track = (p: Promise<TcpSocket>, tag: string): void => {
        p.then(
          (s) => {
            settled.push(`${tag}:ok`)
            s.close()
          },
          (e: { code?: string }) => settled.push(`${tag}:${e.code}`),
        )
      }
      for (let i = 0; i < inFlight; i++) track(c.net.connect({ host: '127.0.0.1', port: hang.port }), 'hang')
      await sleep(step / 2)
      check(settled.length === 0, `hanging connects settled early: ${settled.join(',')}`)
      // The next connect goes to a live server but must wait for a slot.
      track(c.net.connect({ host: '127.0.0.1', port: echo.port }), 'live')
      await sleep(step)
      check(!settled.includes('live:ok'), `connect number ${inFlight + 1} did not wait for a slot`)
      for (let i = inFlight + 1; i < pending; i++)
        track(c.net.connect({ host: '127.0.0.1', port: echo.port }), 'queued')
      await sleep(100)
      const t0 = Date.now()
      await rejectsWith(
        within(c.net.connect({ host: '127.0.0.1', port: echo.port }), 2000, 'busy connect'),
        'busy',
        `connect number ${pending + 1}`,
      )
      check(Date.now() - t0 < 1000, `busy took ${Date.now() - t0} ms, expected at once`)
      check(!settled.includes('live:ok'), 'queued connect ran while all slots hang')
    },
  },
  {
    id: 'CAP-002',
    title: 'a connect to a listener that never accepts fails with timeout after connectTimeoutMs',
    async run(ctx) {
      const hang = await hangingPort()
      ctx.cleanups.push(() => hang.close())
      const c = await ctx.client()
      const limit = c.limits.connectTimeoutMs
      const t0 = Date.now()
      await rejectsWith(
        within(c.net.connect({ host: '127.0.0.1', port: hang.port }), limit + 5000, 'timeout connect'),
        'timeout',
        'hanging connect',
      )
      const took = Date.now() - t0
      check(took >= limit * 0.9 && took <= limit + 3000, `timed out after ${took} ms, limit ${limit} ms`)
    },
  },
  {
    id: 'CAP-003',
    title:
      'a client that keeps sending past full has that socket closed with too-large at maxSendBufferBytes; the connection stays',
    async run(ctx) {
      const sink = await stalledServer()
      ctx.cleanups.push(() => sink.close())
      const c = await ctx.client()
      const cap = (c.limits as unknown as Record<string, unknown>).maxSendBufferBytes
      check(typeof cap === 'number' && cap > 0, `the hello reply announces no maxSendBufferBytes (${String(cap)})`)
      const s = await c.net.connect({ host: '127.0.0.1', port: sink.port })
      const seen: { close?: { error?: IoError } } = {}
      s.setHandlers({ onClose: (error) => (seen.close = { error }) })
      // Ignore write() returning false (and so EVENT full); only pace on this client's own WebSocket.
      // The OS buffers of a stalled loopback socket take a few MiB before the daemon holds anything.
      const chunk = new Uint8Array(MiB).fill(0x5a)
      const budget = cap + 64 * MiB
      let sent = 0
      const deadline = Date.now() + 30_000
      while (!seen.close && Date.now() < deadline) {
        if (sent < budget) {
          s.write(chunk)
          sent += chunk.length
        }
        if (c.wireFull()) await new Promise<void>((r) => c.whenWireDrains(r))
        else await sleep(sent < budget ? 0 : 20)
      }
      check(seen.close, `the socket stayed open after ${sent / MiB} MiB sent past full (cap ${cap / MiB} MiB)`)
      check(
        seen.close.error?.code === 'too-large',
        `socket closed with ${seen.close.error?.code ?? 'no error'}, expected too-large`,
      )
      check(sent >= cap, `closed after ${sent / MiB} MiB, before the client had sent the cap of ${cap / MiB} MiB`)
      await c.request(Op.ping, {})
      check(!c.closed, 'the whole connection was closed, not just the socket')
    },
  },
]
