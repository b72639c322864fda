import { IoError, type IoErrorCode } from '@tidepool/engine'
import { decodeFrame, encodeCredit, encodeFrame, encodeFrameInto, HEADER_BYTES, writeHeader } from './frame-codec.ts'
import { SendPool } from './send-pool.ts'
import { BridgeFiles } from './bridge-files.ts'
import { BridgeNet } from './bridge-net.ts'
import { BridgeStreams } from './bridge-streams.ts'
import { BridgeDataPlane } from './bridge-data-plane.ts'
import { Capability, Kind, Op, PROTOCOL_VERSION, type DaemonLimits, type HelloReply } from './protocol.ts'
import type { SocketHost } from './bridge-tcp-socket.ts'
import type { WebSocketCtor, WebSocketLike } from './websocket-like.ts'

export interface ConnectBridgeOptions {
  url: string
  token: string
  /** Origin header to send (Node only; browsers set it themselves). */
  origin?: string
  /** WebSocket constructor; default globalThis.WebSocket. In Node pass `WebSocket` from 'ws'. */
  WebSocketImpl?: WebSocketCtor
  /**
   * An already-created connection to use instead of opening one to `url` (a daemon in this process:
   * `RunningDaemon.connectInProcess()`). `url` then only names the daemon in error messages.
   */
  socket?: WebSocketLike
  /** Give up connecting + hello after this long. Default 10 s. */
  timeoutMs?: number
  /** 'nodebuffer' (Node `ws` only) delivers messages as Buffers without an ArrayBuffer copy. Default 'arraybuffer'. */
  binaryType?: 'arraybuffer' | 'nodebuffer'
  /** How large frames are put on the WebSocket; default 'fresh' (any WebSocket). See SendMode. */
  sendMode?: SendMode
  /** Extra options for a Node `ws` constructor (ignored by browsers). */
  wsOptions?: Record<string, unknown>
}

/**
 * How the client puts frames with a large payload (file writes, big TCP writes) on its WebSocket. Which
 * one is right depends on what the WebSocket does with the bytes it is given:
 * - 'fresh': header and payload are copied into a fresh buffer per frame. Works with any WebSocket.
 * - 'fragments': the header goes out as one fragment and the payload, uncopied, as a second. Needs
 *   `send(data, { fin })` (Node `ws`; an in-process link, where it is the zero-copy path).
 * - 'pool': frames are assembled in reused buffers that come back from the WebSocket's write callback
 *   and go out whole (the daemon need not reassemble fragments); 'fragments' while all are in flight.
 *   Needs a WebSocket that does not copy and calls `send`'s callback once written (Node `ws` with a
 *   zero mask; never an in-process link, which has no such moment).
 * - 'scratch': frames are assembled in one reused buffer. Only for a WebSocket that copies what `send()`
 *   is given before it returns, as browsers do (WHATWG; Node `ws` keeps a reference instead): in a
 *   browser engine worker a fresh megabyte per piece write cost as much as the send itself.
 */
export type SendMode = 'fresh' | 'fragments' | 'pool' | 'scratch'

export type BridgeCloseReason =
  | 'closed-by-client'
  | 'auth-failed'
  | 'unreachable'
  | 'protocol-error'
  | 'connection-lost'

export interface Reply {
  meta: Record<string, unknown>
  payload: Uint8Array
}

/** Frames for a handle go to whoever registered it. */
export interface HandleSink {
  onWireData(bytes: Uint8Array, meta: Record<string, unknown>): void
  onWireEvent(ev: number, meta: Record<string, unknown>): void
  onBridgeClosed(): void
}

