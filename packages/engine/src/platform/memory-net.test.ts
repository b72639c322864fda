import { describe, expect, it } from 'vitest'
import { MemoryNetwork } from './memory-net.ts'
import { IoError } from './ports.ts'
import type { TcpSocket } from './ports.ts'

/** Let queued microtasks (deliveries) run. Bounded. */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve()
}

async function pair(net: MemoryNetwork): Promise<{ client: TcpSocket; server: TcpSocket }> {
  const a = net.host('10.0.0.1')
  const b = net.host('10.0.0.2')
  let server: TcpSocket | undefined
  await b.listen({ port: 6881 }, (s) => (server = s))
  const client = await a.connect({ host: '10.0.0.2', port: 6881 })
  expect(server).toBeDefined()
  return { client, server: server! }
}

describe('MemoryNetwork', () => {
  it('connects to a listener and carries bytes both ways, with addresses', async () => {
    const net = new MemoryNetwork()
    const { client, server } = await pair(net)
    expect(client.remoteAddress).toBe('10.0.0.2')
    expect(client.remotePort).toBe(6881)
    expect(server.remoteAddress).toBe('10.0.0.1')
    const got: number[] = []
    const back: number[] = []
    server.setHandlers({ onData: (d) => got.push(...d) })
    client.setHandlers({ onData: (d) => back.push(...d) })
    expect(client.write(new Uint8Array([1, 2, 3]))).toBe(true)
    server.write(new Uint8Array([9]))
    await settle()
    expect(got).toEqual([1, 2, 3])
    expect(back).toEqual([9])
  })

  it('holds data written before handlers are set', async () => {
    const net = new MemoryNetwork()
    const { client, server } = await pair(net)
    client.write(new Uint8Array([7, 8]))
    await settle()
    const got: number[] = []
    server.setHandlers({ onData: (d) => got.push(...d) })
    await settle()
    expect(got).toEqual([7, 8])
  })

  it('refuses when nobody listens and applies injected failures', async () => {
    const timers: Array<() => void> = []
    const net = new MemoryNetwork({
      connectBehaviour: (o) => (o.port === 1 ? 'timeout' : o.port === 2 ? 'unreachable' : 'accept'),
      setTimer: (fn) => timers.push(fn),
    })
    const a = net.host('10.0.0.1')
    await expect(a.connect({ host: '10.0.0.9', port: 5 })).rejects.toMatchObject({ code: 'refused' })
    await expect(a.connect({ host: '10.0.0.9', port: 2 })).rejects.toMatchObject({ code: 'unreachable' })
    const pending = a.connect({ host: '10.0.0.9', port: 1 })
    let settled = false
    pending.catch(() => (settled = true))
    await settle()
    expect(settled).toBe(false)
    expect(timers.length).toBe(1)
    timers[0]!()
    await expect(pending).rejects.toBeInstanceOf(IoError)
    await expect(pending).rejects.toMatchObject({ code: 'timeout' })
  })

  it('reports backpressure and drains when the reader consumes, pause withholds delivery', async () => {
    const net = new MemoryNetwork({ highWaterMark: 10 })
    const { client, server } = await pair(net)
    let drains = 0
    let received = 0
    client.setHandlers({ onDrain: () => drains++ })
    server.setHandlers({ onData: (d) => (received += d.length) })
    server.pause()
    expect(client.write(new Uint8Array(6))).toBe(true)
    expect(client.write(new Uint8Array(6))).toBe(false)
    await settle()
    expect(received).toBe(0)
    expect(drains).toBe(0)
    server.resume()
    await settle()
    expect(received).toBe(12)
    expect(drains).toBe(1)
  })

  it('splits deliveries with maxChunk', async () => {
    const net = new MemoryNetwork({ maxChunk: 3 })
    const { client, server } = await pair(net)
    const sizes: number[] = []
    server.setHandlers({ onData: (d) => sizes.push(d.length) })
    client.write(new Uint8Array(8))
    await settle()
    expect(sizes).toEqual([3, 3, 2])
  })

  it('end() delivers queued data, then onEnd; both ends closed after both FINs', async () => {
    const net = new MemoryNetwork()
    const { client, server } = await pair(net)
    const events: string[] = []
    server.setHandlers({
      onData: (d) => events.push(`s-data${d.length}`),
      onEnd: () => events.push('s-end'),
      onClose: (e) => events.push(`s-close${e ? e.code : ''}`),
    })
    client.setHandlers({ onEnd: () => events.push('c-end'), onClose: () => events.push('c-close') })
    client.write(new Uint8Array(4))
    client.end()
    expect(client.write(new Uint8Array(1))).toBe(false)
    await settle()
    expect(events).toEqual(['s-data4', 's-end'])
    server.end()
    await settle()
    expect(events).toContain('c-end')
    expect(events).toContain('c-close')
    expect(events).toContain('s-close')
    expect(events.filter((e) => e.endsWith('close')).length).toBe(2)
  })

  it('close() closes both ends exactly once each', async () => {
    const net = new MemoryNetwork()
    const { client, server } = await pair(net)
    let cc = 0
    let sc = 0
    client.setHandlers({ onClose: () => cc++ })
    server.setHandlers({ onData: () => {}, onClose: () => sc++ })
    client.close()
    client.close()
    await settle()
    expect(cc).toBe(1)
    expect(sc).toBe(1)
    expect(server.write(new Uint8Array(1))).toBe(false)
  })

  it('rejects a second listener on the same port and delivers UDP', async () => {
    const net = new MemoryNetwork()
    const a = net.host('10.0.0.1')
    const b = net.host('10.0.0.2')
    await a.listen({ port: 7000 }, () => {})
    await expect(a.listen({ port: 7000 }, () => {})).rejects.toMatchObject({ code: 'in-use' })
    const got: Array<[number, string, number]> = []
    const ub = await b.bindUdp({ port: 9000 }, (d, from) => got.push([d[0]!, from.address, from.port]))
    const ua = await a.bindUdp({}, () => {})
    ua.send(new Uint8Array([42]), '10.0.0.2', 9000)
    await settle()
    expect(got).toEqual([[42, '10.0.0.1', ua.port]])
    ub.close()
  })
})
