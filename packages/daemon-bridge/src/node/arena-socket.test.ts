import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { arenaSocket, wsFrameSize } from './arena-socket.ts'

/** An unmasked binary WebSocket frame with `len` payload bytes (2, 4 or 10 byte header). */
function wsFrame(len: number, fill: number): Buffer {
  const head =
    len < 126
      ? Buffer.from([0x82, len])
      : len < 65536
        ? Buffer.from([0x82, 126, len >> 8, len & 255])
        : Buffer.alloc(10)
  if (len >= 65536) {
    head[0] = 0x82
    head[1] = 127
    head.writeUInt32BE(len, 6)
  }
  const body = Buffer.alloc(len)
  for (let i = 0; i < len; i++) body[i] = (i * 13 + fill) & 255
  return Buffer.concat([head, body])
}

const UPGRADE = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')

/** Serves `parts` with a pause between each (so they arrive as separate reads), then ends. */
async function serve(parts: Buffer[], chunk = 0): Promise<{ port: number; close(): void }> {
  const server = net.createServer(async (s) => {
    s.on('error', () => {})
    for (const p of parts) {
      if (chunk > 0) for (let i = 0; i < p.length; i += chunk) s.write(p.subarray(i, i + chunk))
      else s.write(p)
      await new Promise((r) => setTimeout(r, 30))
    }
    s.end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() }
}

async function readAll(port: number, arenaBytes: number): Promise<Buffer[]> {
  const chunks: Buffer[] = []
  await new Promise<void>((resolve, reject) => {
    const s = arenaSocket({ host: '127.0.0.1', port }, arenaBytes)
    s.on('data', (b: Buffer) => chunks.push(b))
    s.on('end', () => resolve())
    s.on('error', reject)
    setTimeout(() => reject(new Error('timeout')), 10_000).unref()
  })
  return chunks
}

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

  it('after the upgrade response, pushes only whole WebSocket frames, however the bytes arrived', async () => {
    const sizes = [5, 300, 70_000, 261_000, 3, 1_500_000, 126, 65_535, 65_536, 200_000, 200_000, 200_000, 0, 90_000]
    const frames = sizes.map((n, i) => wsFrame(n, i))
    // Frames as 7-byte dribbles, as one burst, and as odd-sized writes: reads split them everywhere.
    const server = await serve([UPGRADE, Buffer.concat(frames.slice(0, 3)), ...frames.slice(3)], 4099)
    const chunks = await readAll(server.port, 256 * 1024)
    server.close()
    expect(chunks[0]!.equals(UPGRADE)).toBe(true)
    for (const c of chunks.slice(1)) {
      let at = 0
      while (at < c.length) {
        const size = wsFrameSize(c, at, c.length)
        expect(size, 'a whole frame header').toBeGreaterThan(0)
        at += size
      }
      expect(at, 'a chunk ends where a frame ends').toBe(c.length)
    }
    expect(Buffer.concat(chunks.slice(1)).equals(Buffer.concat(frames))).toBe(true)
  })

  it('frames in the same read as the upgrade response: passes bytes through unframed, intact', async () => {
    const frames = [wsFrame(100_000, 1), wsFrame(10, 2)]
    const server = await serve([Buffer.concat([UPGRADE, ...frames])])
    const chunks = await readAll(server.port, 64 * 1024)
    server.close()
    expect(Buffer.concat(chunks).equals(Buffer.concat([UPGRADE, ...frames]))).toBe(true)
  })

  it('a frame longer than it will assemble (a hostile length) switches to pass-through, bytes intact', async () => {
    const head = Buffer.alloc(10)
    head[0] = 0x82
    head[1] = 127
    head.writeUInt32BE(0xfffffff0, 6) // ~4 GiB announced
    const small = wsFrame(1000, 3)
    const body = Buffer.alloc(300_000, 9)
    const server = await serve([UPGRADE, small, Buffer.concat([head, body])])
    const chunks = await readAll(server.port, 256 * 1024)
    server.close()
    expect(Buffer.concat(chunks).equals(Buffer.concat([UPGRADE, small, head, body]))).toBe(true)
    // the body arrived as it came (not held back waiting for 4 GiB of frame)
    expect(chunks.length).toBeGreaterThan(2)
  })

  it('wsFrameSize reads 7-bit, 16-bit and 64-bit lengths and masked headers', () => {
    expect(wsFrameSize(wsFrame(125, 0), 0, 127)).toBe(127)
    expect(wsFrameSize(wsFrame(300, 0), 0, 4)).toBe(304)
    expect(wsFrameSize(wsFrame(70_000, 0), 0, 10)).toBe(70_010)
    expect(wsFrameSize(wsFrame(70_000, 0), 0, 9)).toBe(0)
    expect(wsFrameSize(Buffer.from([0x82, 0x85, 1, 2, 3, 4]), 0, 6)).toBe(11)
    expect(wsFrameSize(Buffer.from([0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0]), 0, 10)).toBe(-1)
  })
})
