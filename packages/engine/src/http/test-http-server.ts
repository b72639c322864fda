import type { NetPort, TcpSocket } from '../platform/ports.ts'
import { concatBytes, utf8Decode, utf8Encode } from '../util/bytes.ts'
import { percentDecodeBytes } from '../util/percent-encode.ts'

/** A request as the test server saw it. */
export interface SeenRequest {
  method: string
  target: string
  headers: Map<string, string>
  /** Which connection carried it (1, 2, ...): keep-alive reuse shows as the same number. */
  connection: number
}

/** What the test server answers. `raw` bytes are written as they are (malformed answers). */
export interface TestReply {
  status?: number
  headers?: Record<string, string>
  body?: Uint8Array | string
  chunked?: boolean
  raw?: Array<Uint8Array | string>
  /** Close the connection after answering. */
  close?: boolean
  /** Never answer. */
  hang?: boolean
}

/**
 * A tiny HTTP/1.1 server with keep-alive on a MemoryNetwork host (unit tests of the HTTP agent and
 * web seeds). Requests on one connection are answered in order.
 */
export async function testHttpServer(
  net: NetPort,
  port: number,
  handle: (req: SeenRequest) => TestReply,
): Promise<{ requests: SeenRequest[]; connections(): number; close(): void }> {
  const requests: SeenRequest[] = []
  let connections = 0
  const listener = await net.listen({ port }, (socket: TcpSocket) => {
    const id = ++connections
    let buf: Uint8Array = new Uint8Array()
    let closed = false
    socket.setHandlers({
      onData: (d) => {
        buf = concatBytes([buf, d])
        for (;;) {
          if (closed) return
          const text = utf8Decode(buf)
          const end = text.indexOf('\r\n\r\n')
          if (end < 0) return
          buf = buf.subarray(utf8Encode(text.slice(0, end + 4)).length)
          const lines = text.slice(0, end).split('\r\n')
          const headers = new Map<string, string>()
          for (const l of lines.slice(1))
            headers.set(l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim())
          const [method = '', target = ''] = lines[0]!.split(' ')
          const req = { method, target, headers, connection: id }
          requests.push(req)
          const reply = handle(req)
          if (reply.hang) return
          for (const p of encodeReply(reply)) socket.write(typeof p === 'string' ? utf8Encode(p) : p)
          if (reply.close) {
            closed = true
            socket.end()
          }
        }
      },
      onClose: () => {
        closed = true
      },
    })
  })
  return { requests, connections: () => connections, close: () => listener.close() }
}

function encodeReply(r: TestReply): Array<Uint8Array | string> {
  if (r.raw) return r.raw
  const body = typeof r.body === 'string' ? utf8Encode(r.body) : (r.body ?? new Uint8Array())
  let head = `HTTP/1.1 ${r.status ?? 200} X\r\n`
  for (const [k, v] of Object.entries(r.headers ?? {})) head += `${k}: ${v}\r\n`
  if (r.close) head += 'Connection: close\r\n'
  if (r.chunked) {
    head += 'Transfer-Encoding: chunked\r\n\r\n'
    const half = Math.floor(body.length / 2)
    const parts: Array<Uint8Array | string> = [head]
    for (const c of [body.subarray(0, half), body.subarray(half)])
      if (c.length) parts.push(`${c.length.toString(16)}\r\n`, c, '\r\n')
    parts.push('0\r\nX-Trailer: 1\r\n\r\n')
    return parts
  }
  return [`${head}Content-Length: ${body.length}\r\n\r\n`, body]
}

/** Serves `files` by decoded path with single byte-range support, as a real static server does. */
export function staticFiles(files: ReadonlyMap<string, Uint8Array>): (req: SeenRequest) => TestReply {
  return (req) => {
    let path: string
    try {
      path = decodeURIComponent(req.target.split('?')[0]!)
    } catch {
      return { status: 400 }
    }
    const data = files.get(path)
    if (!data) return { status: 404, body: 'not found' }
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.get('range') ?? '')
    if (!m) return { body: data }
    const start = Number(m[1])
    const end = m[2] ? Math.min(Number(m[2]), data.length - 1) : data.length - 1
    if (start > end) return { status: 416, headers: { 'Content-Range': `bytes */${data.length}` } }
    return {
      status: 206,
      headers: { 'Content-Range': `bytes ${start}-${end}/${data.length}` },
      body: data.subarray(start, end + 1),
    }
  }
}

/**
 * A BEP 17 seed for tests: `?info_hash=&piece=N[&ranges=a-b,...]` answered from the torrent's
 * concatenated `data` (inclusive ranges inside the piece), 404 for another torrent.
 */
export function httpSeedHandler(
  infoHash: Uint8Array,
  data: Uint8Array,
  pieceLength: number,
): (req: SeenRequest) => TestReply {
  return (req) => {
    const q = req.target.slice(req.target.indexOf('?') + 1)
    const params = new Map<string, string>()
    for (const kv of q.split('&')) params.set(kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1))
    const hash = params.get('info_hash') ?? ''
    const asked = percentDecodeBytes(hash)
    if (asked.length !== infoHash.length || asked.some((b, i) => b !== infoHash[i])) return { status: 404 }
    const piece = Number(params.get('piece'))
    const start = piece * pieceLength
    const end = Math.min(start + pieceLength, data.length)
    if (!Number.isInteger(piece) || start >= data.length) return { status: 400 }
    const ranges = params.get('ranges')
    if (!ranges) return { body: data.subarray(start, end) }
    const parts = ranges.split(',').map((r) => r.split('-').map(Number) as [number, number])
    return { body: concatBytes(parts.map(([a, b]) => data.subarray(start + a, start + b + 1))) }
  }
}
