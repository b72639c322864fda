import dgram from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import type { PortMapStatus } from '@tidepool/daemon-bridge'
import { PortMapper } from './port-mapper.ts'

// The mapper's own logic (PCP→NAT-PMP fallback, renewal, delete on close, failure reasons) against a
// scripted NAT-PMP-only gateway on 127.0.0.1: miniupnpd speaks PCP, so the interop test never sees the
// fallback. Replies are laid out as RFC 6886 §3.2/§3.3 and RFC 6887 §9 give them.

interface Gateway {
  port: number
  requests: Buffer[]
  close(): Promise<void>
}

async function natpmpOnlyGateway(opts: { refuse?: boolean; silent?: boolean } = {}): Promise<Gateway> {
  const sock = dgram.createSocket('udp4')
  const requests: Buffer[] = []
  const epoch = 1000
  sock.on('message', (msg, r) => {
    requests.push(msg)
    if (opts.silent) return
    let reply: Buffer
    if (msg[0] !== 0) {
      // A PCP request to a NAT-PMP-only server: version 0, UNSUPP_VERSION, 8 bytes.
      reply = Buffer.from([0, 128 + (msg[1] & 0x7f), 0, 1, 0, 0, 0, 0])
      reply.writeUInt32BE(epoch, 4)
    } else if (msg[1] === 0) {
      reply = Buffer.from([0, 128, 0, 0, 0, 0, 0, 0, 203, 0, 113, 5])
      reply.writeUInt32BE(epoch, 4)
    } else {
      reply = Buffer.alloc(16)
      reply[1] = 128 + msg[1]
      reply.writeUInt16BE(opts.refuse ? 2 : 0, 2)
      reply.writeUInt32BE(epoch, 4)
      reply.writeUInt16BE(msg.readUInt16BE(4), 8)
      const lifetime = msg.readUInt32BE(8)
      reply.writeUInt16BE(lifetime === 0 ? 0 : msg.readUInt16BE(6) || msg.readUInt16BE(4), 10)
      reply.writeUInt32BE(lifetime, 12)
    }
    sock.send(reply, r.port, r.address)
  })
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res))
  return { port: sock.address().port, requests, close: () => new Promise<void>((res) => sock.close(() => res())) }
}

const mappers: PortMapper[] = []
const gateways: Gateway[] = []
afterEach(async () => {
  for (const m of mappers.splice(0)) await m.close()
  for (const g of gateways.splice(0)) await g.close()
})

function mapper(port: number, extra: Record<string, unknown> = {}): PortMapper {
  const m = new PortMapper({
    gateway: '127.0.0.1',
    localAddress: '127.0.0.1',
    methods: ['pcp'],
    pmpPort: port,
    pmpFirstRetryMs: 20,
    retryMs: 60_000,
    ...extra,
  })
  mappers.push(m)
  return m
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('PortMapper against a scripted NAT-PMP-only gateway', () => {
  it('falls back from PCP to NAT-PMP, renews at half the lease, deletes on close', async () => {
    const gw = await natpmpOnlyGateway()
    gateways.push(gw)
    const seen: PortMapStatus[] = []
    const m = mapper(gw.port, { lifetimeSec: 2, minRenewSec: 0.2 })
    const mapping = m.map('tcp', 6881, (s) => seen.push(s))
    expect(mapping.status.state).toBe('pending')
    await until(() => seen.some((s) => s.state === 'mapped'))
    expect(seen.find((s) => s.state === 'mapped')).toEqual({
      state: 'mapped',
      protocol: 'tcp',
      internalPort: 6881,
      method: 'natpmp',
      externalAddress: '203.0.113.5',
      externalPort: 6881,
      lifetimeSec: 2,
      gateway: '127.0.0.1',
    })
    expect(gw.requests[0][0]).toBe(2) // PCP first
    const maps = () => gw.requests.filter((r) => r[0] === 0 && r[1] === 2 && r.readUInt32BE(8) > 0).length
    // Renewed after about half the 2 s lease, with NAT-PMP straight away (no PCP again).
    await until(() => maps() >= 2, 4000)
    expect(gw.requests.filter((r) => r[0] === 2)).toHaveLength(1)
    await m.close()
    const del = gw.requests.at(-1)!
    expect([del[0], del[1], del.readUInt16BE(4), del.readUInt16BE(6), del.readUInt32BE(8)]).toEqual([0, 2, 6881, 0, 0])
    expect(seen.at(-1)).toEqual({ state: 'removed', protocol: 'tcp', internalPort: 6881 })
  })

  it('a refusal, silence and a closed port each fail with a reason, and nothing is left to delete', async () => {
    const refusing = await natpmpOnlyGateway({ refuse: true })
    const silent = await natpmpOnlyGateway({ silent: true })
    gateways.push(refusing, silent)
    const closedPort = await natpmpOnlyGateway() // bound then closed: nothing listens there
    await closedPort.close()
    const result = async (port: number): Promise<PortMapStatus> => {
      let last: PortMapStatus | undefined
      mapper(port).map('udp', 7000, (s) => (last = s))
      await until(() => last?.state === 'failed')
      return last!
    }
    expect((await result(refusing.port)).error).toBe(
      'PCP/NAT-PMP: NAT-PMP: not authorized or refused (NAT-PMP disabled on the gateway?)',
    )
    const t0 = Date.now()
    expect((await result(silent.port)).error).toBe(`PCP/NAT-PMP: no answer from 127.0.0.1:${silent.port}`)
    expect(Date.now() - t0).toBeLessThan(3000) // 4 tries from 20 ms, doubling
    expect(silent.requests.length).toBe(4)
    expect((await result(closedPort.port)).error).toBe(`PCP/NAT-PMP: nothing listens on 127.0.0.1:${closedPort.port}`)
    const before = refusing.requests.length
    for (const m of mappers.splice(0)) await m.close()
    expect(refusing.requests.length).toBe(before) // no lease, no delete
  })
})