/** Sockets stop writing (write() → false) while the WebSocket has more than this queued. */
const WIRE_HIGH = 8 * 1024 * 1024
const WIRE_LOW = 2 * 1024 * 1024
/** TCP writes larger than this are sent as several DATA frames. */
const MAX_DATA_SEND = 1024 * 1024
/** Pooled send buffers: room for a MAX_DATA_SEND payload (or a 1 MiB file write) plus header and meta. */
const POOL_BUFFER_BYTES = MAX_DATA_SEND + 64 * 1024
const POOL_BUFFERS = 8
/** Payloads from this size are large: the send mode decides how they go out. */
const FRAGMENT_FROM = 16 * 1024
/**
 * Credit is granted in batches of a quarter window (64 KiB..1 MiB), the rest after a short timer:
 * one CREDIT per few DATA frames keeps the client's per-message cost down.
 */
function creditBatch(window: number): number {
  return Math.max(64 * 1024, Math.min(1024 * 1024, Math.floor(window / 4)))
}

/**
 * One authenticated connection to a daemon (docs/daemon-protocol.md). Runs unchanged in a browser
 * worker and in Node. `net` and `files` implement the engine's NetPort and FilePort.
 */
export class BridgeClient implements SocketHost {
  readonly net: BridgeNet
  readonly files: BridgeFiles
  /** Local URLs for media players (works when the daemon announced `stream-http`). */
  readonly streams: BridgeStreams
  private dp: BridgeDataPlane | undefined
  /** The daemon's piece store, when it announced `data-plane` (undefined otherwise). */
  /** dp.send takes runs of blocks (`data-plane-runs`). */
  get blockRuns(): boolean {
    return this.capabilities.has(Capability.dataPlaneRuns)
  }
  get dataPlane(): BridgeDataPlane | undefined {
    if (!this.capabilities.has(Capability.dataPlane)) return undefined
    this.dp ??= new BridgeDataPlane(this)
    return this.dp
  }
  limits!: DaemonLimits
  roots: string[] = []
  /** Where this daemon sends UDP: "local" = only to loopback and private addresses (hello `udpScope`). */
  udpScope: 'any' | 'local' = 'any'
  /** The daemon's udp.bind takes `ipv6Only` (capability `udp-ipv6-only`). */
  /** The daemon offers uTP streams (tcp.connect `transport`, tcp.listen `utp`). */
  get utp(): boolean {
    return this.capabilities.has(Capability.utp)
  }

