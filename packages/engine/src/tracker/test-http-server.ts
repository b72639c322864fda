import type { NetPort, TcpSocket } from '../platform/ports.ts'
import { utf8Decode, utf8Encode } from '../util/bytes.ts'

/** What a fake server does with one request: write these pieces in order, then close (unless hang). */
export interface FakeReply {
  pieces: Array<Uint8Array | string>
  hang?: boolean
}

export interface FakeRequest {
  target: string
  headers: Map<string, string>
}

/** A tiny HTTP server on a MemoryNetwork host, for tracker tests. Records every request. */
export async function fakeHttpServer(
  net: NetPort,
  port: number,
  handle: (req: FakeRequest) => FakeReply,
): Promise<{ requests: FakeRequest[]; close(): void }> {
  const requests: FakeRequest[] = []
  const listener = await net.listen({ port }, (socket: TcpSocket) => {
    let buf = ''
    socket.setHandlers({
      onData: (d) => {
        buf += utf8Decode(d)
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        const lines = buf.slice(0, end).split('\r\n')
        const headers = new Map<string, string>()
        for (const l of lines.slice(1))
          headers.set(l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim())
        const req = { target: lines[0].split(' ')[1], headers }
        requests.push(req)
        const reply = handle(req)
        for (const p of reply.pieces) socket.write(typeof p === 'string' ? utf8Encode(p) : p)
        if (!reply.hang) socket.end()
      },
    })
  })
  return { requests, close: () => listener.close() }
}
