import type { NetPort, UdpSocket } from '../platform/ports.ts'
import { realClock, type Clock, type TimerHandle } from '../util/clock.ts'
import type { AnnounceParams, AnnounceResult, ScrapeResult } from './announce-types.ts'
import { TrackerError } from './tracker-error.ts'
import {
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  encodeScrapeRequest,
  encodeUrlDataOption,
  type UdpTrackerResponse,
} from './udp-tracker-codec.ts'

export interface UdpTrackerOptions {
  clock?: Clock
  /** BEP 15: wait 15 * 2^n seconds for attempt n. */
  baseTimeoutMs?: number
  /** Last attempt number n (BEP 15 says 8, i.e. about an hour in total). */
  maxRetries?: number
  /** A connection id may be used for one minute after it was received. */
  connectionIdTtlMs?: number
  /** 32-bit transaction ids; injectable for tests. */
  randomU32?: () => number
}

interface Pending {
  resolve(r: UdpTrackerResponse, fromAddress: string): void
}

const TIMEOUT = Symbol('timeout')

/** BEP 15 client: one UDP socket shared by all trackers, replies matched by transaction id. */
export class UdpTrackerClient {
  private readonly clock: Clock
  private readonly base: number
  private readonly maxRetries: number
  private readonly ttl: number
  private readonly randomU32: () => number
  // One socket per address family (a daemon binds udp4 by default; IPv6 trackers need udp6).
  private readonly sockets = new Map<4 | 6, Promise<UdpSocket>>()
  private readonly pending = new Map<number, Pending>()
  private readonly connections = new Map<string, { id: Uint8Array; at: number }>()
  private closed = false

  constructor(
    private readonly net: NetPort,
    opts: UdpTrackerOptions = {},
  ) {
    this.clock = opts.clock ?? realClock
    this.base = opts.baseTimeoutMs ?? 15_000
    this.maxRetries = opts.maxRetries ?? 8
    this.ttl = opts.connectionIdTtlMs ?? 60_000
    this.randomU32 = opts.randomU32 ?? (() => crypto.getRandomValues(new Uint32Array(1))[0])
  }

  async announce(url: string, params: AnnounceParams, signal?: AbortSignal): Promise<AnnounceResult> {
    const urlData = encodeUrlDataOption(this.target(url).pathAndQuery)
    const r = await this.transact(url, (id, tx) => encodeAnnounceRequest(id, tx, params, urlData), signal)
    if (r.action !== 'announce') throw new TrackerError('bad-response', `expected an announce reply, got ${r.action}`)
    return { interval: r.interval, complete: r.seeders, incomplete: r.leechers, peers: r.peers }
  }

  async scrape(url: string, infoHashes: readonly Uint8Array[], signal?: AbortSignal): Promise<ScrapeResult[]> {
    const r = await this.transact(url, (id, tx) => encodeScrapeRequest(id, tx, infoHashes), signal)
    if (r.action !== 'scrape') throw new TrackerError('bad-response', `expected a scrape reply, got ${r.action}`)
    return r.results
  }

  close(): void {
    this.closed = true
    for (const s of this.sockets.values())
      void s.then(
        (u) => u.close(),
        () => {},
      )
    this.sockets.clear()
    this.pending.clear()
  }

  private target(url: string): { host: string; port: number; key: string; pathAndQuery: string } {
    const m = /^udp:\/\/(\[[^\]]+\]|[^:/?#]+):(\d{1,5})([/?][^#]*)?(?:#.*)?$/i.exec(url)
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
      throw new TrackerError('unsupported', `not a udp tracker URL: ${url}`)
    const host = m[1].replace(/^\[(.*)\]$/, '$1')
    return { host, port: Number(m[2]), key: `${host}:${m[2]}`, pathAndQuery: m[3] ?? '' }
  }

  private getSocket(family: 4 | 6): Promise<UdpSocket> {
    const existing = this.sockets.get(family)
    if (existing) return existing
    const bound = this.net.bindUdp(family === 6 ? { host: '::' } : {}, (data, from) => {
      if (data.length < 8) return
      const tx = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(4)
      const p = this.pending.get(tx)
      // IPv6 trackers send 18-byte peers; IPv4-mapped sources still mean IPv4.
      const ipv6 = from.address.includes(':') && !from.address.toLowerCase().startsWith('::ffff:')
      const r = decodeUdpResponse(data, ipv6)
      if (p && r) p.resolve(r, from.address)
    })
    this.sockets.set(family, bound)
    bound.catch(() => this.sockets.delete(family)) // let a later announce try binding again
    return bound
  }

  /** Sends one datagram and waits for the reply with its transaction id, or TIMEOUT. */
  private async once(
    host: string,
    port: number,
    packet: (tx: number) => Uint8Array,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<UdpTrackerResponse | typeof TIMEOUT> {
    let socket: UdpSocket
    try {
      socket = await this.getSocket(host.includes(':') ? 6 : 4)
    } catch (e) {
      throw new TrackerError('network', `cannot bind a UDP socket: ${e instanceof Error ? e.message : String(e)}`)
    }
    if (this.closed) throw new TrackerError('aborted', 'udp tracker client closed')
    let tx = this.randomU32() >>> 0
    while (this.pending.has(tx)) tx = (tx + 1) >>> 0
    return new Promise((resolve, reject) => {
      let timer: TimerHandle = null
      const done = () => {
        this.pending.delete(tx)
        this.clock.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      const onAbort = () => {
        done()
        reject(new TrackerError('aborted', 'announce cancelled'))
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort)
      this.pending.set(tx, {
        resolve: (r) => {
          done()
          resolve(r)
        },
      })
      timer = this.clock.setTimeout(() => {
        done()
        resolve(TIMEOUT)
      }, waitMs)
      try {
        socket.send(packet(tx), host, port)
      } catch (e) {
        done()
        reject(
          new TrackerError(
            'network',
            `udp send to ${host}:${port} failed: ${e instanceof Error ? e.message : String(e)}`,
          ),
        )
      }
    })
  }

  private async transact(
    url: string,
    request: (connectionId: Uint8Array, tx: number) => Uint8Array,
    signal?: AbortSignal,
  ): Promise<UdpTrackerResponse> {
    const { host, port, key } = this.target(url)
    for (let n = 0; n <= this.maxRetries; ) {
      const waitMs = this.base * 2 ** n
      const conn = this.connections.get(key)
      if (!conn || this.clock.now() - conn.at >= this.ttl) {
        const r = await this.once(host, port, encodeConnectRequest, waitMs, signal)
        if (r === TIMEOUT) {
          n++
          continue
        }
        if (r.action === 'error') throw new TrackerError('failure', r.message)
        if (r.action !== 'connect') throw new TrackerError('bad-response', `expected a connect reply, got ${r.action}`)
        this.connections.set(key, { id: r.connectionId, at: this.clock.now() })
        continue
      }
      const r = await this.once(host, port, (tx) => request(conn.id, tx), waitMs, signal)
      if (r === TIMEOUT) {
        n++
        continue
      }
      if (r.action === 'error') {
        this.connections.delete(key) // the id may be what it objects to
        throw new TrackerError('failure', r.message)
      }
      return r
    }
    throw new TrackerError('timeout', `no answer from udp tracker ${key} after ${this.maxRetries + 1} attempts`)
  }
}
