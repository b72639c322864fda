import { check, rejectsWith, within, type ConformanceCase } from './harness.ts'
import { Capability, Op } from '../protocol.ts'

/**
 * Port mapping (§4.5). These cases only check what a daemon refuses: a case that got a mapping made
 * would send SSDP multicast or NAT-PMP to this machine's real gateway. Mapping itself is exercised
 * against miniupnpd in a network namespace (native-host/test/portmap-miniupnpd.test.ts).
 */
export const portmapCases: ConformanceCase[] = [
  {
    id: 'PMAP-001',
    title:
      'capabilities is absent or a list of strings; without portmap, ops 50-52 answer ERROR and the connection stays',
    async run(ctx) {
      const c = await ctx.client()
      check(
        [...c.capabilities].every((x) => typeof x === 'string'),
        'capabilities holds a non-string',
      )
      if (c.capabilities.has(Capability.portmap)) return
      for (const op of [Op.portmapAdd, Op.portmapRemove, Op.portmapStatus]) {
        let code: string | undefined
        await within(c.request(op, { handle: 1 }), 2000, `op ${op}`).then(
          () => undefined,
          (e: { code?: string }) => (code = e.code),
        )
        check(
          code === 'invalid' || code === 'unsupported',
          `op ${op} without the capability: expected invalid or unsupported, got ${code ?? 'a reply'}`,
        )
      }
      await within(c.request(Op.ping, {}), 2000, 'ping after portmap ops')
    },
  },
  {
    id: 'PMAP-002',
    title: "portmap maps only this connection's own listeners and UDP sockets, never loopback-bound ones",
    async run(ctx) {
      const c = await ctx.client()
      if (!c.capabilities.has(Capability.portmap)) return
      const listener = (await c.request(Op.tcpListen, { host: '127.0.0.1', port: 0 })).meta.handle as number
      ctx.cleanups.push(() => c.request(Op.listenerClose, { handle: listener }))
      const udp = (await c.request(Op.udpBind, { host: '127.0.0.1', port: 0 })).meta.handle as number
      ctx.cleanups.push(() => c.request(Op.udpClose, { handle: udp }))
      await c.files.mkdir(ctx.root, ctx.dir)
      const path = `${ctx.dir}/pmap-002`
      const file = (await c.request(Op.fileOpen, { root: ctx.root, path, create: true })).meta.handle as number
      ctx.cleanups.push(async () => {
        await c.request(Op.fileClose, { handle: file })
        await c.files.remove(ctx.root, path)
      })
      await rejectsWith(c.request(Op.portmapAdd, { handle: 0x7ffffff0 }), 'closed', 'portmap.add of an unknown handle')
      await rejectsWith(c.request(Op.portmapAdd, { handle: file }), 'closed', 'portmap.add of a file handle')
      await rejectsWith(
        c.request(Op.portmapAdd, { handle: listener }),
        'invalid',
        'portmap.add of a listener on 127.0.0.1',
      )
      await rejectsWith(
        c.request(Op.portmapAdd, { handle: udp }),
        'invalid',
        'portmap.add of a UDP socket on 127.0.0.1',
      )
      await rejectsWith(c.request(Op.portmapStatus, { handle: listener }), 'closed', 'portmap.status without a mapping')
      await rejectsWith(c.request(Op.portmapRemove, { handle: listener }), 'closed', 'portmap.remove without a mapping')
      await rejectsWith(c.request(Op.portmapAdd, {}), 'invalid', 'portmap.add without a handle')
      // Another connection's listener is not ours to map.
      const other = await ctx.client()
      await rejectsWith(
        other.request(Op.portmapAdd, { handle: listener }),
        'closed',
        "portmap.add of another connection's listener",
      )
    },
  },
]
