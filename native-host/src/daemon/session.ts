import { createHash, timingSafeEqual } from 'node:crypto'
import {
  CloseCode,
  decodeFrameParts,
  encodeFrame,
  Capability,
  Kind,
  Op,
  PROTOCOL_VERSION,
  readCredit,
  type DaemonLimits,
  type HelloReply,
} from '@tidepool/daemon-bridge'
import { IoError } from '@tidepool/engine'
import type { ConnectGate } from './connect-gate.ts'
import { defaultCaps, registerCaps, type CapCounters, type DaemonCaps } from './handle-caps.ts'
import { fileOp, type OpResult } from './file-ops.ts'
import { toIoError } from './io-errors.ts'
import type { PathGuard } from './path-guard.ts'
import type { SessionSocket } from './in-process-link.ts'
import type { DaemonCounters, Resource, SessionContext } from './session-context.ts'
import { handleOf, socketOf, tcpConnect, tcpListen } from './tcp-ops.ts'
import { udpLocalOnly } from './udp-local-only.ts'
import { udpBind, udpMulticast } from './udp-ops.ts'
import { disposeSessionUtp } from './utp-ops.ts'
import { SessionPortMaps } from './portmap-ops.ts'
import { SessionStreams } from './stream-ops.ts'
import type { StreamRegistry } from './stream-registry.ts'
import type { PortMapper } from './portmap/port-mapper.ts'
import { cancelMove, startMove } from './move-ops.ts'
import type { RootGrants } from './root-grants.ts'
import { SessionDataPlane } from './data-plane/dp-ops.ts'
import { HashPool } from './data-plane/hash-pool.ts'

export const DAEMON_VERSION = '0.1.0'
/** Above this many bytes queued on the WebSocket, stop reading this client's sockets. */
const WS_HIGH = 8 * 1024 * 1024
const WS_LOW = 2 * 1024 * 1024
/** file.read bytes being read plus bytes queued on the WebSocket: beyond this, reads answer busy. */
const READ_BUDGET = 4 * WS_HIGH
/**
 * A connection that has not authenticated by then is closed. Clients send their hello as soon as they
 * are connected; a short deadline keeps connections that never will from holding an fd for long.
 */
export const HELLO_TIMEOUT_MS = 3000

export interface SessionDeps {
  limits: DaemonLimits
  gate: ConnectGate
  guard: PathGuard
  counters: DaemonCounters
  tokenHash: Buffer
  helloTimeoutMs: number
  caps?: DaemonCaps
  capCounts?: CapCounters
  /** Called once when hello succeeds (the daemon counts unauthenticated sessions). */
  onAuthed?: () => void
  /** Offer the udp-multicast capability (reuseAddr, udp.multicast). */
  multicast?: boolean
  /** Present when the daemon maps ports (capability `portmap`). */
  portMapper?: PortMapper
  /** Present when roots can be granted while the daemon runs (capability `root-grants`). */
  grants?: RootGrants
  /** Offer fs.move (capability `fs-move`); default true. */
  fsMove?: boolean
  /** Offer uTP streams (capability `utp`); default true. */
  utp?: boolean
  /** Present when the daemon serves published files over HTTP (capability `stream-http`). */
  streams?: StreamRegistry
  /** Offer the data plane (capability `data-plane`); default true. */
  dataPlane?: boolean
  /** The daemon's SHA-1 workers for data-plane pieces (absent: hashed on the main thread). */
  hashPool?: HashPool
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest()
}

/** One authenticated (or authenticating) client (a WebSocket, or an InProcessLink) and everything it opened. */
export class Session implements SessionContext {
  readonly limits: DaemonLimits
  readonly gate: ConnectGate
  readonly guard: PathGuard
  readonly counters: DaemonCounters
  readonly handles = new Map<number, Resource>()
  congested = false
  closed = false
  private authed = false
  private nextHandle = 1
  private readonly connecting = new Set<() => void>()
  private deferred: Array<() => void> = []
  private deferScheduled = false
  private congestionTimer: ReturnType<typeof setTimeout> | undefined
  private helloTimer: ReturnType<typeof setTimeout> | undefined
  private readonly caps: DaemonCaps
  private readonly capCounts: CapCounters
  private inFlight = 0
  private readBytesInFlight = 0
  private readonly portMaps: SessionPortMaps | undefined
  private readonly streams: SessionStreams | undefined
  private readonly dp: SessionDataPlane | undefined

