import dgram from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BtEngine } from '@tidepool/engine'
import { bindDatagramTransport } from '../../packages/engine/src/dht/datagram-transport.ts'
import { DhtNode } from '../../packages/engine/src/dht/dht-node.ts'
import { MemoryFilePort } from '../../packages/engine/src/platform/memory-files.ts'
import { MemoryStateStore } from '../../packages/engine/src/platform/memory-state.ts'
import { realClock } from '../../packages/engine/src/util/clock.ts'
import { testDaemon, until, type TestDaemon } from './helpers.ts'

// The engine's DHT over the real daemon's UDP: one port number for an IPv4 and an IPv6-only socket
// (udp.bind `ipv6Only`), each family with its own routing table (BEP 32), joined over ::1.

let d: TestDaemon
beforeAll(async () => {
  d = await testDaemon()
})
afterAll(async () => {
  await d.stop()
})

async function hasIpv6Loopback(): Promise<boolean> {
  const s = dgram.createSocket('udp6')
  const ok = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false))
    s.bind(0, '::1', () => resolve(true))
  })
  s.close()
  return ok
}

describe('the engine DHT over the daemon', () => {
  it('binds IPv4 and IPv6 on one port and joins an IPv6-only DHT over ::1', async () => {
    if (!(await hasIpv6Loopback())) return // nothing to test on a machine without IPv6 loopback
    const routerClient = await d.connect({ link: true })
    const transport = await bindDatagramTransport(routerClient.net, { host: '::1' })
    const router = new DhtNode({ transport, clock: realClock, families: [6] })
    const c = await d.connect({ link: true })
    const engine = new BtEngine({
      platform: { net: c.net, files: new MemoryFilePort(), state: new MemoryStateStore(), now: () => Date.now() },
      settings: { dhtEnabled: true, dhtBootstrap: [`[::1]:${transport.socket.port}`] },
    })
    try {
      await engine.start()
      const port = engine.status().dht!.port!
      expect(port).toBe(engine.listenPort)
      await until(() => engine.status().dht!.state === 'ready', 10_000)
      expect(engine.status().dht!.nodes).toBe(1)
      // it answered the router's ping from its IPv6 socket on the same port
      await until(() => (router.table(6)?.size ?? 0) === 1, 10_000)
      expect(
        router
          .table(6)!
          .closest(router.id, 8)
          .map((n) => `[${n.host}]:${n.port}`),
      ).toEqual([`[::1]:${port}`])
    } finally {
      await engine.stop()
      router.close()
      transport.socket.close()
    }
  })
})
