import { describe, expect, it } from 'vitest'
import type { TcpSocket } from '../platform/ports.ts'
import { Outbox } from './outbox.ts'
import { PipelineMeter } from './pipeline-meter.ts'

function fakeSocket(accept: () => boolean) {
  const writes: Uint8Array[] = []
  const socket: TcpSocket = {
    remoteAddress: '10.0.0.1',
    remotePort: 1,
    setHandlers: () => {},
    write: (d) => (writes.push(d), accept()),
    end: () => {},
    close: () => {},
    pause: () => {},
    resume: () => {},
  }
  return { socket, writes }
}

describe('Outbox', () => {
  it('coalesces the messages of one turn into one write, and writes at once past the size limit', async () => {
    const { socket, writes } = fakeSocket(() => true)
    const o = new Outbox(socket, 100, () => 5)
    o.send(new Uint8Array([1]))
    o.send(new Uint8Array([2, 3]))
    o.send(new Uint8Array([4]))
    expect(writes.length).toBe(0)
    await Promise.resolve()
    expect(writes.map((w) => [...w])).toEqual([[1, 2, 3, 4]])
    const big = new Uint8Array(150)
    o.send(new Uint8Array([9]))
    o.send(big)
    expect(writes.length).toBe(2) // flushed synchronously: 151 bytes ≥ 100
    expect(writes[1]!.length).toBe(151)
    o.send(big)
    await Promise.resolve()
    expect(writes[2]).toBe(big) // a lone buffer is written as is, no copy
    expect(o.bytesOut).toBe(4 + 151 + 150)
  })

  it('holds data while blocked and writes it on drain; nothing after close', async () => {
    let room = false
    const { socket, writes } = fakeSocket(() => room)
    const o = new Outbox(socket, 1000, () => 0)
    o.send(new Uint8Array(10))
    await Promise.resolve()
    expect(o.blocked).toBe(true)
    o.send(new Uint8Array(20))
    await Promise.resolve()
    expect(writes.length).toBe(1)
    expect(o.pending).toBe(20)
    room = true
    o.drained()
    expect(o.blocked).toBe(false)
    expect(writes.length).toBe(2)
    o.close()
    o.send(new Uint8Array(1))
    await Promise.resolve()
    expect(writes.length).toBe(2)
  })
})

describe('PipelineMeter', () => {
  it('depth = rate × (min RTT + queue time) / block, within floor and cap', () => {
    let t = 0
    const m = new PipelineMeter(() => t, 10)
    const opts = { blockSize: 16384, queueTimeSec: 2, min: 4, cap: 250 }
    expect(m.depth(opts)).toBe(4) // nothing measured yet
    // 1 MiB/s for 3 s with a 100 ms round trip: 64 blocks/s × 2.1 s ≈ 135
    for (let i = 0; i < 3 * 64; i++) {
      t += 1000 / 64
      m.onBlock(16384, 100, t)
    }
    expect(m.minRttMs).toBe(100)
    expect(m.depth(opts)).toBeGreaterThanOrEqual(130)
    expect(m.depth(opts)).toBeLessThanOrEqual(140)
    expect(m.depth({ ...opts, cap: 50 })).toBe(50)
    expect(m.depth({ ...opts, min: 500, cap: 50 })).toBe(50) // the cap wins over the floor
  })

  it('holds every write while a socket is framed, then sends platform blocks in order with the bytes around them', async () => {
    const { socket, writes } = fakeSocket(() => true)
    const o = new Outbox(socket, 1000, () => 5)
    const log: string[] = []
    o.hold()
    o.send(new Uint8Array([1]))
    o.sendBlock({ wireBytes: 13 + 4, send: () => (log.push(`block after ${writes.length} writes`), true) })
    o.send(new Uint8Array([2, 3]))
    await Promise.resolve()
    expect(writes.length).toBe(0)
    expect(log).toEqual([])
    o.release()
    expect(writes.map((w) => [...w])).toEqual([[1], [2, 3]])
    expect(log).toEqual(['block after 1 writes'])
    expect(o.bytesOut).toBe(1 + 17 + 2)
    // a platform block that reports backpressure blocks the outbox until drain
    o.sendBlock({ wireBytes: 17, send: () => false })
    await Promise.resolve()
    expect(o.blocked).toBe(true)
  })
  it('hands platform blocks over every maxWriteBytes, so their backpressure stops a burst mid-turn', () => {
    const { socket } = fakeSocket(() => true)
    const o = new Outbox(socket, 64 * 1024, () => 5)
    let room = 5 // the platform takes five blocks, then reports backpressure
    let sent = 0
    const block = () => ({ wireBytes: 13 + 16 * 1024, send: () => (sent++, --room > 0) })
    for (let k = 0; k < 3; k++) o.sendBlock(block())
    expect(sent).toBe(0) // under maxWriteBytes: waits for the end of the turn
    o.sendBlock(block())
    expect(sent).toBe(4) // 4 x 16 KiB reached maxWriteBytes: handed over at once
    expect(o.blocked).toBe(false)
    for (let k = 0; k < 4; k++) o.sendBlock(block())
    expect(sent).toBe(8)
    expect(o.blocked).toBe(true)
    o.sendBlock(block()) // queued until drain
    expect(sent).toBe(8)
    room = 100
    o.drained()
    expect(sent).toBe(9)
  })
})
