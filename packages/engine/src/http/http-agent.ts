import type { NetPort, TcpSocket } from '../platform/ports.ts'
import { IoError } from '../platform/ports.ts'
import { utf8Encode } from '../util/bytes.ts'
import { realClock, type Clock, type TimerHandle } from '../util/clock.ts'
import { HttpError } from './http-error.ts'
import { isIpLiteral } from './http-parse.ts'
import { ResponseReader, type ReadResponse } from './response-reader.ts'

/**
 * HTTP/1.1 GETs over the platform's raw TCP (TLS for https through the daemon), keeping idle
 * connections per origin (two by default) for the next requests. Web seeds ask a server for piece after piece, so
 * reusing the connection saves a connect (and a TLS handshake) per request. One request at a time
 * per connection (no pipelining); callers needing parallel requests get parallel connections.
 */

export interface HttpAgentOptions {
  clock?: Clock
  userAgent?: string
  /** An idle connection is closed after this long; default 30 s. */
  idleMs?: number
  /** Idle connections kept per origin (callers running parallel requests want as many); default 2. */
  maxIdlePerOrigin?: number
}

export interface HttpRequestOptions {
  headers?: Record<string, string>
  /** Whole request, connect included; default 30 s. */
  timeoutMs?: number
  /** Body cap; default 2 MiB. */
  maxBytes?: number
  /** Default 3. */
  maxRedirects?: number
  /** Body bytes as they arrive. */
  onBody?: (n: number) => void
}

export interface HttpAgentResponse {
  status: number
  headers: Map<string, string>
  body: Uint8Array
  /** The URL that answered, after redirects. */
  url: string
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** A socket with its handlers routed to whichever request uses it now. */
class Connection {
  private onData: ((d: Uint8Array) => void) | null = null
  private onGone: ((err: Error | null) => void) | null = null
  alive = true
  idleTimer: TimerHandle | null = null

  constructor(
    readonly origin: string,
    readonly socket: TcpSocket,
    /** Reused from the idle pool (may have been closed by the server meanwhile). */
    public reused = false,
  ) {
    socket.setHandlers({
      onData: (d) => (this.onData ? this.onData(d) : this.close()), // bytes while idle: not trustworthy
      onEnd: () => this.gone(null),
      onClose: (err) => this.gone(err ?? null),
    })
  }

  use(onData: (d: Uint8Array) => void, onGone: (err: Error | null) => void): void {
    this.onData = onData
    this.onGone = onGone
  }

  release(): void {
    this.onData = null
    this.onGone = null
  }

  private gone(err: Error | null): void {
    const wasAlive = this.alive
    this.alive = false
    const cb = this.onGone
    this.release()
    if (cb && wasAlive) cb(err)
  }

  close(): void {
    this.alive = false
    this.socket.close()
  }
}

export class HttpAgent {
  /** Idle connections by origin, most recently used last. */
  private readonly idle = new Map<string, Connection[]>()
  private readonly maxIdle: number
  private readonly clock: Clock
  private readonly userAgent: string
  private readonly idleMs: number
  private closed = false

  constructor(
    private readonly net: NetPort,
    opts: HttpAgentOptions = {},
  ) {
    this.clock = opts.clock ?? realClock
    this.userAgent = opts.userAgent ?? 'Tidepool/0.1'
    this.idleMs = opts.idleMs ?? 30_000
    this.maxIdle = Math.max(1, opts.maxIdlePerOrigin ?? 2)
  }

  /** GETs `url`, following up to `maxRedirects` redirects. Throws HttpError. */
  async get(url: string, opts: HttpRequestOptions = {}): Promise<HttpAgentResponse> {
    let current: URL
    try {
      current = new URL(url)
    } catch {
      throw new HttpError('unsupported', `not a URL: ${url}`)
    }
    const maxRedirects = opts.maxRedirects ?? 3
    for (let hop = 0; ; hop++) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:')
        throw new HttpError('unsupported', `cannot GET ${current.protocol} URLs`)
      const res = await this.once(current, opts)
      const location = res.headers.get('location')
      if (!REDIRECTS.has(res.status) || !location) return { ...res, url: current.href }
      if (hop >= maxRedirects) throw new HttpError('bad-response', `more than ${maxRedirects} redirects`)
      try {
        current = new URL(location, current)
      } catch {
        throw new HttpError('bad-response', 'redirect to an invalid URL')
      }
    }
  }

  /** Closes idle connections; later requests still work (on new connections). */
  close(): void {
    this.closed = true
    for (const list of [...this.idle.values()]) for (const c of [...list]) this.dropIdle(c)
  }

  /** Idle connections kept now (tests). */
  get idleCount(): number {
    let n = 0
    for (const list of this.idle.values()) n += list.length
    return n
  }

