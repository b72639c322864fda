import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectBridge, type WebSocketCtor } from '@tidepool/daemon-bridge'
import type { TcpSocket } from '@tidepool/engine'
import { echoServer, testDaemon, TOKEN, until, type TestDaemon } from './helpers.ts'

let d: TestDaemon
beforeAll(async () => {
  d = await testDaemon()
})
afterAll(async () => {
  await d.stop()
})

/** What the client handed to send(), as a browser WebSocket sees it: copied at the call. */
const handedOver: ArrayBufferLike[] = []

/** `ws` made to behave like a browser WebSocket on send: the bytes are copied before send returns. */
class CopyingWebSocket extends WebSocket {
  override send(data: unknown, ...rest: unknown[]): void {
    const bytes = data as Uint8Array
    handedOver.push(bytes.buffer)
    super.send(Buffer.from(bytes), ...(rest as []))
  }
}

function collect(s: TcpSocket): () => Buffer {
  const chunks: Buffer[] = []
  s.setHandlers({ onData: (b) => chunks.push(Buffer.from(b)) })
  return () => Buffer.concat(chunks)
}

describe("send mode 'scratch' (for a WebSocket that copies on send, as browsers do)", () => {
  it('builds large frames in one reused buffer, and every byte still arrives intact', async () => {
    const c = await connectBridge({
      url: d.daemon.url,
      token: TOKEN,
      WebSocketImpl: CopyingWebSocket as unknown as WebSocketCtor,
      sendMode: 'scratch',
    })
    handedOver.length = 0
    // file writes of 1 MiB (a piece) and 200 KiB, different bytes each time
    const f = await c.files.open('scratch', 'pieces.bin', { write: true, create: true })
    const pieces = [0, 1, 2, 3].map((k) =>
      new Uint8Array(k === 3 ? 200 * 1024 : 1024 * 1024).map((_, i) => (i * (k + 3) + k) & 255),
    )
    let at = 0
    for (const p of pieces) {
      await f.write(at, p)
      at += p.length
    }
    await f.close()
    const onDisk = await readFile(join(d.dir, 'pieces.bin'))
    expect(Buffer.compare(onDisk, Buffer.concat(pieces))).toBe(0)

    // TCP writes large enough to be framed in the scratch buffer, several in a row
    const echo = await echoServer()
    const s = await c.net.connect({ host: '127.0.0.1', port: echo.port })
    const got = collect(s)
    const sent = Buffer.alloc(3 * 1024 * 1024).map((_, i) => (i * 13 + (i >> 11)) & 255)
    for (let p = 0; p < sent.length; p += 96 * 1024) s.write(sent.subarray(p, p + 96 * 1024))
    await until(() => got().length >= sent.length, 10_000)
    expect(got().equals(sent)).toBe(true)
    s.close()
    await echo.close()

    // the large frames (file writes and 96 KiB TCP writes: 4 + 32) all went out of one buffer
    const sizes = new Map<ArrayBufferLike, number>()
    for (const b of handedOver) sizes.set(b, (sizes.get(b) ?? 0) + 1)
    const [shared, uses] = [...sizes].sort((a, b) => b[1] - a[1])[0]!
    expect(uses).toBeGreaterThanOrEqual(36)
    expect(shared.byteLength).toBeGreaterThanOrEqual(1024 * 1024)
    c.close()
  })

  it("in send mode 'fresh' (the default) every frame has its own buffer (a WebSocket that keeps references must not share one)", async () => {
    const c = await connectBridge({
      url: d.daemon.url,
      token: TOKEN,
      WebSocketImpl: CopyingWebSocket as unknown as WebSocketCtor,
    })
    handedOver.length = 0
    const f = await c.files.open('scratch', 'plain.bin', { write: true, create: true })
    for (let k = 0; k < 3; k++) await f.write(k * 65536, new Uint8Array(65536).fill(k + 1))
    await f.close()
    const big = handedOver.filter((b) => b.byteLength >= 65536)
    expect(big.length).toBe(3)
    expect(new Set(big).size).toBe(3)
    c.close()
  })
})
