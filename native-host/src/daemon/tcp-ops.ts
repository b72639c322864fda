import net from 'node:net'
import tls from 'node:tls'
import { Ev } from '@tidepool/daemon-bridge'
import { IoError } from '@tidepool/engine'
import { capsOf, checkHandleCap, checkSocketCap } from './handle-caps.ts'
import { toIoError } from './io-errors.ts'
import type { Resource, SessionContext } from './session-context.ts'
import { ReadArena } from './read-arena.ts'
import { TcpConn } from './tcp-conn.ts'
import { utpConnect, utpListen } from './utp-ops.ts'
import { UtpConnRes } from './utp/utp-conn.ts'

function str(meta: Record<string, unknown>, key: string, optional = false): string | undefined {
  const v = meta[key]
  if (v === undefined && optional) return undefined
  if (typeof v !== 'string' || v.length === 0 || v.length > 255) throw new IoError('invalid', `${key} must be a string`)
  return v
}

export function port(meta: Record<string, unknown>, key = 'port', optional = false): number {
  const v = meta[key]
  if (v === undefined && optional) return 0
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
    throw new IoError('invalid', `${key} must be 0..65535`)
  return v
}

export function handleOf(meta: Record<string, unknown>): number {
  const h = meta.handle
  if (typeof h !== 'number' || !Number.isInteger(h) || h <= 0)
    throw new IoError('invalid', 'handle must be a positive integer')
  return h
}

/**
 * tcp.connect under the connect gate. The timeout counts from when the attempt holds a slot.
 * `track` lets the session cancel the attempt when the client goes away.
 */
export async function tcpConnect(
  ctx: SessionContext,
  meta: Record<string, unknown>,
  track: (cancel: () => void) => () => void,
): Promise<object> {
  const host = str(meta, 'host')!
  const p = port(meta)
  if (p === 0) throw new IoError('invalid', 'port must be 1..65535')
  if (meta.transport !== undefined && meta.transport !== 'tcp' && meta.transport !== 'utp')
    throw new IoError('invalid', 'transport must be "tcp" or "utp"')
  const framable = framableOf(meta)
  if (meta.transport === 'utp') {
    if (meta.tls === true) throw new IoError('invalid', 'tls is for TCP only')
    return utpConnect(ctx, host, p, track, framable)
  }
  checkSocketCap(ctx)
  const useTls = meta.tls === true
  const servername = str(meta, 'servername', true) ?? (net.isIP(host) ? undefined : host)
  const ticket = ctx.gate.acquire()
  let socket: net.Socket | undefined
  let arena: ReadArena | undefined
  let aborted = false
  const untrack = track(() => {
    aborted = true
    ticket.cancel()
    socket?.destroy()
  })
  try {
    const release = await ticket.granted
    try {
      if (aborted) throw new IoError('closed', 'session closed')
      const s = await new Promise<net.Socket>((resolve, reject) => {
        const opts = { host, port: p, allowHalfOpen: true }
        // TLS sockets have no onread: they take the coalescing 'data' path in TcpConn.
        arena = useTls ? undefined : new ReadArena(ctx.limits.maxDataFrameBytes)
        const sock = arena
          ? net.connect({ ...opts, onread: { buffer: arena.next, callback: arena.onRead } })
          : tls.connect({ ...opts, servername })
        socket = sock
        const timer = setTimeout(
          () =>
            done(new IoError('timeout', `connect to ${host}:${p} timed out after ${ctx.limits.connectTimeoutMs} ms`)),
          ctx.limits.connectTimeoutMs,
        )
        const connectEvent = useTls ? 'secureConnect' : 'connect'
        const onConnect = (): void => done()
        const onError = (e: unknown): void => done(e)
        const onClose = (): void => done(new IoError('closed', 'closed while connecting'))
        const done = (err?: unknown): void => {
          clearTimeout(timer)
          sock.off(connectEvent, onConnect).off('error', onError).off('close', onClose)
          if (err !== undefined) {
            sock.on('error', () => {}) // late errors of a dropped attempt must not crash the daemon
            sock.destroy()
            reject(toIoError(err))
          } else resolve(sock)
        }
        sock.once(connectEvent, onConnect)
        sock.once('error', onError)
        sock.once('close', onClose)
      })
      if (aborted || ctx.closed) {
        s.destroy()
        throw new IoError('closed', 'session closed')
      }
      const handle = ctx.newHandle()
      const reply = {
        handle,
        remoteAddress: s.remoteAddress ?? host,
        remotePort: s.remotePort ?? p,
        localAddress: s.localAddress ?? '',
        localPort: s.localPort ?? 0,
      }
      ctx.handles.set(handle, new TcpConn(ctx, handle, s, arena, framable))
      return reply
    } finally {
      release()
    }
  } finally {
    untrack()
  }
}

