import { afterEach, describe, expect, it } from 'vitest'
import type { PortMappingStatus } from '../api/types.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork, type MemoryNetPort } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { NetPort, PortMapping, TcpListener, UdpSocket } from '../platform/ports.ts'
import { BtEngine } from './bt-engine.ts'
import { describeMapping } from './port-forwarding.ts'

// The engine's side of port mapping over a scripted platform: the daemon's real mapping is tested in
// native-host (codecs, conformance) and against miniupnpd (test/interop/portmap-miniupnpd.test.ts).

interface Call {
  kind: 'map' | 'remove' | 'close'
  proto: 'tcp' | 'udp'
  port: number
}

/** A NetPort whose mapPort records calls; `answer` says what the "gateway" reports for each map. */
function mappingNet(
  inner: MemoryNetPort,
  answer: (port: number, proto: 'tcp' | 'udp') => PortMappingStatus,
  canMap = true,
): NetPort & { calls: Call[] } {
  const calls: Call[] = []
  const net: NetPort & { calls: Call[] } = {
    calls,
    connectLimits: inner.connectLimits,
    canMapPorts: canMap,
    connect: (o) => inner.connect(o),
    async bindUdp(o, f) {
      const sock = await inner.bindUdp(o, f)
      const wrapped: UdpSocket = {
        port: sock.port,
        send: (data, host, port) => sock.send(data, host, port),
        close: () => {
          calls.push({ kind: 'close', proto: 'udp', port: sock.port })
          sock.close()
        },
      }
      return wrapped
    },
    async listen(o, f) {
      const l = await inner.listen(o, f)
      const wrapped: TcpListener = {
        port: l.port,
        close: () => {
          calls.push({ kind: 'close', proto: 'tcp', port: l.port })
          l.close()
        },
      }
      return wrapped
    },
    async mapPort(target: TcpListener | UdpSocket, onStatus): Promise<PortMapping> {
      const proto = 'send' in target ? 'udp' : 'tcp'
      calls.push({ kind: 'map', proto, port: target.port })
      let status: PortMappingStatus = { state: 'pending', protocol: proto, internalPort: target.port }
      setTimeout(() => onStatus((status = answer(target.port, proto))), 5)
      return {
        get status() {
          return status
        },
        remove: async () => {
          calls.push({ kind: 'remove', proto, port: target.port })
        },
      }
    },
  }
  return net
}

const mapped = (port: number, proto: 'tcp' | 'udp' = 'tcp'): PortMappingStatus => ({
  state: 'mapped',
  protocol: proto,
  internalPort: port,
  method: 'upnp',
  externalAddress: '203.0.113.5',
  externalPort: port,
  lifetimeSec: 3600,
  gateway: '192.168.1.1',
})

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})

