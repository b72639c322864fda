import dgram from 'node:dgram'
import { EventEmitter } from 'node:events'
import net from 'node:net'
import { IoError } from '@tidepool/engine'
import { toIoError } from '../io-errors.ts'
import { isLocalDestination, udpLocalOnly } from '../udp-local-only.ts'
import type { ConnectionOptions, UtpConnection } from './connection.ts'
import { type MuxOptions, UtpMux } from './mux.ts'

const TICK_MS = 50
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024

/**
 * A UtpMux on a real UDP socket: datagrams in, acks flushed once per batch of datagrams (setImmediate
 * runs after the poll phase that delivered them), timers ticking while any connection is open.
 */
export class UtpUdpSocket {
  readonly mux: UtpMux
  private timer: ReturnType<typeof setInterval> | undefined
  private ackScheduled = false
  private closed = false
  private accepting = true
  private closeWhenIdle = false

  private constructor(
    private readonly sock: dgram.Socket,
    readonly ipv6: boolean,
    onAccept: MuxOptions['onAccept'],
    options: ConnectionOptions,
  ) {
    this.mux = new UtpMux(
      { send: (d, address, port) => this.send(d, address, port) },
      {
        ...options,
        nowMs: () => performance.now(),
        ...(onAccept
          ? {
              onAccept: (c, a, p) => {
                if (!this.accepting) return false
                const ok = onAccept(c, a, p)
                this.watch()
                return ok
              },
            }
          : {}),
      },
    )
    sock.on('message', (msg, rinfo) => {
      if (this.closed) return
      const from = unmap(rinfo.address)
      if (!this.mux.receive(msg, from, rinfo.port)) {
        // not uTP: a DHT or other UDP user sharing the port, as libtorrent shares it
        const v4 = net.isIPv4(from)
        for (const s of this.sharers)
          if (s.family === 'any' || (s.family === 'v4') === v4) s.deliver(msg, from, rinfo.port)
        return
      }
      if (!this.ackScheduled) {
        this.ackScheduled = true
        setImmediate(() => {
          this.ackScheduled = false
          this.mux.flushAcks()
        })
      }
    })
    sock.on('error', () => {}) // per-datagram send errors: uTP retransmits or times out on its own
  }

  /** Binds `host:port` (IPv6 hosts dual-stack, as the TCP listener beside it). */
  static async bind(
    host: string,
    port: number,
    onAccept?: MuxOptions['onAccept'],
    options: ConnectionOptions = {},
  ): Promise<UtpUdpSocket> {
    const v6 = host.includes(':')
    const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4' })
    await new Promise<void>((resolve, reject) => {
      sock.once('error', (e) => {
        try {
          sock.close()
        } catch {
          // never bound: nothing to close, the bind error is the answer
        }
        reject(toIoError(e))
      })
      sock.bind(port, host, () => resolve())
    })
    // bursts of a full window must not overflow the default (~200 KiB) socket buffers
    try {
      sock.setRecvBufferSize(SOCKET_BUFFER_BYTES)
      sock.setSendBufferSize(SOCKET_BUFFER_BYTES)
    } catch {
      // the system caps it (net.core.rmem_max): loss then shows as retransmissions, not failure
    }
    return new UtpUdpSocket(sock, v6, onAccept, options)
  }

  get port(): number {
    return this.sock.address().port
  }

  /** Dials `address:port` (an IP literal); the SYN goes out now. */
  connect(address: string, port: number): UtpConnection {
    if (this.closed) throw new IoError('closed', 'uTP socket closed')
    if (!net.isIP(address)) throw new IoError('invalid', 'uTP needs an IP address')
    if (!this.ipv6 && net.isIPv6(address)) throw new IoError('unreachable', 'no IPv6 uTP socket')
    if (udpLocalOnly() && !isLocalDestination(address))
      throw new IoError('unreachable', 'this daemon sends UDP only to local addresses')
    const c = this.mux.connect(address, port)
    this.watch()
    return c
  }

  private send(d: Uint8Array, address: string, port: number): void {
    if (this.closed) return
    // a dual-stack IPv6 socket reaches IPv4 peers through their mapped address
    const to = this.ipv6 && net.isIPv4(address) ? `::ffff:${address}` : address
    try {
      this.sock.send(d, port, to)
    } catch {
      // a datagram that cannot be sent is lost, as UDP may lose it
    }
  }

  /** Runs the timers while connections exist. */
  private watch(): void {
    if (this.timer || this.closed) return
    this.timer = setInterval(() => {
      this.mux.tick()
      if (this.mux.size === 0) {
        clearInterval(this.timer)
        this.timer = undefined
        if (this.closeWhenIdle) this.close()
      }
    }, TICK_MS)
  }

  /** UDP handles sharing this socket's port (see ShareableUdp). */
  private readonly sharers = new Set<SharedUdp>()

  get boundHost(): string {
    return this.sock.address().address
  }

  /**
   * A plain UDP user on this socket's port (the DHT on the listen port): it gets every datagram that is
   * not uTP from its family ('v4', 'v6' or 'any') and sends through this socket. Throws `in-use` when
   * another sharer already takes that family, as a second bind of the port would fail.
   */
  share(family: 'v4' | 'v6' | 'any'): SharedUdp {
    for (const s of this.sharers)
      if (s.family === 'any' || family === 'any' || s.family === family)
        throw new IoError('in-use', `UDP port ${this.port} is in use`)
    const s = new SharedUdp(
      this,
      family,
      (d, a, p) => this.send(d, a, p),
      () => this.sharers.delete(s),
    )
    this.sharers.add(s)
    return s
  }

  get connections(): number {
    return this.mux.size
  }

  /** The listener went: accept no more, but let the connections it accepted run to their end (as TCP does). */
  retire(): void {
    this.accepting = false
    this.closeWhenIdle = true
    if (this.mux.size === 0) this.close()
  }

  close(): void {
    if (this.closed) return
    this.mux.closeAll()
    this.closed = true
    clearInterval(this.timer)
    this.timer = undefined
    for (const s of [...this.sharers]) s.close()
    this.sock.close()
  }
}

/**
 * The part of a `dgram.Socket` a UDP handle (udp-ops.ts) uses, over a uTP socket's port: 'message' for
 * the datagrams that are not uTP, `send` through the uTP socket, `close` detaches. No multicast.
 */
export class SharedUdp extends EventEmitter {
  private open = true
  constructor(
    private readonly owner: UtpUdpSocket,
    readonly family: 'v4' | 'v6' | 'any',
    private readonly out: (d: Uint8Array, address: string, port: number) => void,
    private readonly detach: () => void,
  ) {
    super()
  }

  deliver(msg: Buffer, address: string, port: number): void {
    if (this.open) this.emit('message', msg, { address, port, family: net.isIPv4(address) ? 'IPv4' : 'IPv6' })
  }

  send(payload: Uint8Array, port: number, address: string, cb?: () => void): void {
    if (this.open) this.out(payload, address, port)
    cb?.()
  }

  address(): { address: string; port: number } {
    return { address: this.owner.boundHost, port: this.owner.port }
  }

  close(): void {
    if (!this.open) return
    this.open = false
    this.detach()
    this.emit('close')
  }
}

/** Once per datagram, so a prefix check rather than a regular expression. */
function unmap(address: string): string {
  return address.length > 7 && address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}