  constructor(
    private readonly ws: SessionSocket,
    private readonly deps: SessionDeps,
  ) {
    this.limits = deps.limits
    this.gate = deps.gate
    this.guard = deps.guard
    this.counters = deps.counters
    this.caps = deps.caps ?? defaultCaps()
    this.capCounts = deps.capCounts ?? { acceptsRefused: 0, capBusy: 0, sendCapCloses: 0 }
    registerCaps(this, this.caps, this.capCounts)
    this.portMaps = deps.portMapper ? new SessionPortMaps(this, deps.portMapper) : undefined
    this.streams = deps.streams ? new SessionStreams(this, deps.streams) : undefined
    this.dp = deps.dataPlane !== false ? new SessionDataPlane(this, deps.hashPool ?? new HashPool(0)) : undefined
    ws.on('message', (data: Buffer | Buffer[], isBinary: boolean) =>
      this.onMessage(Array.isArray(data) ? data : [data], isBinary),
    )
    ws.on('close', () => this.dispose())
    ws.on('error', () => this.dispose())
    this.helloTimer = setTimeout(() => {
      if (!this.authed) this.kill(CloseCode.auth, 'no hello in time')
    }, deps.helloTimeoutMs)
  }

  /** The hello succeeded. */
  get authenticated(): boolean {
    return this.authed
  }

  newHandle(): number {
    return this.nextHandle++
  }

  send(frame: Uint8Array): void {
    if (this.closed) return
    this.ws.send(frame, { binary: true })
    if (!this.congested && this.ws.bufferedAmount > WS_HIGH) this.setCongested(true)
  }

  event(handle: number, ev: number, meta?: object): void {
    this.send(encodeFrame(Kind.EVENT, handle, ev, meta))
  }

  defer(fn: () => void): void {
    this.deferred.push(fn)
    if (this.deferScheduled) return
    this.deferScheduled = true
    setImmediate(() => {
      this.deferScheduled = false
      const fns = this.deferred
      this.deferred = []
      for (const f of fns) f()
    })
  }

  private setCongested(on: boolean): void {
    this.congested = on
    for (const r of this.handles.values()) r.onCongestion?.(on)
    if (on) this.pollCongestion()
  }

  /** ws has no drain event for the whole connection: poll its buffer while congested. */
  private pollCongestion(): void {
    this.congestionTimer = setTimeout(() => {
      if (this.closed) return
      if (this.ws.bufferedAmount <= WS_LOW) this.setCongested(false)
      else this.pollCongestion()
    }, 2)
  }

  private fail(id: number, op: number, err: unknown): void {
    const e = toIoError(err)
    this.send(encodeFrame(Kind.ERROR, id, op, { code: e.code, message: e.message }))
  }

  private kill(code: number, reason: string): void {
    this.ws.close(code, reason)
    this.dispose()
  }

  /** One message, as one buffer or (in-process link) as the fragments it was sent in. */
  private onMessage(data: Buffer[], isBinary: boolean): void {
    if (this.closed) return
    try {
      this.dispatch(data, isBinary)
    } catch (e) {
      // One bad frame must never take the daemon (and every other client) down: drop this client only.
      try {
        this.fail(0, 0, e)
      } catch {
        // Telling the client why failed too (its socket is going away): the close below is what counts.
      }
      this.kill(CloseCode.protocolError, 'internal error handling a frame')
    }
  }

  private dispatch(data: Buffer[], isBinary: boolean): void {
    if (!this.authed && data.reduce((n, d) => n + d.length, 0) > this.caps.maxPreAuthFrameBytes) {
      this.fail(0, 0, new IoError('auth', 'frame too large before hello'))
      return this.kill(CloseCode.auth, 'frame too large before hello')
    }
    if (!isBinary) {
      this.fail(0, 0, new IoError('invalid', 'text frames are not part of the protocol'))
      return this.kill(CloseCode.unsupportedData, 'binary frames only')
    }
    const r = decodeFrameParts(data)
    if (!r.ok) {
      this.fail(r.id, r.op, new IoError(this.authed ? 'invalid' : 'auth', r.reason))
      return this.kill(this.authed ? CloseCode.protocolError : CloseCode.auth, r.reason)
    }
    const f = r.frame
    if (!this.authed) return this.hello(f.kind, f.id, f.op, f.meta)
    switch (f.kind) {
      case Kind.DATA: {
        this.handles.get(f.id)?.onData?.(f.payload, f.meta)
        return
      }
      case Kind.CREDIT: {
        const n = readCredit(f.payload)
        if (n === null) {
          this.fail(0, 0, new IoError('invalid', 'CREDIT payload must be 4 bytes'))
          return this.kill(CloseCode.protocolError, 'bad credit')
        }
        this.handles.get(f.id)?.onCredit?.(n)
        return
      }
      case Kind.REQUEST:
        return this.request(f.id, f.op, f.meta, f.payload)
      default:
        this.fail(f.id, f.op, new IoError('invalid', `kind ${f.kind} not allowed from a client`))
        return this.kill(CloseCode.protocolError, 'bad kind')
    }
  }