function engine(net: NetPort, settings: Record<string, unknown> = {}): BtEngine {
  const e = new BtEngine({
    platform: { net, files: new MemoryFilePort(), state: new MemoryStateStore(), now: () => Date.now() },
    // the DHT is off unless a test turns it on (it would otherwise map its UDP port too)
    settings: { listenPort: 6881, dhtEnabled: false, ...settings },
    restoreSession: false,
  })
  engines.push(e)
  return e
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('port forwarding in the engine', () => {
  it('maps the listen port by default and says where it is reachable', async () => {
    const net = mappingNet(new MemoryNetwork().host('10.0.0.2'), mapped)
    const e = engine(net)
    await e.start()
    expect(net.calls).toEqual([{ kind: 'map', proto: 'tcp', port: 6881 }])
    await until(() => e.status().portMapping?.state === 'mapped')
    expect(e.status().portMapping?.summary).toBe('Port 6881 mapped as 203.0.113.5:6881 via UPnP')
  })

  it('reports why not, and removes the mapping before it stops listening', async () => {
    const net = mappingNet(new MemoryNetwork().host('10.0.0.2'), (p) => ({
      state: 'failed',
      protocol: 'tcp',
      internalPort: p,
      error: 'PCP/NAT-PMP: no answer from 192.168.1.1:5351; UPnP: no UPnP gateway answered',
    }))
    const e = engine(net)
    await e.start()
    await until(() => e.status().portMapping?.state === 'failed')
    expect(e.status().portMapping?.summary).toBe(
      'Port 6881 not mapped: PCP/NAT-PMP: no answer from 192.168.1.1:5351; UPnP: no UPnP gateway answered',
    )
    await e.stop()
    expect(net.calls.map((c) => c.kind)).toEqual(['map', 'remove', 'close'])
  })

  it('the setting turns it off (mapping removed) and on again; a new listen port is mapped instead of the old', async () => {
    const net = mappingNet(new MemoryNetwork().host('10.0.0.2'), mapped)
    const e = engine(net)
    await e.start()
    await e.setSettings({ portMapping: false })
    expect(e.status().portMapping).toMatchObject({ state: 'off', summary: 'Port mapping is off' })
    expect(net.calls.map((c) => c.kind)).toEqual(['map', 'remove'])
    await e.setSettings({ portMapping: true })
    await until(() => e.status().portMapping?.state === 'mapped')
    await e.setSettings({ listenPort: 7000 })
    await until(() => e.status().portMapping?.summary === 'Port 7000 mapped as 203.0.113.5:7000 via UPnP')
    expect(net.calls).toEqual([
      { kind: 'map', proto: 'tcp', port: 6881 },
      { kind: 'remove', proto: 'tcp', port: 6881 },
      { kind: 'map', proto: 'tcp', port: 6881 },
      { kind: 'remove', proto: 'tcp', port: 6881 },
      { kind: 'close', proto: 'tcp', port: 6881 },
      { kind: 'map', proto: 'tcp', port: 7000 },
    ])
  })

  it('off from the start asks nothing; a platform without port mapping says so', async () => {
    const quiet = mappingNet(new MemoryNetwork().host('10.0.0.2'), mapped)
    const e1 = engine(quiet, { portMapping: false })
    await e1.start()
    expect(quiet.calls).toEqual([])
    expect(e1.status().portMapping?.state).toBe('off')
    const unable = mappingNet(new MemoryNetwork().host('10.0.0.3'), mapped, false)
    const e2 = engine(unable)
    await e2.start()
    expect(unable.calls).toEqual([])
    expect(e2.status().portMapping).toMatchObject({
      state: 'unsupported',
      summary: 'Port mapping is not available (the daemon does not offer it)',
    })
  })

  it("maps the DHT's UDP port while the DHT runs, and removes it before the socket closes", async () => {
    const net = mappingNet(new MemoryNetwork().host('10.0.0.2'), mapped)
    // no node answers at 10.0.0.100: the DHT stays bound without nodes, which is all mapping needs
    const e = engine(net, { dhtEnabled: true, dhtBootstrap: ['10.0.0.100:6881'] })
    await e.start()
    expect(e.status().dht?.port).toBe(6881)
    expect(net.calls).toEqual([
      { kind: 'map', proto: 'tcp', port: 6881 },
      { kind: 'map', proto: 'udp', port: 6881 },
    ])
    await until(
      () =>
        e.status().portMapping?.summary ===
        'Port 6881 mapped as 203.0.113.5:6881 via UPnP; UDP port 6881 mapped as 203.0.113.5:6881 via UPnP',
    )
    const udp = () => net.calls.splice(0).filter((c) => c.proto === 'udp')

    // a new DHT port: the old mapping goes before its socket closes, the new port is mapped
    net.calls.length = 0
    await e.setSettings({ dhtPort: 7001 })
    expect(e.status().dht?.port).toBe(7001)
    expect(udp()).toEqual([
      { kind: 'remove', proto: 'udp', port: 6881 },
      { kind: 'close', proto: 'udp', port: 6881 },
      { kind: 'map', proto: 'udp', port: 7001 },
    ])

    // port mapping off and on again takes the DHT's port along
    await e.setSettings({ portMapping: false })
    expect(udp()).toEqual([{ kind: 'remove', proto: 'udp', port: 7001 }])
    await e.setSettings({ portMapping: true })
    expect(udp()).toEqual([{ kind: 'map', proto: 'udp', port: 7001 }])
    await until(() => e.status().portMapping?.mappings.length === 2)

    // the DHT turned off: its mapping goes, the listen port's stays
    await e.setSettings({ dhtEnabled: false })
    expect(udp()).toEqual([
      { kind: 'remove', proto: 'udp', port: 7001 },
      { kind: 'close', proto: 'udp', port: 7001 },
    ])
    await until(() => e.status().portMapping?.summary === 'Port 6881 mapped as 203.0.113.5:6881 via UPnP')
    await e.stop()
    expect(net.calls).toEqual([
      { kind: 'remove', proto: 'tcp', port: 6881 },
      { kind: 'close', proto: 'tcp', port: 6881 },
    ])
  })

  it('a DHT that runs while mapping is off asks the gateway nothing; stopping the engine unmaps it once', async () => {
    const net = mappingNet(new MemoryNetwork().host('10.0.0.2'), mapped)
    const e1 = engine(net, { portMapping: false, dhtEnabled: true, dhtBootstrap: ['10.0.0.100:6881'] })
    await e1.start()
    expect(e1.status().dht?.port).toBe(6881)
    expect(net.calls).toEqual([])
    await e1.stop()
    expect(net.calls).toEqual([
      { kind: 'close', proto: 'tcp', port: 6881 },
      { kind: 'close', proto: 'udp', port: 6881 },
    ])
    net.calls.length = 0
    const e2 = engine(net, { dhtEnabled: true, dhtBootstrap: ['10.0.0.100:6881'] })
    await e2.start()
    await e2.stop()
    expect(net.calls.filter((c) => c.proto === 'udp')).toEqual([
      { kind: 'map', proto: 'udp', port: 6881 },
      { kind: 'remove', proto: 'udp', port: 6881 },
      { kind: 'close', proto: 'udp', port: 6881 },
    ])
  })

  it('describes every state', () => {
    expect(
      describeMapping({
        state: 'mapped',
        protocol: 'udp',
        internalPort: 6881,
        method: 'pcp',
        externalAddress: '',
        externalPort: 40000,
      }),
    ).toBe('UDP port 6881 mapped as (external address unknown):40000 via PCP')
    expect(describeMapping({ state: 'pending', protocol: 'tcp', internalPort: 1 })).toBe(
      'Port 1: asking the gateway to forward it…',
    )
    expect(describeMapping({ state: 'removed', protocol: 'tcp', internalPort: 1 })).toBe('Port 1: mapping removed')
  })
})
