import {
  IoError,
  type ConnectLimits,
  type MulticastOptions,
  type NetPort,
  type PortMapping,
  type PortMappingStatus,
  type TcpConnectOptions,
  type TcpListener,
  type TcpListenOptions,
  type TcpSocket,
  type UdpBindOptions,
  type UdpSocket,
} from '@tidepool/engine'
import type { BridgeClient, HandleSink } from './bridge-client.ts'
import { BridgeTcpSocket } from './bridge-tcp-socket.ts'
import { Capability, Ev, Op } from './protocol.ts'

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0
}

/** NetPort over the bridge: sockets live in the daemon, bytes travel as DATA frames. */
export class BridgeNet implements NetPort {
  /** Daemon handles of the listeners and UDP sockets we made (what portmap ops name). */
  private readonly handles = new WeakMap<object, number>()
  /** EVENT portmap receivers by handle. */
  private readonly portmapWatchers = new Map<number, (s: PortMappingStatus) => void>()

  constructor(private readonly c: BridgeClient) {}

  get canMapPorts(): boolean {
    return this.c.capabilities.has(Capability.portmap)
  }

  async mapPort(target: TcpListener | UdpSocket, onStatus: (s: PortMappingStatus) => void): Promise<PortMapping> {
    const handle = this.handles.get(target)
    if (handle === undefined) throw new IoError('invalid', 'not a listener or UDP socket of this connection')
    if (!this.canMapPorts) throw new IoError('unsupported', 'the daemon does not map ports')
    const c = this.c
    let current: PortMappingStatus
    let removed = false
    this.portmapWatchers.set(handle, (s) => {
      current = s
      onStatus(s)
    })
    try {
      current = (await c.request(Op.portmapAdd, { handle })).meta as unknown as PortMappingStatus
    } catch (e) {
      this.portmapWatchers.delete(handle)
      throw e
    }
    const watchers = this.portmapWatchers
    return {
      get status() {
        return current
      },
      async remove() {
        if (removed) return
        removed = true
        watchers.delete(handle)
        // The socket may have closed already, taking its mapping with it: nothing left to remove.
        await c.request(Op.portmapRemove, { handle }).catch(() => undefined)
      },
    }
  }

  private portmapEvent(handle: number, ev: number, meta: Record<string, unknown>): boolean {
    if (ev !== Ev.portmap) return false
    this.portmapWatchers.get(handle)?.(meta as unknown as PortMappingStatus)
    return true
  }

  get connectLimits(): ConnectLimits {
    const l = this.c.limits
    return {
      maxConnectsInFlight: l.maxConnectsInFlight,
      maxConnectsPending: l.maxConnectsPending,
      connectTimeoutMs: l.connectTimeoutMs,
    }
  }

  get multicast(): boolean {
    return this.c.capabilities.has(Capability.udpMulticast)
  }

  get udpScope(): 'any' | 'local' {
    return this.c.udpScope
  }

  get utp(): boolean {
    return this.c.utp
  }

  async connect(opts: TcpConnectOptions): Promise<TcpSocket> {
    const meta: Record<string, unknown> = { host: opts.host, port: opts.port }
    if (opts.transport === 'utp') {
      // an older daemon would ignore the field and connect over TCP: refuse instead
      if (!this.utp) throw new IoError('unsupported', 'this daemon has no uTP')
      meta.transport = 'utp'
    }
    if (opts.tls) meta.tls = true
    if (opts.servername) meta.servername = opts.servername
    const framable = opts.framable === true && this.c.dataPlane !== undefined
    if (framable) meta.framable = true
    const r = await this.c.request(Op.tcpConnect, meta)
    const handle = num(r.meta.handle)
    const s = new BridgeTcpSocket(
      this.c,
      handle,
      String(r.meta.remoteAddress ?? opts.host),
      num(r.meta.remotePort) || opts.port,
      opts.transport === 'utp' ? 'utp' : 'tcp',
      framable,
    )
    this.c.register(handle, s)
    return s
  }

  async listen(opts: TcpListenOptions, onConnection: (socket: TcpSocket) => void): Promise<TcpListener> {
    const meta: Record<string, unknown> = opts.host ? { host: opts.host, port: opts.port } : { port: opts.port }
    if (opts.utp && this.utp) meta.utp = true // without the capability: TCP only, as `utp` in the reply says
    const framable = opts.framable === true && this.c.dataPlane !== undefined
    if (framable) meta.framable = true
    const r = await this.c.request(Op.tcpListen, meta)
    const handle = num(r.meta.handle)
    const c = this.c
    let open = true
    const sink: HandleSink = {
      onWireData() {},
      onWireEvent: (ev, meta) => {
        if (this.portmapEvent(handle, ev, meta)) return
        if (ev === Ev.accept && open) {
          const h = num(meta.handle)
          const s = new BridgeTcpSocket(
            c,
            h,
            String(meta.remoteAddress ?? ''),
            num(meta.remotePort),
            meta.transport === 'utp' ? 'utp' : 'tcp',
            framable,
          )
          c.register(h, s)
          onConnection(s)
        } else if (ev === Ev.close) {
          open = false
          this.portmapWatchers.delete(handle)
          c.forget(handle)
        }
      },
      onBridgeClosed() {
        open = false
      },
    }
    this.c.register(handle, sink)
    const listener: TcpListener = {
      port: num(r.meta.port),
      utp: r.meta.utp === true,
      close: () => {
        if (!open) return
        open = false
        this.portmapWatchers.delete(handle)
        c.forget(handle)
        c.fireAndForget(Op.listenerClose, { handle })
      },
    }
    this.handles.set(listener, handle)
    return listener
  }

  async bindUdp(
    opts: UdpBindOptions,
    onMessage: (data: Uint8Array, from: { address: string; port: number }) => void,
  ): Promise<UdpSocket> {
    const meta: Record<string, unknown> = {}
    if (opts.host) meta.host = opts.host
    if (opts.port !== undefined) meta.port = opts.port
    if (opts.reuseAddr) {
      // an old daemon would ignore the flag and fail to share the port: say so instead
      if (!this.multicast)
        throw new IoError('unsupported', 'this daemon cannot share UDP ports (no udp-multicast capability)')
      meta.reuseAddr = true
    }
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
      onWireEvent: (ev, meta) => {
        if (this.portmapEvent(handle, ev, meta)) return
        if (ev === Ev.close) {
          open = false
          this.portmapWatchers.delete(handle)
        }
      },
      onBridgeClosed() {
        open = false
      },
    })
    const sock: UdpSocket = {
      port: num(r.meta.port),
      send(data, address, port) {
        if (open) c.sendData(handle, data, { address, port })
      },
      joinMulticast: async (m: MulticastOptions) => {
        if (!this.multicast) throw new IoError('unsupported', 'this daemon has no udp-multicast capability')
        if (!open) throw new IoError('closed', 'UDP socket closed')
        const meta: Record<string, unknown> = { handle, group: m.group }
        if (m.interface !== undefined) meta.interface = m.interface
        if (m.ttl !== undefined) meta.ttl = m.ttl
        if (m.loopback !== undefined) meta.loop = m.loopback
        await c.request(Op.udpMulticast, meta)
      },
      close: () => {
        if (!open) return
        open = false
        this.portmapWatchers.delete(handle)
        c.forget(handle)
        c.fireAndForget(Op.udpClose, { handle })
      },
    }
    this.handles.set(sock, handle)
    return sock
  }
}
