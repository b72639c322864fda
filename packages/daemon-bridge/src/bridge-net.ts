import { IoError, type ConnectLimits, type NetPort, type TcpConnectOptions, type TcpListener, type TcpSocket, type UdpSocket } from '@tidepool/engine'
import type { BridgeClient, HandleSink } from './bridge-client.ts'
import { BridgeTcpSocket } from './bridge-tcp-socket.ts'
import { Ev, Op } from './protocol.ts'

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0
}

/** NetPort over the bridge: sockets live in the daemon, bytes travel as DATA frames. */
export class BridgeNet implements NetPort {
  constructor(private readonly c: BridgeClient) {}

  get connectLimits(): ConnectLimits {
    const l = this.c.limits
    return { maxConnectsInFlight: l.maxConnectsInFlight, maxConnectsPending: l.maxConnectsPending, connectTimeoutMs: l.connectTimeoutMs }
  }

  get udpScope(): 'any' | 'local' {
    return this.c.udpScope
  }

  async connect(opts: TcpConnectOptions): Promise<TcpSocket> {
    const meta: Record<string, unknown> = { host: opts.host, port: opts.port }
    if (opts.tls) meta.tls = true
    if (opts.servername) meta.servername = opts.servername
    const r = await this.c.request(Op.tcpConnect, meta)
    const handle = num(r.meta.handle)
    const s = new BridgeTcpSocket(this.c, handle, String(r.meta.remoteAddress ?? opts.host), num(r.meta.remotePort) || opts.port)
    this.c.register(handle, s)
    return s
  }

  async listen(opts: { host?: string; port: number }, onConnection: (socket: TcpSocket) => void): Promise<TcpListener> {
    const r = await this.c.request(Op.tcpListen, opts.host ? { host: opts.host, port: opts.port } : { port: opts.port })
    const handle = num(r.meta.handle)
    const c = this.c
    let open = true
    const sink: HandleSink = {
      onWireData() {},
      onWireEvent(ev, meta) {
        if (ev === Ev.accept && open) {
          const h = num(meta.handle)
          const s = new BridgeTcpSocket(c, h, String(meta.remoteAddress ?? ''), num(meta.remotePort))
          c.register(h, s)
          onConnection(s)
        } else if (ev === Ev.close) {
          open = false
          c.forget(handle)
        }
      },
      onBridgeClosed() {
        open = false
      },
    }
    this.c.register(handle, sink)
    return {
      port: num(r.meta.port),
      close() {
        if (!open) return
        open = false
        c.forget(handle)
        c.fireAndForget(Op.listenerClose, { handle })
      },
    }
  }

  async bindUdp(
    opts: { host?: string; port?: number; ipv6Only?: boolean },
    onMessage: (data: Uint8Array, from: { address: string; port: number }) => void,
  ): Promise<UdpSocket> {
    const meta: Record<string, unknown> = {}
    if (opts.host) meta.host = opts.host
    if (opts.port !== undefined) meta.port = opts.port
    if (opts.ipv6Only) {
      // an older daemon would bind dual-stack and take the IPv4 port too: refuse instead
      if (!this.c.udpIpv6Only) throw new IoError('unsupported', 'this daemon cannot bind IPv6-only UDP sockets')
      meta.ipv6Only = true
    }
    const r = await this.c.request(Op.udpBind, meta)
    const handle = num(r.meta.handle)
    const c = this.c
    let open = true
    c.register(handle, {
      onWireData(bytes, m) {
        if (open) onMessage(bytes, { address: String(m.address ?? ''), port: num(m.port) })
      },
      onWireEvent(ev) {
        if (ev === Ev.close) open = false
      },
      onBridgeClosed() {
        open = false
      },
    })
    return {
      port: num(r.meta.port),
      send(data, address, port) {
        if (open) c.sendData(handle, data, { address, port })
      },
      close() {
        if (!open) return
        open = false
        c.forget(handle)
        c.fireAndForget(Op.udpClose, { handle })
      },
    }
  }
}
