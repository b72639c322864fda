import dgram from 'node:dgram'
import { Kind, encodeFrame } from '@tidepool/daemon-bridge'
import { IoError } from '@tidepool/engine'
import { capsOf, checkHandleCap } from './handle-caps.ts'
import { toIoError } from './io-errors.ts'
import type { Resource, SessionContext } from './session-context.ts'
import { port } from './tcp-ops.ts'
import { isLocalDestination, udpLocalOnly } from './udp-local-only.ts'

class UdpRes implements Resource {
  readonly kind = 'udp'
  private open = true
  constructor(
    private readonly ctx: SessionContext,
    readonly handle: number,
    private readonly sock: dgram.Socket,
  ) {
    ctx.counters.udpSockets++
    sock.on('message', (msg, rinfo) => {
      // UDP is lossy by nature: drop rather than queue while the client is not keeping up.
      if (!this.open || ctx.closed || ctx.congested) return
      ctx.counters.bytesToClients += msg.length
      ctx.send(encodeFrame(Kind.DATA, handle, 0, { address: rinfo.address, port: rinfo.port }, msg))
    })
    sock.on('error', () => {}) // send errors (e.g. EHOSTUNREACH) are per datagram; UDP stays open
    sock.on('close', () => {
      ctx.counters.udpSockets--
    })
  }

  onData(payload: Uint8Array, meta: Record<string, unknown>): void {
    if (!this.open) return
    const address = meta.address
    if (typeof address !== 'string') return
    // A bad datagram destination is dropped (UDP is lossy); it must never throw out of the frame handler.
    if (address.length === 0 || address.length > 255) return
    let p: number
    try {
      p = port(meta)
    } catch {
      return
    }
    if (p === 0) return // dgram throws ERR_SOCKET_BAD_PORT synchronously for port 0
    if (udpLocalOnly() && !isLocalDestination(address)) return // see udp-local-only.ts
    this.ctx.counters.bytesFromClients += payload.length
    try {
      this.sock.send(payload, p, address, () => {}) // a datagram that cannot be sent is lost, as UDP may lose it
    } catch {
      // e.g. an address of the wrong family: per-datagram failure, socket stays open
    }
  }

  close(): void {
    if (!this.open) return
    this.open = false
    this.ctx.handles.delete(this.handle)
    this.sock.close()
  }
}

export async function udpBind(ctx: SessionContext, meta: Record<string, unknown>): Promise<object> {
  const host = typeof meta.host === 'string' ? meta.host : '0.0.0.0'
  const p = port(meta, 'port', true)
  checkHandleCap(ctx, 'udp', capsOf(ctx).caps.maxUdpPerClient)
  const v6 = host.includes(':')
  if (meta.ipv6Only !== undefined && typeof meta.ipv6Only !== 'boolean') throw new IoError('invalid', 'ipv6Only must be a boolean')
  // IPv6-only: an IPv4 socket can then hold the same port number (a DHT node per family on one port)
  const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ...(v6 && meta.ipv6Only === true ? { ipv6Only: true } : {}) })
  await new Promise<void>((resolve, reject) => {
    sock.once('error', (e) => {
      try {
        sock.close()
      } catch {
        // never bound, so there may be nothing to close: the bind error below is the answer
      }
      reject(toIoError(e))
    })
    sock.bind(p, host, () => resolve())
  })
  if (ctx.closed) {
    sock.close()
    throw new IoError('closed', 'session closed')
  }
  const handle = ctx.newHandle()
  ctx.handles.set(handle, new UdpRes(ctx, handle, sock))
  const a = sock.address()
  return { handle, address: a.address, port: a.port }
}
