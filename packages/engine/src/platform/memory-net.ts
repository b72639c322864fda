/**
 * An in-memory NetPort for tests: engines on one MemoryNetwork connect to each other's listeners
 * without sockets. Streams honour the TcpSocket contract: write() returns false once the peer holds
 * more than `highWaterMark` undelivered bytes (a paused or handler-less receiver delivers nothing),
 * onDrain follows when it is consumed, end() is a FIN after queued data, close() is immediate.
 * Delivery is asynchronous (microtasks), so nothing re-enters the writer.
 * Written buffers are handed over without copying: the writer must not mutate them afterwards.
 */
import { FRAMABLE_KEEP_BYTES, MemoryDataPlaneTorrent, MemoryFraming } from './memory-data-plane.ts'
import { IoError } from './ports.ts'
import type {
  DataPlaneTorrent,
  FrameOptions,
  ConnectLimits,
  IoErrorCode,
  NetPort,
  TcpConnectOptions,
  TcpListener,
  TcpListenOptions,
  TcpSocket,
  TcpSocketHandlers,
  UdpBindOptions,
  UdpSocket,
} from './ports.ts'

/** What a connect attempt does: accept normally, fail with a code, or hang then fail with `timeout`. */
export type ConnectOutcome = 'accept' | 'timeout' | Exclude<IoErrorCode, 'timeout'>

export interface MemoryNetworkOptions {
  /** Undelivered bytes per direction before write() returns false. Default 256 KiB. */
  highWaterMark?: number
  /** Split delivered data into chunks of at most this size (exercises parsers). Default: as written. */
  maxChunk?: number
  /** Decides each connect; default: accept if a listener exists, else `refused`. */
  connectBehaviour?: (opts: TcpConnectOptions, from: string) => ConnectOutcome
  /** Timer used for `timeout` outcomes (injectable for fake clocks). */
  setTimer?: (fn: () => void, ms: number) => unknown
  connectLimits?: Partial<ConnectLimits>
  /** UDP sockets can join multicast groups: a datagram to a group reaches every member on its port. */
  multicast?: boolean
  /** Hosts offer uTP (`NetPort.utp`): listeners take `utp`, connects take `transport: 'utp'`. */
  utp?: boolean
  /**
   * Framable sockets keep the very buffers they deliver (as an in-process daemon does), not copies:
   * a receiver that changes a delivered buffer before framing corrupts what the platform replays.
   */
  keepDeliveredBuffers?: boolean
}

const DEFAULT_LIMITS: ConnectLimits = { maxConnectsInFlight: 64, maxConnectsPending: 1024, connectTimeoutMs: 10_000 }

type ListenFn = (socket: TcpSocket) => void
type UdpFn = (data: Uint8Array, from: { address: string; port: number }) => void

/** One bound in-memory UDP socket. */
interface UdpEntry {
  fn: UdpFn
  reuseAddr: boolean
  /** Our own datagrams to a group come back to us. */
  loopback: boolean
  /** The host's address: group datagrams come from here. */
  from: string
}

/** A wildcard bind address means the host's own address here. */
function hostKey(host: string | undefined, own: string): string {
  return host === undefined || host === '0.0.0.0' || host === '::' ? own : host
}

export class MemoryNetwork {
  readonly highWaterMark: number
  readonly maxChunk: number
  private readonly listeners = new Map<string, ListenFn>()
  /** Listeners whose accepted sockets can be framed. */
  private readonly framableListeners = new Set<string>()
  private readonly udp = new Map<string, UdpEntry[]>()
  /** group address → port → members */
  private readonly groups = new Map<string, Map<number, Set<UdpEntry>>>()
  private nextPort = 40000
  constructor(readonly options: MemoryNetworkOptions = {}) {
    this.highWaterMark = options.highWaterMark ?? 256 * 1024
    this.maxChunk = options.maxChunk ?? Infinity
  }

  /** A NetPort for a host with this address (e.g. '10.0.0.1'); hosts reach each other by address. */
  host(address: string): MemoryNetPort {
    return new MemoryNetPort(this, address)
  }

