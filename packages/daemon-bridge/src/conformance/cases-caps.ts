import { check, rejectsWith, sleep, within, type ConformanceCase } from './harness.ts'
import { hangingPort, tcpEcho } from './fixtures.ts'
import type { TcpSocket } from '@tidepool/engine'

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
        p.then((s) => {
          settled.push(`${tag}:ok`)
          s.close()
        }, (e: { code?: string }) => settled.push(`${tag}:${e.code}`))
      }
      for (let i = 0; i < inFlight; i++) track(c.net.connect({ host: '127.0.0.1', port: hang.port }), 'hang')
      await sleep(step / 2)
      check(settled.length === 0, `hanging connects settled early: ${settled.join(',')}`)
      // The next connect goes to a live server but must wait for a slot.
      track(c.net.connect({ host: '127.0.0.1', port: echo.port }), 'live')
      await sleep(step)
      check(!settled.includes('live:ok'), `connect number ${inFlight + 1} did not wait for a slot`)
      for (let i = inFlight + 1; i < pending; i++) track(c.net.connect({ host: '127.0.0.1', port: echo.port }), 'queued')
      await sleep(100)
      const t0 = Date.now()
      await rejectsWith(within(c.net.connect({ host: '127.0.0.1', port: echo.port }), 2000, 'busy connect'), 'busy', `connect number ${pending + 1}`)
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
      await rejectsWith(within(c.net.connect({ host: '127.0.0.1', port: hang.port }), limit + 5000, 'timeout connect'), 'timeout', 'hanging connect')
      const took = Date.now() - t0
      check(took >= limit * 0.9 && took <= limit + 3000, `timed out after ${took} ms, limit ${limit} ms`)
    },
  },
]