  get udpIpv6Only(): boolean {
    return this.capabilities.has(Capability.udpIpv6Only)
  }
  /** Each root's path where the daemon announced it (an older daemon does not). */
  rootPaths: Record<string, string> = {}
  daemonVersion = ''
  /** Optional features the daemon announced in its hello (protocol.ts `Capability`). */
  capabilities: ReadonlySet<string> = new Set()
  /** Called once when the connection ends, with why. */
  onClose: ((reason: BridgeCloseReason, detail: string) => void) | null = null
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: IoError) => void }>()
  private readonly sinks = new Map<number, HandleSink>()
  private readonly owed = new Map<number, number>()
  private creditTimer: ReturnType<typeof setTimeout> | undefined
  private drainWaiters: Array<() => void> = []
  private drainTimer: ReturnType<typeof setTimeout> | undefined
  private closedReason: BridgeCloseReason | null = null
  private lastError: IoError | null = null
  private creditBatch = 64 * 1024
  private readonly pool: SendPool | null
  /** 'scratch': the one buffer large frames are assembled in (grown on demand, up to POOL_BUFFER_BYTES). */
  private scratch: Uint8Array | null = null

  constructor(
    private readonly ws: WebSocketLike,
    private readonly sendMode: SendMode = 'fresh',
  ) {
    this.pool = sendMode === 'pool' ? new SendPool(POOL_BUFFER_BYTES, POOL_BUFFERS) : null
    this.net = new BridgeNet(this)
    this.files = new BridgeFiles(this)
    this.streams = new BridgeStreams(this)
  }

  get closed(): boolean {
    return this.closedReason !== null
  }

  /** @internal used by connectBridge */
  attach(onFirstClose: (reason: BridgeCloseReason, detail: string) => void): void {
    this.ws.onmessage = (ev) => this.onMessage(ev.data)
    this.ws.onclose = (ev) => {
      const reason: BridgeCloseReason =
        ev.code === 4001
          ? 'auth-failed'
          : [1002, 1003, 1008, 1009, 4002].includes(ev.code)
            ? 'protocol-error'
            : 'connection-lost'
      this.shutdown(reason, ev.reason || this.lastError?.message || `closed (${ev.code})`)
      onFirstClose(reason, ev.reason)
    }
  }

  request(op: number, meta: object, payload?: Uint8Array): Promise<Reply> {
    if (this.closed) return Promise.reject(new IoError('closed', 'daemon connection closed'))
    const id = this.nextId
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.sendFrame(Kind.REQUEST, id, op, meta, payload)
    })
  }

  /**
   * A request whose answer is handled synchronously in the message handler of its REPLY (tcp.frame:
   * no DATA after the REPLY may be delivered before `onReply` has run, not even a microtask later).
   */
  requestNow(
    op: number,
    meta: object,
    payload: Uint8Array | undefined,
    onReply: (r: Reply | null, err?: IoError) => void,
  ): void {
    if (this.closed) return onReply(null, new IoError('closed', 'daemon connection closed'))
    const id = this.nextId
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1
    this.pending.set(id, { resolve: (r) => onReply(r), reject: (e) => onReply(null, e) })
    this.sendFrame(Kind.REQUEST, id, op, meta, payload)
  }

  /**
   * A request whose answer nobody waits for (tcp.end, tcp.close of a socket already finished on this
   * side). Its only failures are `closed` (the handle or the whole connection is gone, which is what
   * was asked for) or an error about a socket the caller has already let go of.
   */
  fireAndForget(op: number, meta: object): void {
    // fire and forget (closing a handle): the daemon frees it with the session even when this fails
    this.request(op, meta).catch(() => undefined)
  }

  /** The daemon's roots changed (roots.list after a grant or revoke). */
  setRoots(roots: string[], rootPaths: Record<string, string> | undefined): void {
    if (!Array.isArray(roots)) return
    this.roots = roots.filter((r) => typeof r === 'string')
    this.rootPaths = rootPaths && typeof rootPaths === 'object' ? { ...rootPaths } : {}
  }

  register(handle: number, sink: HandleSink): void {
    this.sinks.set(handle, sink)
  }

  forget(handle: number): void {
    this.sinks.delete(handle)
    this.owed.delete(handle)
  }

  sendData(handle: number, data: Uint8Array, meta?: object): void {
    if (this.closed) return
    // A message over maxFrameBytes would make the daemon drop the whole connection: split big writes.
    const max = Math.min(MAX_DATA_SEND, (this.limits?.maxFrameBytes ?? MAX_DATA_SEND) - 64 * 1024)
    if (!meta && data.length > max) {
      for (let at = 0; at < data.length; at += max) this.sendData(handle, data.subarray(at, at + max))
      return
    }
    if (meta || this.sendMode !== 'fresh') return this.sendFrame(Kind.DATA, handle, 0, meta, data)
    const f = new Uint8Array(HEADER_BYTES + data.length)
    writeHeader(f, 0, Kind.DATA, handle, 0, 0)
    f.set(data, HEADER_BYTES)
    this.ws.send(f)
  }

  /** One frame; a large payload goes out as the send mode says. */
  private sendFrame(kind: number, id: number, op: number, meta: object | undefined, payload?: Uint8Array): void {
    const big = payload !== undefined && payload.length >= FRAGMENT_FROM
    const buf = big && this.pool ? this.pool.take(HEADER_BYTES + 4096 + payload.length) : null
    if (buf && payload) {
      const pool = this.pool!
      const n = encodeIntoOrNull(buf, kind, id, op, meta, payload)
      if (n !== null) return this.ws.send(buf.subarray(0, n), { binary: true }, () => pool.give(buf))
      pool.give(buf)
      return this.ws.send(encodeFrame(kind, id, op, meta, payload))
    }
    if (big && (this.sendMode === 'fragments' || this.sendMode === 'pool')) {
      this.ws.send(encodeFrame(kind, id, op, meta), { binary: true, fin: false })
      this.ws.send(payload, { binary: true, fin: true })
      return
    }
    const scratch = big && this.sendMode === 'scratch' ? this.scratchFor(HEADER_BYTES + 4096 + payload.length) : null
    const n = scratch && payload ? encodeIntoOrNull(scratch, kind, id, op, meta, payload) : null
    this.ws.send(n !== null ? scratch!.subarray(0, n) : encodeFrame(kind, id, op, meta, payload))
  }

  private scratchFor(n: number): Uint8Array | null {
    if (n > POOL_BUFFER_BYTES) return null
    if (!this.scratch || this.scratch.length < n)
      this.scratch = new Uint8Array(Math.min(POOL_BUFFER_BYTES, Math.max(n, 256 * 1024)))
    return this.scratch
  }

  wireFull(): boolean {
    return this.ws.bufferedAmount > WIRE_HIGH
  }

  whenWireDrains(fn: () => void): void {
    if (this.ws.bufferedAmount <= WIRE_LOW) {
      queueMicrotask(fn)
      return
    }
    this.drainWaiters.push(fn)
    if (this.drainTimer === undefined) this.pollDrain()
  }

  private pollDrain(): void {
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined
      if (this.closed) return
      if (this.ws.bufferedAmount > WIRE_LOW) return this.pollDrain()
      const fns = this.drainWaiters
      this.drainWaiters = []
      for (const f of fns) f()
    }, 2)
  }

  grantCredit(handle: number, bytes: number): void {
    if (this.closed || !this.sinks.has(handle)) return
    const n = (this.owed.get(handle) ?? 0) + bytes
    if (n >= this.creditBatch) {
      this.owed.delete(handle)
      this.ws.send(encodeCredit(handle, n))
      return
    }
    this.owed.set(handle, n)
    if (this.creditTimer === undefined) {
      this.creditTimer = setTimeout(() => {
        this.creditTimer = undefined
        if (this.closed) return
        for (const [h, b] of this.owed) if (b > 0) this.ws.send(encodeCredit(h, b))
        this.owed.clear()
      }, 5)
    }
  }

  private onMessage(data: unknown): void {
    const msg = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null
    if (!msg) return this.protocolError('text frame from daemon')
    const r = decodeFrame(msg)
    if (!r.ok) return this.protocolError(r.reason)
    const f = r.frame
    switch (f.kind) {
      case Kind.DATA:
        this.sinks.get(f.id)?.onWireData(f.payload, f.meta)
        return
      case Kind.EVENT:
        this.sinks.get(f.id)?.onWireEvent(f.op, f.meta)
        return
      case Kind.REPLY:
      case Kind.ERROR: {
        const p = this.pending.get(f.id)
        if (!p) {
          if (f.kind === Kind.ERROR) this.lastError = errorOf(f.meta)
          return
        }
        this.pending.delete(f.id)
        if (f.kind === Kind.REPLY) p.resolve({ meta: f.meta, payload: f.payload })
        else p.reject(errorOf(f.meta))
        return
      }
      default:
        return this.protocolError(`unexpected kind ${f.kind}`)
    }
  }

  private protocolError(detail: string): void {
    this.shutdown('protocol-error', detail)
    this.ws.close(1002, 'protocol error')
  }

  private shutdown(reason: BridgeCloseReason, detail: string): void {
    if (this.closedReason) return
    this.closedReason = reason
    clearTimeout(this.creditTimer)
    clearTimeout(this.drainTimer)
    const err = new IoError(reason === 'auth-failed' ? 'auth' : 'closed', `daemon connection ended: ${detail}`)
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    const sinks = [...this.sinks.values()]
    this.sinks.clear()
    for (const s of sinks) s.onBridgeClosed()
    this.onClose?.(reason, detail)
  }

  /** Close the connection; the daemon then closes everything this client opened. */
  close(): void {
    if (this.closed) return
    this.shutdown('closed-by-client', 'closed by client')
    this.ws.close(1000, 'bye')
  }

  /** @internal the hello exchange */
  async hello(token: string): Promise<void> {
    const r = await this.request(Op.hello, { token, protocol: PROTOCOL_VERSION })
    const h = r.meta as unknown as HelloReply
    this.limits = h.limits
    this.creditBatch = creditBatch(h.limits.recvWindowBytes)
    this.roots = h.roots
    this.udpScope = h.udpScope === 'local' ? 'local' : 'any'
    this.rootPaths = h.rootPaths && typeof h.rootPaths === 'object' ? { ...h.rootPaths } : {}
    this.daemonVersion = h.daemonVersion
    this.capabilities = new Set(
      Array.isArray(h.capabilities) ? h.capabilities.filter((c): c is string => typeof c === 'string') : [],
    )
  }
}