  allocPort(): number {
    return this.nextPort++
  }
  /** @internal */
  listenerAt(key: string): ListenFn | undefined {
    return this.listeners.get(key)
  }
  /** @internal */
  addListener(key: string, fn: ListenFn, framable = false): void {
    if (this.listeners.has(key)) throw new IoError('in-use', `address in use: ${key}`)
    this.listeners.set(key, fn)
    if (framable) this.framableListeners.add(key)
  }
  /** @internal */
  removeListener(key: string): void {
    this.listeners.delete(key)
    this.framableListeners.delete(key)
  }
  /** @internal */
  isFramable(key: string): boolean {
    return this.framableListeners.has(key)
  }
  /** @internal */
  udpAt(key: string): UdpFn | undefined {
    return this.udp.get(key)?.[0]?.fn
  }
  /** @internal */
  addUdp(key: string, entry: UdpEntry): void {
    const list = this.udp.get(key)
    if (list && !(entry.reuseAddr && list.every((e) => e.reuseAddr)))
      throw new IoError('in-use', `address in use: ${key}`)
    if (list) list.push(entry)
    else this.udp.set(key, [entry])
  }
  /** @internal */
  removeUdp(key: string, entry: UdpEntry): void {
    const list = this.udp.get(key)?.filter((e) => e !== entry) ?? []
    if (list.length > 0) this.udp.set(key, list)
    else this.udp.delete(key)
    for (const byPort of this.groups.values()) for (const members of byPort.values()) members.delete(entry)
  }
  /** @internal */
  join(group: string, port: number, entry: UdpEntry): void {
    let byPort = this.groups.get(group)
    if (!byPort) {
      byPort = new Map()
      this.groups.set(group, byPort)
    }
    let members = byPort.get(port)
    if (!members) {
      members = new Set()
      byPort.set(port, members)
    }
    members.add(entry)
  }
  /** @internal members of a group on a port, or null when `address` is no group anyone joined */
  groupMembers(address: string, port: number): Set<UdpEntry> | null {
    return this.groups.get(address)?.get(port) ?? null
  }
}

export class MemoryNetPort implements NetPort {
  readonly connectLimits: ConnectLimits
  /** Connects not yet settled; beyond in-flight + pending caps a connect is refused `busy`, like the daemon. */
  connectsInFlight = 0
  busyCount = 0
  constructor(
    private readonly net: MemoryNetwork,
    readonly address: string,
  ) {
    this.connectLimits = { ...DEFAULT_LIMITS, ...net.options.connectLimits }
  }

  get utp(): boolean {
    return this.net.options.utp === true
  }

  connect(opts: TcpConnectOptions): Promise<TcpSocket> {
    if (opts.transport === 'utp' && !this.utp) return Promise.reject(new IoError('unsupported', 'no uTP here'))
    const key = `${opts.host}:${opts.port}`
    const behaviour = this.net.options.connectBehaviour?.(opts, this.address) ?? 'accept'
    if (this.connectsInFlight >= this.connectLimits.maxConnectsInFlight + this.connectLimits.maxConnectsPending) {
      this.busyCount++
      return Promise.reject(new IoError('busy', `connect to ${key}: too many connects in flight`))
    }
    this.connectsInFlight++
    const settled = <T>(v: T): T => {
      this.connectsInFlight--
      return v
    }
    return this.attempt(opts, key, behaviour).then(settled, (e: unknown) => Promise.reject(settled(e)))
  }

