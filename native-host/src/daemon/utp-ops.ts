import net from 'node:net'
import { Ev } from '@tidepool/daemon-bridge'
import { IoError } from '@tidepool/engine'
import { capsOf, checkSocketCap } from './handle-caps.ts'
import type { SessionContext } from './session-context.ts'
import type { UtpConnection } from './utp/connection.ts'
import { type SharedUdp, UtpUdpSocket } from './utp/udp-driver.ts'
import { UtpConnRes } from './utp/utp-conn.ts'

/** The uTP sockets of one session: one beside each listener that asked for uTP, and ephemeral ones for dialling. */
class SessionUtp {
  /** By listener handle. */
  readonly listening = new Map<number, UtpUdpSocket>()
  /** Listening sockets whose listener closed, kept until their connections end. */
  readonly retired = new Set<UtpUdpSocket>()
  private readonly ephemeral = new Map<'v4' | 'v6', Promise<UtpUdpSocket>>()

  constructor(private readonly ctx: SessionContext) {}

  /**
   * The socket an outgoing connection leaves from: a listening one of the right family when there is
   * one (the peer then sees our listen port, and may reach us there later), else an ephemeral one.
   */
  async socketFor(host: string): Promise<UtpUdpSocket> {
    const v6 = net.isIPv6(host)
    for (const s of this.listening.values()) if (s.ipv6 === v6) return s
    if (!v6) for (const s of this.listening.values()) if (s.ipv6) return s // dual-stack
    const fam = v6 ? 'v6' : 'v4'
    let p = this.ephemeral.get(fam)
    if (!p) {
      p = UtpUdpSocket.bind(v6 ? '::' : '0.0.0.0', 0, undefined, connectOptions(this.ctx))
      this.ephemeral.set(fam, p)
      p.catch(() => this.ephemeral.delete(fam))
    }
    const s = await p
    if (this.ctx.closed) s.close()
    return s
  }

  dispose(): void {
    for (const s of [...this.listening.values(), ...this.retired]) s.close()
    this.listening.clear()
    this.retired.clear()
    for (const p of this.ephemeral.values()) void p.then((s) => s.close()).catch(() => undefined)
    this.ephemeral.clear()
  }
}

const bySession = new WeakMap<SessionContext, SessionUtp>()

function utpOf(ctx: SessionContext): SessionUtp {
  let u = bySession.get(ctx)
  if (!u) {
    u = new SessionUtp(ctx)
    bySession.set(ctx, u)
  }
  return u
}

/** A SYN unanswered this long fails (libtorrent waits 3 s): a peer without uTP is then tried over TCP soon. */
const UTP_CONNECT_TIMEOUT_MS = 5000

function connectOptions(ctx: SessionContext) {
  return { connectTimeoutMs: Math.min(UTP_CONNECT_TIMEOUT_MS, ctx.limits.connectTimeoutMs) }
}

/** tcp.connect with `transport: "utp"`: under the same connect gate and caps as TCP. */
export async function utpConnect(
  ctx: SessionContext,
  host: string,
  port: number,
  track: (cancel: () => void) => () => void,
  framable = false,
): Promise<object> {
  if (!net.isIP(host)) throw new IoError('invalid', 'a uTP connect needs an IP address')
  checkSocketCap(ctx)
  const ticket = ctx.gate.acquire()
  let conn: UtpConnection | undefined
  let cancelled: (() => void) | undefined
  const untrack = track(() => {
    ticket.cancel()
    conn?.close()
    cancelled?.()
  })
  try {
    const release = await ticket.granted
    try {
      const sock = await utpOf(ctx).socketFor(host)
      if (ctx.closed) throw new IoError('closed', 'session closed')
      const c = sock.connect(host, port)
      conn = c
      await new Promise<void>((resolve, reject) => {
        cancelled = () => reject(new IoError('closed', 'session closed'))
        c.setEvents({
          onConnect: () => {
            c.pause() // anything that arrives before the handle exists waits in the connection
            resolve()
          },
          onClose: (e) => reject(new IoError(e?.code ?? 'closed', e?.message ?? 'closed while connecting')),
        })
      })
      if (ctx.closed) {
        c.close()
        throw new IoError('closed', 'session closed')
      }
      const handle = ctx.newHandle()
      ctx.handles.set(handle, new UtpConnRes(ctx, handle, c, framable))
      return {
        handle,
        remoteAddress: host,
        remotePort: port,
        localAddress: sock.ipv6 ? '::' : '0.0.0.0',
        localPort: sock.port,
        transport: 'utp',
      }
    } finally {
      release()
    }
  } finally {
    untrack()
  }
}

/**
 * tcp.listen with `utp: true`: uTP on the same host and port number over UDP, accepted connections
 * announced on the TCP listener's handle. The TCP listener stands even when UDP cannot bind.
 */
export async function utpListen(
  ctx: SessionContext,
  listenerHandle: number,
  host: string,
  port: number,
  onListenerClose: (fn: () => void) => void,
  framable = false,
): Promise<{ utp: boolean; utpError?: string }> {
  let accepted = 0
  let sock: UtpUdpSocket
  try {
    sock = await UtpUdpSocket.bind(
      host,
      port,
      (conn, address, remotePort) => {
        const { caps, counts } = capsOf(ctx)
        if (ctx.closed || accepted >= caps.maxAcceptedPerListener || ctx.counters.sockets >= caps.maxSockets) {
          counts.acceptsRefused++
          return false
        }
        accepted++
        const handle = ctx.newHandle()
        ctx.event(listenerHandle, Ev.accept, { handle, remoteAddress: address, remotePort, transport: 'utp' })
        const res = new UtpConnRes(ctx, handle, conn, framable)
        const prev = conn.onFinish
        conn.onFinish = () => {
          accepted--
          prev?.()
        }
        ctx.handles.set(handle, res)
        return true
      },
      connectOptions(ctx),
    )
  } catch (e) {
    return { utp: false, utpError: e instanceof Error ? e.message : String(e) }
  }
  if (ctx.closed) {
    sock.close()
    return { utp: false, utpError: 'session closed' }
  }
  const u = utpOf(ctx)
  u.listening.set(listenerHandle, sock)
  onListenerClose(() => {
    u.listening.delete(listenerHandle)
    u.retired.add(sock)
    sock.retire()
  })
  return { utp: true }
}

/**
 * A udp.bind on the port of one of this client's uTP listeners shares that UDP socket (libtorrent runs
 * the DHT and uTP on one socket): returns the sharing handle's socket, or undefined when none matches.
 */
export function shareUtpPort(
  ctx: SessionContext,
  host: string,
  port: number,
  ipv6Only: boolean,
): SharedUdp | undefined {
  if (port === 0) return undefined
  const u = bySession.get(ctx)
  if (!u) return undefined
  for (const s of u.listening.values()) {
    if (s.port !== port) continue
    const bound = s.boundHost
    // a dual-stack '::' socket covers both wildcard binds; otherwise only the same host
    const covers = bound === host || (bound === '::' && (host === '0.0.0.0' || host === '::'))
    if (!covers) continue
    const family = host.includes(':') ? (ipv6Only || !s.ipv6 ? 'v6' : 'any') : 'v4'
    return s.share(family)
  }
  return undefined
}

/** The session is going away: its uTP sockets (and every connection on them) go too. */
export function disposeSessionUtp(ctx: SessionContext): void {
  bySession.get(ctx)?.dispose()
}
