import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { arenaSocket } from './arena-socket.ts'

describe('arenaSocket', () => {
  it('delivers a stream intact and in order while every earlier chunk is kept alive (no arena reuse)', async () => {
    const data = Buffer.alloc(6 * 1024 * 1024)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 255
    const server = net.createServer((s) => s.end(data))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as net.AddressInfo).port
    const chunks: Buffer[] = []
    await new Promise<void>((resolve, reject) => {
      // A small arena forces many arena switches within the stream.
      const s = arenaSocket({ host: '127.0.0.1', port }, 200 * 1024)
      s.on('data', (b: Buffer) => chunks.push(b))
      s.on('end', () => resolve())
      s.on('error', reject)
      setTimeout(() => reject(new Error('timeout')), 10_000).unref()
    })
    server.close()
    expect(chunks.length).toBeGreaterThan(1)
    expect(Buffer.concat(chunks).equals(data)).toBe(true)
  })

  it('pause stops delivery and resume continues it', async () => {
    const data = Buffer.alloc(2 * 1024 * 1024, 5)
    const server = net.createServer((s) => s.end(data))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as net.AddressInfo).port
    let got = 0
    let duringPause = 0
    await new Promise<void>((resolve, reject) => {
      const s = arenaSocket({ host: '127.0.0.1', port }, 1024 * 1024)
      let paused = false
      s.on('data', (b: Buffer) => {
        if (paused) duringPause += b.length
        got += b.length
        if (!paused && got < data.length && duringPause === 0 && got > 0 && got < 1024 * 1024) {
          paused = true
          s.pause()
          setTimeout(() => {
            paused = false
            s.resume()
          }, 50)
        }
      })
      s.on('end', () => resolve())
      s.on('error', reject)
      setTimeout(() => reject(new Error('timeout')), 10_000).unref()
    })
    server.close()
    expect(duringPause).toBe(0)
    expect(got).toBe(data.length)
  })
})