  private attempt(opts: TcpConnectOptions, key: string, behaviour: ConnectOutcome): Promise<TcpSocket> {
    return new Promise((resolve, reject) => {
      if (behaviour === 'timeout') {
        const timer = this.net.options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms))
        timer(() => reject(new IoError('timeout', `connect to ${key} timed out`)), this.connectLimits.connectTimeoutMs)
        return
      }
      queueMicrotask(() => {
        if (behaviour !== 'accept') return reject(new IoError(behaviour, `connect to ${key}: ${behaviour}`))
        const utp = opts.transport === 'utp'
        const listenKey = utp ? `utp|${key}` : key
        const listener = this.net.listenerAt(listenKey)
        // TCP to a closed port is refused at once; uTP gets no answer (no RST for datagrams) and times out
        if (!listener)
          return reject(
            utp
              ? new IoError('timeout', `connect to ${key}: nobody answers`)
              : new IoError('refused', `connect to ${key}: refused`),
          )
        const localPort = this.net.allocPort()
        const a = new MemorySocket(this.net, opts.host, opts.port)
        const b = new MemorySocket(this.net, this.address, localPort)
        if (utp) a.transport = b.transport = 'utp'
        a.framable = opts.framable === true
        b.framable = this.net.isFramable(listenKey)
        a.peer = b
        b.peer = a
        listener(b)
        resolve(a)
      })
    })
  }

  async listen(opts: TcpListenOptions, onConnection: ListenFn): Promise<TcpListener> {
    const port = opts.port || this.net.allocPort()
    // '::' and '0.0.0.0' are this host, and one of them takes the port from the other (dual-stack)
    const key = `${hostKey(opts.host, this.address)}:${port}`
    this.net.addListener(key, onConnection, opts.framable === true)
    const utp = opts.utp === true && this.utp
    if (utp) this.net.addListener(`utp|${key}`, onConnection, opts.framable === true)
    const net = this.net
    return {
      port,
      utp,
      close: () => {
        net.removeListener(key)
        if (utp) net.removeListener(`utp|${key}`)
      },
    }
  }

  get multicast(): boolean {
    return this.net.options.multicast === true
  }

  async bindUdp(opts: UdpBindOptions, onMessage: UdpFn): Promise<UdpSocket> {
    const port = opts.port || this.net.allocPort()
    const address = hostKey(opts.host, this.address)
    const key = `${address}:${port}`
    const entry: UdpEntry = { fn: onMessage, reuseAddr: opts.reuseAddr === true, loopback: true, from: this.address }
    this.net.addUdp(key, entry)
    const net = this.net
    let open = true
    const sock: UdpSocket = {
      port,
      send(data, toAddress, toPort) {
        if (!open) return
        const members = net.groupMembers(toAddress, toPort)
        if (members) {
          for (const m of members)
            if (m !== entry || entry.loopback) queueMicrotask(() => m.fn(data, { address: entry.from, port }))
          return
        }
        const target = net.udpAt(`${toAddress}:${toPort}`)
        if (target) queueMicrotask(() => target(data, { address, port }))
      },
      close() {
        open = false
        net.removeUdp(key, entry)
      },
    }
    if (this.multicast) {
      sock.joinMulticast = async (m) => {
        if (!open) throw new IoError('closed', 'UDP socket closed')
        entry.loopback = m.loopback ?? true
        net.join(m.group, port, entry)
      }
    }
    return sock
  }
}

/** One end of an in-memory stream. `inbox` holds bytes written by the peer, not yet delivered. */
class MemorySocket implements TcpSocket {
  peer!: MemorySocket
  transport: 'tcp' | 'utp' = 'tcp'
  private handlers: TcpSocketHandlers | null = null // null until setHandlers: hold everything
  private readonly inbox: Uint8Array[] = []
  private inboxBytes = 0
  private finReceived = false // peer ended; deliver onEnd after the inbox empties
  private endDelivered = false
  private ended = false // we sent FIN
  private closed = false
  private paused = false
  private scheduled = false
  private writerBlocked = false // the peer's write returned false and waits for onDrain
  peerGone = false // the peer closed: close after delivering its FIN
  /** May be framed onto a MemoryDataPlane (opened or accepted `framable`). */
  framable = false
  /** Copies of what was delivered, kept until framed; null past FRAMABLE_KEEP_BYTES or once framed. */
  private kept: Uint8Array[] | null = []
  private keptBytes = 0
  private framing: MemoryFraming | null = null
  private framingAsked = false

  constructor(
    private readonly net: MemoryNetwork,
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}

  setHandlers(handlers: TcpSocketHandlers): void {
    this.handlers = handlers
    this.schedule()
  }

  write(data: Uint8Array): boolean {
    if (this.closed || this.ended) return false
    if (this.peer.closed) return false
    if (this.framing) this.framing.write(data)
    else this.push(data)
    return this.roomAtPeer()
  }

  private push(data: Uint8Array): void {
    const peer = this.peer
    if (this.closed || peer.closed || data.length === 0) return
    peer.inbox.push(data)
    peer.inboxBytes += data.length
    peer.schedule()
  }

