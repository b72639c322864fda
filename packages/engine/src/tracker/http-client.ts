import type { NetPort, TcpSocket } from '../platform/ports.ts'
import { IoError } from '../platform/ports.ts'
import { HttpError } from '../http/http-error.ts'
import {
  decodeChunked as decodeChunkedBody,
  isIpLiteral,
  MAX_HEADER_BYTES,
  parseResponseHead as parseHead,
} from '../http/http-parse.ts'
import { concatBytes, utf8Encode } from '../util/bytes.ts'
import { realClock, type Clock } from '../util/clock.ts'
import { TrackerError } from './tracker-error.ts'

/**
 * A minimal HTTP/1.1 GET over NetPort TCP. Trackers send no CORS headers, so a browser worker
 * cannot use fetch() for them; the daemon's raw sockets (with TLS for https) carry it instead.
 */
export interface HttpResponse {
  status: number
  headers: Map<string, string> // lower-case names; repeated headers joined with ', '
  body: Uint8Array
}

export interface HttpGetOptions {
  timeoutMs?: number // whole request, connect included; default 15 s
  maxBytes?: number // body cap; default 2 MiB
  maxRedirects?: number // default 3
  clock?: Clock
  userAgent?: string
}

/** The shared framing code throws HttpError; trackers report the same codes as TrackerError. */
function asTrackerError(e: unknown): unknown {
  return e instanceof HttpError ? new TrackerError(e.code, e.message) : e
}

/** Decodes a chunked body; null while incomplete. */
export function decodeChunked(b: Uint8Array, maxBytes: number): Uint8Array | null {
  try {
    return decodeChunkedBody(b, maxBytes)
  } catch (e) {
    throw asTrackerError(e)
  }
}

function requestOnce(
  net: NetPort,
  url: URL,
  opts: Required<Omit<HttpGetOptions, 'maxRedirects'>>,
): Promise<HttpResponse> {
  const tls = url.protocol === 'https:'
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = url.port ? Number(url.port) : tls ? 443 : 80
  const request =
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: ${opts.userAgent}\r\n` +
    'Accept-Encoding: identity\r\nConnection: close\r\n\r\n'
  return new Promise<HttpResponse>((resolve, reject) => {
    let socket: TcpSocket | null = null
    let settled = false
    const chunks: Uint8Array[] = []
    let received = 0
    const finish = (err: Error | null, res?: HttpResponse) => {
      if (settled) return
      settled = true
      opts.clock.clearTimeout(timer)
      socket?.close()
      if (err) reject(err)
      else resolve(res!)
    }
    const timer = opts.clock.setTimeout(
      () => finish(new TrackerError('timeout', `no answer from ${url.host} in ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    )
    // Returns a response once one is complete; `eof` says the server closed.
    let needBytes = 0 // known total (header + Content-Length): skip re-parsing until it has arrived
    const tryComplete = (eof: boolean): HttpResponse | null => {
      if (!eof && received < needBytes) return null
      const all = concatBytes(chunks)
      chunks.length = 0
      chunks.push(all)
      const head = parseHead(all)
      if (!head) {
        if (eof) throw new TrackerError('bad-response', 'connection closed before the HTTP header ended')
        return null
      }
      const rest = all.subarray(head.bodyStart)
      const te = head.headers.get('transfer-encoding')?.toLowerCase()
      const cl = head.headers.get('content-length')
      let body: Uint8Array | null
      if (
        head.status === 204 ||
        head.status === 304 ||
        (head.status >= 300 && head.status < 400 && head.headers.has('location'))
      )
        body = new Uint8Array()
      else if (te?.includes('chunked')) body = decodeChunked(rest, opts.maxBytes)
      else if (cl !== undefined) {
        if (!/^\d{1,12}$/.test(cl)) throw new TrackerError('bad-response', 'bad Content-Length')
        const n = Number(cl)
        if (n > opts.maxBytes) throw new TrackerError('too-large', `response body of ${n} bytes over ${opts.maxBytes}`)
        needBytes = head.bodyStart + n
        body = rest.length >= n ? rest.slice(0, n) : null
      } else {
        if (rest.length > opts.maxBytes)
          throw new TrackerError('too-large', `response body over ${opts.maxBytes} bytes`)
        body = eof ? rest.slice() : null
      }
      if (body === null && eof) throw new TrackerError('bad-response', 'connection closed before the body ended')
      return body === null ? null : { status: head.status, headers: head.headers, body }
    }
    const step = (eof: boolean) => {
      try {
        const res = tryComplete(eof)
        if (res) finish(null, res)
      } catch (e) {
        finish(asTrackerError(e) as Error)
      }
    }
    net.connect(tls && !isIpLiteral(host) ? { host, port, tls, servername: host } : { host, port, tls }).then(
      (s) => {
        if (settled) return s.close()
        socket = s
        s.setHandlers({
          onData: (d) => {
            received += d.length
            if (received > opts.maxBytes + MAX_HEADER_BYTES)
              return finish(new TrackerError('too-large', `response over ${opts.maxBytes} bytes`))
            chunks.push(d.slice())
            step(false)
          },
          onEnd: () => step(true),
          onClose: (err) => {
            if (settled) return
            if (err) finish(new TrackerError('network', `${url.host}: ${err.message}`))
            else step(true)
          },
        })
        s.write(utf8Encode(request))
      },
      (e: unknown) => {
        const code = e instanceof IoError && e.code === 'timeout' ? 'timeout' : 'network'
        finish(new TrackerError(code, `cannot connect to ${url.host}: ${e instanceof Error ? e.message : String(e)}`))
      },
    )
  })
}

/** GETs `url` (http or https), following up to `maxRedirects` redirects. Throws TrackerError. */
export async function httpGet(net: NetPort, url: string, options: HttpGetOptions = {}): Promise<HttpResponse> {
  const opts = {
    timeoutMs: options.timeoutMs ?? 15_000,
    maxBytes: options.maxBytes ?? 2 * 1024 * 1024,
    clock: options.clock ?? realClock,
    userAgent: options.userAgent ?? 'Tidepool/0.1',
  }
  const maxRedirects = options.maxRedirects ?? 3
  let current: URL
  try {
    current = new URL(url)
  } catch {
    throw new TrackerError('unsupported', `not a URL: ${url}`)
  }
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:')
      throw new TrackerError('unsupported', `cannot GET ${current.protocol} URLs`)
    const res = await requestOnce(net, current, opts)
    const location = res.headers.get('location')
    if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res
    if (hop >= maxRedirects) throw new TrackerError('bad-response', `more than ${maxRedirects} redirects`)
    try {
      current = new URL(location, current)
    } catch {
      throw new TrackerError('bad-response', 'redirect to an invalid URL')
    }
  }
}