  private hello(kind: number, id: number, op: number, meta: Record<string, unknown>): void {
    if (kind !== Kind.REQUEST || op !== Op.hello) {
      this.fail(id, op, new IoError('auth', 'the first frame must be hello'))
      return this.kill(CloseCode.auth, 'not authenticated')
    }
    const token = typeof meta.token === 'string' ? meta.token : ''
    if (!timingSafeEqual(sha256(token), this.deps.tokenHash)) {
      this.fail(id, op, new IoError('auth', 'wrong token'))
      return this.kill(CloseCode.auth, 'wrong token')
    }
    if (meta.protocol !== PROTOCOL_VERSION) {
      this.fail(
        id,
        op,
        new IoError(
          'unsupported',
          `protocol ${String(meta.protocol)} not supported; this daemon speaks ${PROTOCOL_VERSION}`,
        ),
      )
      return this.kill(CloseCode.version, 'protocol version')
    }
    this.authed = true
    clearTimeout(this.helloTimer)
    this.deps.onAuthed?.()
    const { maxPreAuthSessions: _a, maxPreAuthFrameBytes: _b, ...clientCaps } = this.caps
    const reply: HelloReply = {
      protocol: PROTOCOL_VERSION,
      daemonVersion: DAEMON_VERSION,
      limits: { ...this.limits, ...clientCaps },
      roots: this.guard.names(),
      capabilities: [
        Capability.udpIpv6Only,
        ...(this.deps.utp !== false ? [Capability.utp] : []),
        ...(this.deps.multicast ? [Capability.udpMulticast] : []),
        ...(this.portMaps ? [Capability.portmap] : []),
        ...(this.deps.grants ? [Capability.rootGrants] : []),
        ...(this.deps.fsMove !== false ? [Capability.fsMove] : []),
        ...(this.streams ? [Capability.streamHttp] : []),
        ...(this.dp ? [Capability.dataPlane, Capability.dataPlaneRuns] : []),
      ],
      ...(udpLocalOnly() ? { udpScope: 'local' as const } : {}),
      rootPaths: this.guard.paths(),
    }
    this.send(encodeFrame(Kind.REPLY, id, op, reply))
  }

  private request(id: number, op: number, meta: Record<string, unknown>, payload: Uint8Array): void {
    // A client that stops reading must not make the daemon buffer replies without bound.
    if (this.inFlight >= this.caps.maxRequestsInFlight) {
      this.capCounts.capBusy++
      return this.fail(id, op, new IoError('busy', `at most ${this.caps.maxRequestsInFlight} requests in flight`))
    }
    // Pipelined reads are admitted by bytes, not count: 256 reads of 2 MiB would be 512 MiB of replies.
    const readLen =
      op === Op.fileRead && typeof meta.length === 'number' && meta.length > 0
        ? Math.min(meta.length, this.limits.maxIoBytes)
        : 0
    if (
      op === Op.fileRead &&
      (this.ws.bufferedAmount > WS_HIGH || this.ws.bufferedAmount + this.readBytesInFlight + readLen > READ_BUDGET)
    ) {
      this.capCounts.capBusy++
      return this.fail(id, op, new IoError('busy', 'replies are not being read; retry later'))
    }
    let p: Promise<OpResult>
    try {
      p = this.run(op, meta, payload)
    } catch (e) {
      p = Promise.reject(e)
    }
    this.inFlight++
    this.readBytesInFlight += readLen
    p.finally(() => {
      this.inFlight--
      this.readBytesInFlight -= readLen
    }).then(
      (res: OpResult & { after?: () => void }) => {
        this.send(encodeFrame(Kind.REPLY, id, op, res.meta, res.payload))
        res.after?.() // tcp.frame: the framed stream follows its REPLY
      },
      (err) => this.fail(id, op, err),
    )
  }