  private roomAtPeer(): boolean {
    if (this.peer.inboxBytes < this.net.highWaterMark) return true
    this.peer.writerBlocked = true
    return false
  }

  frame(opts: FrameOptions, done: (framed: boolean, error?: IoError) => void): void {
    const refuse = (code: IoErrorCode, why: string) => queueMicrotask(() => done(false, new IoError(code, why)))
    if (!this.framable || this.framingAsked) return refuse('unsupported', 'this socket cannot be framed')
    if (!(opts.torrent instanceof MemoryDataPlaneTorrent)) return refuse('invalid', 'not a memory data plane torrent')
    this.framingAsked = true
    const torrent = opts.torrent
    // the platform answers later: raw bytes delivered meanwhile are kept and replayed framed
    queueMicrotask(() => {
      if (this.closed) return done(false, new IoError('closed', 'socket closed'))
      const kept = this.kept
      this.kept = null
      if (!kept) return done(false, new IoError('too-large', 'more than the framable window was delivered'))
      const all = concatChunks(kept, this.keptBytes)
      if (opts.at > all.length) return done(false, new IoError('invalid', `at ${opts.at} is past what was delivered`))
      this.framing = new MemoryFraming(torrent, opts, (bytes) => this.push(bytes))
      done(true)
      const replay = all.subarray(opts.at)
      if (replay.length > 0) {
        this.inbox.unshift(replay)
        this.inboxBytes += replay.length
      }
      this.schedule()
    })
  }

  sendBlock(
    torrent: DataPlaneTorrent,
    piece: number,
    begin: number,
    length: number,
    onError?: (e: IoError) => void,
  ): boolean {
    if (this.closed || !this.framing) {
      queueMicrotask(() => onError?.(new IoError('closed', 'not a framed socket')))
      return false
    }
    this.framing.sendBlock(torrent, piece, begin, length, onError)
    return this.roomAtPeer()
  }

  end(): void {
    if (this.closed || this.ended) return
    this.ended = true
    this.peer.finReceived = true
    this.peer.schedule()
    if (this.endDelivered) this.shutdown(undefined) // both directions finished
  }

  close(): void {
    if (this.closed) return
    this.shutdown(undefined)
    // The peer sees a FIN for what was already sent, then closes once that is delivered.
    if (!this.peer.closed) {
      this.peer.finReceived = true
      this.peer.peerGone = true
      this.peer.schedule()
    }
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    this.schedule()
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      this.deliver()
    })
  }

  private deliver(): void {
    const handlers = this.handlers
    if (!handlers || this.closed) return
    while (!this.closed && !this.paused && this.inbox.length > 0) {
      let chunk = this.inbox[0]!
      if (chunk.length > this.net.maxChunk) {
        this.inbox[0] = chunk.subarray(this.net.maxChunk)
        chunk = chunk.subarray(0, this.net.maxChunk)
      } else {
        this.inbox.shift()
      }
      this.inboxBytes -= chunk.length
      if (this.framing) {
        chunk = this.framing.receive(chunk.slice())
        if (this.framing.failed) return this.close()
        if (chunk.length === 0) continue
      } else if (this.kept) {
        this.keptBytes += chunk.length
        if (this.keptBytes > FRAMABLE_KEEP_BYTES || !this.framable) this.kept = null
        else this.kept.push(this.net.options.keepDeliveredBuffers ? chunk : chunk.slice())
      }
      handlers.onData?.(chunk)
    }
    if (this.closed) return
    if (this.inbox.length === 0 && this.writerBlocked) {
      this.writerBlocked = false
      this.peer.handlers?.onDrain?.()
    }
    if (this.inbox.length === 0 && this.finReceived && !this.endDelivered && !this.paused) {
      this.endDelivered = true
      handlers.onEnd?.()
      if (this.peerGone || this.ended) this.shutdown(undefined)
    }
  }

  private shutdown(error: IoError | undefined): void {
    if (this.closed) return
    this.closed = true
    this.framing?.close()
    this.inbox.length = 0
    this.inboxBytes = 0
    queueMicrotask(() => this.handlers?.onClose?.(error))
  }
}

function concatChunks(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}
