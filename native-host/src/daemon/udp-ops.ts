import dgram from 'node:dgram'
import net from 'node:net'
import { Kind, encodeFrame } from '@tidepool/daemon-bridge'
import { IoError } from '@tidepool/engine'
import { capsOf, checkHandleCap } from './handle-caps.ts'
import { toIoError } from './io-errors.ts'
import type { Resource, SessionContext } from './session-context.ts'
import { handleOf, port } from './tcp-ops.ts'
import { isLocalDestination, udpLocalOnly } from './udp-local-only.ts'
import { shareUtpPort } from './utp-ops.ts'

class UdpRes implements Resource {
  readonly kind = 'udp'
  private open = true
  /** Groups this socket joined through udp.multicast (the only multicast destinations a local-only daemon sends to). */
  readonly joined = new Set<string>()
  constructor(
    private readonly ctx: SessionContext,
    readonly handle: number,
    readonly sock: dgram.Socket,
    readonly ipv6: boolean,
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
    // see udp-local-only.ts; a group the socket joined is allowed: joining needs the udp-multicast
    // capability, which has a guard of its own (TIDEPOOL_NO_MULTICAST)
    if (udpLocalOnly() && !isLocalDestination(address) && !this.joined.has(address.toLowerCase())) return
    this.ctx.counters.bytesFromClients += payload.length
    try {
      this.sock.send(payload, p, address, () => {}) // a datagram that cannot be sent is lost, as UDP may lose it
    } catch {
      // e.g. an address of the wrong family: per-datagram failure, socket stays open
    }
  }

  bound(): { address: string; port: number } | undefined {
    if (!this.open) return undefined
    const a = this.sock.address()
    return { address: a.address, port: a.port }
  }

  close(): void {
    if (!this.open) return
    this.open = false
    this.ctx.handles.delete(this.handle)
    this.ctx.released(this.handle)
    this.sock.close()
  }
}

export async function udpBind(ctx: SessionContext, meta: Record<string, unknown>, multicast: boolean): Promise<object> {
  const host = typeof meta.host === 'string' ? meta.host : '0.0.0.0'
  const p = port(meta, 'port', true)
  if (meta.reuseAddr !== undefined && typeof meta.reuseAddr !== 'boolean')
    throw new IoError('invalid', 'reuseAddr must be a boolean')
  // part of the udp-multicast capability: a daemon without it must not share ports silently
  if (meta.reuseAddr === true && !multicast)
    throw new IoError('unsupported', 'reuseAddr needs the udp-multicast capability')
  checkHandleCap(ctx, 'udp', capsOf(ctx).caps.maxUdpPerClient)
  const v6 = host.includes(':')
  if (meta.ipv6Only !== undefined && typeof meta.ipv6Only !== 'boolean')
    throw new IoError('invalid', 'ipv6Only must be a boolean')
  // the port of one of this client's uTP listeners: share its socket (the DHT beside uTP on the listen port)
  const shared = meta.reuseAddr === true ? undefined : shareUtpPort(ctx, host, p, meta.ipv6Only === true)
  if (shared) {
    const handle = ctx.newHandle()
    // SharedUdp offers the part of dgram.Socket UdpRes uses (message, send, address, close); no multicast
    ctx.handles.set(handle, new UdpRes(ctx, handle, shared as unknown as dgram.Socket, v6))
    const a = shared.address()
    return { handle, address: a.address, port: a.port }
  }
  // IPv6-only: an IPv4 socket can then hold the same port number (a DHT node per family on one port)
  const sock = dgram.createSocket({
    type: v6 ? 'udp6' : 'udp4',
    reuseAddr: meta.reuseAddr === true,
    ...(v6 && meta.ipv6Only === true ? { ipv6Only: true } : {}),
  })
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
  ctx.handles.set(handle, new UdpRes(ctx, handle, sock, v6))
  const a = sock.address()
  return { handle, address: a.address, port: a.port }
}

function isMulticastGroup(group: string, ipv6: boolean): boolean {
  if (ipv6) return net.isIPv6(group) && /^ff/i.test(group)
  if (!net.isIPv4(group)) return false
  const first = Number(group.split('.')[0])
  return first >= 224 && first <= 239
}

/**
 * udp.multicast: joins `group` on the socket (on `interface`, else where the OS routes the group) and sets
 * the multicast TTL, loopback and, when given, the outgoing interface. Only with the udp-multicast capability.
 */
export function udpMulticast(ctx: SessionContext, meta: Record<string, unknown>): object {
  const r = ctx.handles.get(handleOf(meta))
  if (!(r instanceof UdpRes)) throw new IoError('closed', 'no such UDP socket')
  const group = meta.group
  if (typeof group !== 'string' || !isMulticastGroup(group, r.ipv6))
    throw new IoError('invalid', "group must be a multicast address of the socket's family")
  const iface = meta.interface
  if (iface !== undefined && (typeof iface !== 'string' || iface.length === 0 || iface.length > 64))
    throw new IoError('invalid', 'interface must be an address')
  const ttl = meta.ttl ?? 1
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 255)
    throw new IoError('invalid', 'ttl must be 0..255')
  const loop = meta.loop ?? true
  if (typeof loop !== 'boolean') throw new IoError('invalid', 'loop must be a boolean')
  try {
    // sending options first: once joined, the group may hear from us at once
    if (iface !== undefined) r.sock.setMulticastInterface(iface)
    r.sock.setMulticastTTL(ttl)
    r.sock.setMulticastLoopback(loop)
    if (iface !== undefined) r.sock.addMembership(group, iface)
    else r.sock.addMembership(group)
  } catch (e) {
    throw toIoError(e)
  }
  r.joined.add(group.toLowerCase())
  return {}
}