  private run(op: number, meta: Record<string, unknown>, payload: Uint8Array): Promise<OpResult> {
    const wrap = (p: Promise<object>): Promise<OpResult> => p.then((m) => ({ meta: m }))
    switch (op) {
      case Op.hello:
        throw new IoError('invalid', 'already authenticated')
      case Op.ping:
        return Promise.resolve({ meta: {} })
      case Op.tcpConnect:
        if (this.deps.utp === false && meta.transport === 'utp') throw new IoError('unsupported', 'no uTP here')
        return wrap(tcpConnect(this, meta, (cancel) => this.track(cancel)))
      case Op.tcpEnd:
        socketOf(this, meta).end()
        return Promise.resolve({ meta: {} })
      case Op.tcpClose:
        socketOf(this, meta).close()
        return Promise.resolve({ meta: {} })
      case Op.tcpListen:
        if (this.deps.utp === false && meta.utp === true) throw new IoError('unsupported', 'no uTP here')
        return wrap(tcpListen(this, meta))
      case Op.listenerClose:
      case Op.udpClose: {
        const r = this.handles.get(handleOf(meta))
        if (!r || r.kind !== (op === Op.udpClose ? 'udp' : 'listener')) throw new IoError('closed', 'no such handle')
        r.close()
        return Promise.resolve({ meta: {} })
      }
      case Op.udpBind:
        return wrap(udpBind(this, meta, this.deps.multicast === true))
      case Op.udpMulticast:
        if (!this.deps.multicast) throw new IoError('unsupported', 'udp.multicast is not offered by this daemon')
        return Promise.resolve({ meta: udpMulticast(this, meta) })
      case Op.portmapAdd:
      case Op.portmapRemove:
      case Op.portmapStatus: {
        const pm = this.portMaps
        if (!pm) throw new IoError('unsupported', 'this daemon does not map ports')
        if (op === Op.portmapRemove) return wrap(pm.remove(meta))
        return Promise.resolve({ meta: op === Op.portmapAdd ? pm.add(meta) : pm.status(meta) })
      }
      case Op.rootsList: {
        const grants = this.deps.grants
        if (!grants) throw new IoError('unsupported', 'this daemon has no granted roots to list')
        return grants.refresh().then(() => ({ meta: { roots: this.guard.names(), rootPaths: this.guard.paths() } }))
      }
      case Op.rootsRevoke: {
        const grants = this.deps.grants
        if (!grants) throw new IoError('unsupported', 'this daemon has no granted roots to revoke')
        return wrap(grants.revoke(meta.root).then(() => ({})))
      }
      case Op.fsMove:
      case Op.fsMoveCancel:
        if (this.deps.fsMove === false) throw new IoError('unsupported', 'fs.move is not offered by this daemon')
        if (op === Op.fsMoveCancel) return Promise.resolve({ meta: cancelMove(this, meta) })
        return wrap(startMove(this, meta).catch((e: unknown) => Promise.reject(toIoError(e))))
      case Op.streamPublish:
      case Op.streamUnpublish:
      case Op.streamReady: {
        const st = this.streams
        if (!st) throw new IoError('unsupported', 'this daemon does not serve streams')
        if (op === Op.streamPublish) return wrap(st.publish(meta))
        return Promise.resolve({ meta: op === Op.streamReady ? st.ready(meta) : st.unpublish(meta) })
      }
      default:
        if (op >= 30 && op <= 45) return fileOp(this, op, meta, payload)
        if (op >= Op.dpOpen && op <= Op.dpSend) {
          if (!this.dp) throw new IoError('unsupported', 'the data plane is not offered by this daemon')
          return this.dp.run(op, meta, payload)
        }
        throw new IoError('invalid', `unknown op ${op}`)
    }
  }

  released(handle: number): void {
    this.portMaps?.released(handle)
  }

  private track(cancel: () => void): () => void {
    this.connecting.add(cancel)
    return () => this.connecting.delete(cancel)
  }

  /** Client gone: close everything it opened. */
  dispose(): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.congestionTimer)
    clearTimeout(this.helloTimer)
    for (const c of [...this.connecting]) c()
    this.connecting.clear()
    for (const r of [...this.handles.values()]) r.close()
    this.handles.clear()
    disposeSessionUtp(this)
    this.portMaps?.dispose()
    this.streams?.dispose()
    this.dp?.dispose()
    this.counters.clients--
    if (this.ws.readyState === this.ws.OPEN) this.ws.terminate()
  }
}