/** encodeFrameInto, or null when the frame does not fit `buf` (meta longer than the slack left for it). */
function encodeIntoOrNull(
  buf: Uint8Array,
  kind: number,
  id: number,
  op: number,
  meta: object | undefined,
  payload: Uint8Array,
): number | null {
  try {
    return encodeFrameInto(buf, kind, id, op, meta, payload)
  } catch (e) {
    if (e instanceof RangeError) return null
    throw e
  }
}

function errorOf(meta: Record<string, unknown>): IoError {
  const code = typeof meta.code === 'string' ? (meta.code as IoErrorCode) : 'io'
  return new IoError(code, typeof meta.message === 'string' ? meta.message : code)
}

/** Opens a WebSocket to the daemon, authenticates, and resolves with a ready client. */
export function connectBridge(opts: ConnectBridgeOptions): Promise<BridgeClient> {
  let ws: WebSocketLike
  if (opts.socket) ws = opts.socket
  else {
    const Impl = opts.WebSocketImpl ?? (globalThis as unknown as { WebSocket?: WebSocketCtor }).WebSocket
    if (!Impl) return Promise.reject(new IoError('unsupported', 'no WebSocket implementation'))
    // allowSynchronousEvents false: one message per task as in browsers, so a handle registered after its
    // REPLY (a microtask) never misses a DATA frame that arrived in the same socket read.
    const nodeOpts: Record<string, unknown> = {
      perMessageDeflate: false,
      maxPayload: 64 * 1024 * 1024,
      allowSynchronousEvents: false,
      ...opts.wsOptions,
    }
    if (opts.origin !== undefined) nodeOpts.origin = opts.origin
    try {
      ws = new Impl(opts.url, [], nodeOpts)
    } catch (e) {
      return Promise.reject(new IoError('invalid', `bad daemon url: ${(e as Error).message}`))
    }
  }
  ws.binaryType = opts.binaryType ?? 'arraybuffer'
  const client = new BridgeClient(ws, opts.sendMode)
  return new Promise((resolve, reject) => {
    let settled = false
    const fail = (e: IoError): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(e)
      try {
        ws.close()
      } catch {
        // Abandoning the connection: a WebSocketLike that throws here must not hide the error above.
      }
    }
    const timer = setTimeout(
      () => fail(new IoError('timeout', 'daemon did not answer in time')),
      opts.timeoutMs ?? 10_000,
    )
    let opened = false
    ws.onerror = (ev) => {
      const msg = String(
        (ev as { message?: string })?.message ?? (ev as { error?: Error })?.error?.message ?? 'WebSocket error',
      )
      if (!opened)
        fail(new IoError(/\b40[13]\b/.test(msg) ? 'auth' : 'unreachable', `cannot reach daemon at ${opts.url}: ${msg}`))
    }
    ws.onclose = (ev) =>
      fail(new IoError(opened ? 'auth' : 'unreachable', `daemon closed the connection (${ev.code} ${ev.reason})`))
    ws.onopen = () => {
      opened = true
      client.attach((reason, detail) =>
        fail(new IoError(reason === 'auth-failed' ? 'auth' : 'closed', detail || reason)),
      )
      client.hello(opts.token).then(
        () => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          ws.onerror = null
          resolve(client)
        },
        (e: IoError) => fail(e),
      )
    }
  })
}