class Listener implements Resource {
  readonly kind = 'listener'
  private open = true
  /** Closed with the listener (its uTP socket). */
  readonly companions: Array<() => void> = []
  constructor(
    private readonly ctx: SessionContext,
    readonly handle: number,
    private readonly server: net.Server,
    private readonly framable = false,
  ) {
    ctx.counters.listeners++
    server.on('connection', (s) => this.onConnection(s))
    server.on('close', () => {
      ctx.counters.listeners--
      for (const c of this.companions.splice(0)) c()
      if (!this.open || ctx.closed) return
      this.open = false
      ctx.handles.delete(handle)
      ctx.released(handle)
      ctx.event(handle, Ev.close, {})
    })
  }

  bound(): { address: string; port: number } | undefined {
    const a = this.server.address()
    return a && typeof a === 'object' ? { address: a.address, port: a.port } : undefined
  }

  private accepted = 0

  private onConnection(s: net.Socket): void {
    if (!this.open || this.ctx.closed) {
      s.destroy()
      return
    }
    // Remote peers are unauthenticated: over a cap, close at once so a flood cannot exhaust fds.
    const { caps, counts } = capsOf(this.ctx)
    if (this.accepted >= caps.maxAcceptedPerListener || this.ctx.counters.sockets >= caps.maxSockets) {
      counts.acceptsRefused++
      s.on('error', () => {}) // a reset from the refused peer while we destroy it: nothing left to tell
      s.destroy()
      return
    }
    this.accepted++
    s.once('close', () => this.accepted--)
    const handle = this.ctx.newHandle()
    this.ctx.event(this.handle, Ev.accept, {
      handle,
      remoteAddress: unmapIpv4(s.remoteAddress ?? ''),
      remotePort: s.remotePort ?? 0,
    })
    this.ctx.handles.set(handle, new TcpConn(this.ctx, handle, s, undefined, this.framable))
  }

  close(): void {
    this.open = false
    this.ctx.handles.delete(this.handle)
    this.ctx.released(this.handle)
    for (const c of this.companions.splice(0)) c()
    this.server.close()
  }
}

export async function tcpListen(ctx: SessionContext, meta: Record<string, unknown>): Promise<object> {
  const host = str(meta, 'host', true) ?? '0.0.0.0'
  const p = port(meta)
  const framable = framableOf(meta)
  checkHandleCap(ctx, 'listener', capsOf(ctx).caps.maxListenersPerClient)
  const server = net.createServer({ allowHalfOpen: true })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(toIoError(e)))
    server.listen({ host, port: p }, () => resolve())
  })
  if (ctx.closed) {
    server.close()
    throw new IoError('closed', 'session closed')
  }
  if (meta.utp !== undefined && typeof meta.utp !== 'boolean') throw new IoError('invalid', 'utp must be a boolean')
  const handle = ctx.newHandle()
  const listener = new Listener(ctx, handle, server, framable)
  ctx.handles.set(handle, listener)
  const addr = server.address()
  const bound = typeof addr === 'object' && addr ? addr.port : p
  const utp =
    meta.utp === true ? await utpListen(ctx, handle, host, bound, (fn) => listener.companions.push(fn), framable) : {}
  return { handle, port: bound, ...utp }
}

/**
 * `framable` (capability `data-plane`, §4.8): the socket keeps what it delivered until tcp.frame.
 * Checked before anything opens, so a bad value leaves nothing behind.
 */
export function framableOf(meta: Record<string, unknown>): boolean {
  if (meta.framable !== undefined && typeof meta.framable !== 'boolean')
    throw new IoError('invalid', 'framable must be a boolean')
  return meta.framable === true
}

/** An IPv4 peer accepted on a dual-stack ('::') listener shows as ::ffff:a.b.c.d: report its IPv4 address. */
export function unmapIpv4(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address
}

/** A stream socket: TCP, or uTP which clients use the same way. */
export function socketOf(ctx: SessionContext, meta: Record<string, unknown>): TcpConn | UtpConnRes {
  const r = ctx.handles.get(handleOf(meta))
  if (!(r instanceof TcpConn) && !(r instanceof UtpConnRes)) throw new IoError('closed', 'no such socket')
  return r
}
