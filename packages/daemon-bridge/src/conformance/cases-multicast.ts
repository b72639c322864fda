import { IoError } from '@tidepool/engine'
import { Capability, Op } from '../protocol.ts'
import { check, rejectsWith, sleep, type ConformanceCase } from './harness.ts'

/**
 * The optional udp-multicast capability (§4.3). Every case joins on 127.0.0.1 with TTL 0: datagrams to
 * the group are looped back to sockets on this machine and never put on a wire, and the membership
 * report goes to the loopback interface only. A suite run must not send multicast off the machine.
 */
const GROUP = '239.192.152.143'

export const multicastCases: ConformanceCase[] = [
  {
    id: 'MCAST-001',
    title:
      'udp.multicast: two reuseAddr sockets on one port join a group on loopback and both hear a datagram to it; unannounced, the op is refused',
    async run(ctx) {
      const c = await ctx.client()
      if (!c.capabilities.has(Capability.udpMulticast)) {
        // Not offered: the op must be an error (unsupported, or invalid from a daemon that predates it).
        const bound = await c.request(Op.udpBind, { host: '127.0.0.1' })
        const handle = bound.meta.handle as number
        let code = ''
        try {
          await c.request(Op.udpMulticast, { handle, group: GROUP })
        } catch (e) {
          code = e instanceof IoError ? e.code : 'other'
        }
        await c.request(Op.udpClose, { handle })
        check(
          code === 'unsupported' || code === 'invalid',
          `udp.multicast without the capability answered ${code || 'success'}`,
        )
        return
      }
      const heard: Array<{ who: string; text: string; address: string }> = []
      const listen = (who: string) => (d: Uint8Array, from: { address: string }) =>
        heard.push({ who, text: new TextDecoder().decode(d), address: from.address })
      const a = await c.net.bindUdp({ host: '0.0.0.0', port: 0, reuseAddr: true }, listen('a'))
      ctx.cleanups.push(() => a.close())
      const b = await c.net.bindUdp({ host: '0.0.0.0', port: a.port, reuseAddr: true }, listen('b'))
      ctx.cleanups.push(() => b.close())
      check(b.port === a.port, `second reuseAddr socket got port ${b.port}, not ${a.port}`)
      check(a.joinMulticast && b.joinMulticast, 'the client offers no joinMulticast')
      for (const s of [a, b]) await s.joinMulticast!({ group: GROUP, interface: '127.0.0.1', ttl: 0, loopback: true })
      for (let i = 0; i < 5 && !heard.some((h) => h.who === 'b'); i++) {
        a.send(new TextEncoder().encode(`to the group ${i}`), GROUP, a.port)
        await sleep(200)
      }
      const atB = heard.find((h) => h.who === 'b')
      check(atB, `the other socket heard nothing (heard: ${JSON.stringify(heard)})`)
      check(atB.text.startsWith('to the group') && atB.address === '127.0.0.1', JSON.stringify(atB))
    },
  },
  {
    id: 'MCAST-002',
    title: 'udp.multicast refuses a group that is not multicast, a bad ttl and an unknown handle with invalid/closed',
    async run(ctx) {
      const c = await ctx.client()
      if (!c.capabilities.has(Capability.udpMulticast)) return // MCAST-001 checked the refusal
      const bound = await c.request(Op.udpBind, { host: '0.0.0.0' })
      const handle = bound.meta.handle as number
      ctx.cleanups.push(() => c.request(Op.udpClose, { handle }))
      await rejectsWith(
        c.request(Op.udpMulticast, { handle, group: '127.0.0.1', interface: '127.0.0.1', ttl: 0 }),
        'invalid',
        'unicast group',
      )
      await rejectsWith(
        c.request(Op.udpMulticast, { handle, group: 'ff15::efc0:152:143', interface: '127.0.0.1', ttl: 0 }),
        'invalid',
        'IPv6 group on an IPv4 socket',
      )
      await rejectsWith(
        c.request(Op.udpMulticast, { handle, group: GROUP, interface: '127.0.0.1', ttl: 256 }),
        'invalid',
        'ttl 256',
      )
      await rejectsWith(
        c.request(Op.udpMulticast, { handle, group: GROUP, interface: '127.0.0.1', ttl: 0, loop: 'yes' }),
        'invalid',
        'loop not a boolean',
      )
      await rejectsWith(
        c.request(Op.udpMulticast, { handle: 0x7ffffff0, group: GROUP, interface: '127.0.0.1', ttl: 0 }),
        'closed',
        'unknown handle',
      )
      await rejectsWith(c.request(Op.udpBind, { host: '0.0.0.0', reuseAddr: 1 }), 'invalid', 'reuseAddr not a boolean')
    },
  },
  {
    id: 'MCAST-003',
    title: 'without reuseAddr a second bind on a taken UDP port fails with in-use',
    async run(ctx) {
      const c = await ctx.client()
      if (!c.capabilities.has(Capability.udpMulticast)) return
      const a = await c.net.bindUdp({ host: '0.0.0.0', port: 0, reuseAddr: true }, () => {})
      ctx.cleanups.push(() => a.close())
      await rejectsWith(
        c.net.bindUdp({ host: '0.0.0.0', port: a.port }, () => {}),
        'in-use',
        'plain bind on a shared port',
      )
    },
  },
]