  private async once(url: URL, opts: HttpRequestOptions): Promise<ReadResponse> {
    const deadline = this.clock.now() + (opts.timeoutMs ?? 30_000)
    const reused = this.takeIdle(originOf(url))
    if (reused) {
      try {
        return await this.exchange(reused, url, opts, deadline)
      } catch (e) {
        // the server closed the kept connection before answering: ask again on a fresh one (GET is idempotent)
        if (!(e instanceof StaleConnection)) throw e
      }
    }
    const conn = await this.open(url, deadline)
    return this.exchange(conn, url, opts, deadline)
  }

  private takeIdle(origin: string): Connection | null {
    const list = this.idle.get(origin)
    const c = list?.pop()
    if (!c) return null
    if (list!.length === 0) this.idle.delete(origin)
    if (c.idleTimer) this.clock.clearTimeout(c.idleTimer)
    c.idleTimer = null
    return c.alive ? c : null
  }

  private keepIdle(c: Connection): void {
    const list = this.idle.get(c.origin) ?? []
    if (this.closed || list.length >= this.maxIdle) return c.close()
    c.reused = true
    c.release()
    c.use(
      () => this.dropIdle(c),
      () => this.dropIdle(c),
    )
    list.push(c)
    this.idle.set(c.origin, list)
    c.idleTimer = this.clock.setTimeout(() => this.dropIdle(c), this.idleMs)
  }

  private dropIdle(c: Connection): void {
    const list = this.idle.get(c.origin)
    const i = list ? list.indexOf(c) : -1
    if (i >= 0) list!.splice(i, 1)
    if (list && list.length === 0) this.idle.delete(c.origin)
    if (c.idleTimer) this.clock.clearTimeout(c.idleTimer)
    c.idleTimer = null
    c.close()
  }

  private open(url: URL, deadline: number): Promise<Connection> {
    const tls = url.protocol === 'https:'
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    const port = url.port ? Number(url.port) : tls ? 443 : 80
    return new Promise<Connection>((resolve, reject) => {
      let done = false
      const timer = this.clock.setTimeout(
        () => {
          done = true
          reject(new HttpError('timeout', `cannot connect to ${url.host} in time`))
        },
        Math.max(0, deadline - this.clock.now()),
      )
      let attempt: Promise<TcpSocket>
      try {
        attempt = this.net.connect(
          tls && !isIpLiteral(host) ? { host, port, tls, servername: host } : { host, port, tls },
        )
      } catch (e) {
        attempt = Promise.reject(e)
      }
      attempt.then(
        (s) => {
          if (done) return s.close()
          done = true
          this.clock.clearTimeout(timer)
          resolve(new Connection(originOf(url), s))
        },
        (e: unknown) => {
          if (done) return
          done = true
          this.clock.clearTimeout(timer)
          const code = e instanceof IoError && e.code === 'timeout' ? 'timeout' : 'network'
          reject(new HttpError(code, `cannot connect to ${url.host}: ${e instanceof Error ? e.message : String(e)}`))
        },
      )
    })
  }

  private exchange(conn: Connection, url: URL, opts: HttpRequestOptions, deadline: number): Promise<ReadResponse> {
    const reader = new ResponseReader(opts.maxBytes ?? 2 * 1024 * 1024, opts.onBody)
    let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: ${this.userAgent}\r\n`
    head += 'Accept-Encoding: identity\r\nConnection: keep-alive\r\n'
    for (const [k, v] of Object.entries(opts.headers ?? {})) head += `${k}: ${v}\r\n`
    return new Promise<ReadResponse>((resolve, reject) => {
      let settled = false
      const finish = (err: Error | null) => {
        if (settled) return
        settled = true
        this.clock.clearTimeout(timer)
        const res = reader.result
        if (err || !res) {
          conn.release()
          conn.close()
          reject(err ?? new HttpError('bad-response', 'no response'))
          return
        }
        if (res.reusable && conn.alive && !reader.sawExtraBytes) this.keepIdle(conn)
        else {
          conn.release()
          conn.close()
        }
        resolve(res)
      }
      const timer = this.clock.setTimeout(
        () => finish(new HttpError('timeout', `no complete answer from ${url.host} in time`)),
        Math.max(0, deadline - this.clock.now()),
      )
      conn.use(
        (d) => {
          try {
            if (reader.push(d)) finish(null)
          } catch (e) {
            finish(e as Error)
          }
        },
        (err) => {
          if (settled) return
          if (conn.reused && !reader.started) return finish(new StaleConnection())
          if (err) return finish(new HttpError('network', `${url.host}: ${err.message}`))
          try {
            if (reader.end()) finish(null)
          } catch (e) {
            finish(e as Error)
          }
        },
      )
      conn.socket.write(utf8Encode(`${head}\r\n`))
    })
  }
}

class StaleConnection extends Error {}

function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`
}
