import {
  type DataPlaneTorrent,
  type FrameOptions,
  IoError,
  type Rc4State,
  type TcpSocket,
  type TcpSocketHandlers,
} from '@tidepool/engine'
import { BridgeDataPlaneTorrent } from './bridge-data-plane.ts'
import { Ev, MAX_SEND_RUN, Op } from './protocol.ts'

/** What a socket needs from its client (kept narrow so the socket is easy to test). */
export interface SocketHost {
  sendData(handle: number, data: Uint8Array): void
  /** True when the WebSocket send buffer is over its high-water mark. */
  wireFull(): boolean
  /** Call `fn` once the WebSocket send buffer is low again. */
  whenWireDrains(fn: () => void): void
  grantCredit(handle: number, bytes: number): void
  fireAndForget(op: number, meta: object): void
  forget(handle: number): void
  /** Data plane (framable sockets): a request whose reply is handled in the REPLY's own handler. */
  requestNow(
    op: number,
    meta: object,
    payload: Uint8Array | undefined,
    onReply: (r: unknown, err?: IoError) => void,
  ): void
  request(op: number, meta: object, payload?: Uint8Array): Promise<unknown>
  /** The daemon takes runs of blocks in one dp.send (`data-plane-runs`). */
  readonly blockRuns?: boolean
}

/** Blocks of one piece asked for in one turn, each after the last: one dp.send with `count`. */
interface BlockRun {
  torrent: BridgeDataPlaneTorrent
  piece: number
  begin: number
  length: number
  count: number
  onErrors: Array<((e: IoError) => void) | undefined>
}

type Queued = { t: 'data'; b: Uint8Array } | { t: 'end' }

/**
 * Bytes of blocks asked for with dp.send whose reply (the block is queued on the socket) has not come
 * back: past this sendBlock reports backpressure. A dp.send is a few bytes on the wire but puts a whole
 * block in the daemon's socket queue, so neither the WebSocket's buffer nor the daemon's `full` (which
 * arrives a round trip late) would stop a peer's deep queue of requests (libtorrent keeps up to 2000)
 * from all being asked for at once, past the daemon's maxSendBufferBytes.
 */
export const SEND_AHEAD_BYTES = 4 * 1024 * 1024

/** A TCP socket held by the daemon, seen through the bridge (TcpSocket of ports.ts). */
export class BridgeTcpSocket implements TcpSocket {
  private h: TcpSocketHandlers = {}
  private hasHandlers = false
  private paused = false
  private queue: Queued[] = []
  private daemonFull = false
  private wantDrain = false
  /** dp.send bytes not replied to yet (SEND_AHEAD_BYTES). */
  private sendAhead = 0
  private get aheadFull(): boolean {
    return this.sendAhead >= SEND_AHEAD_BYTES
  }
  private closed = false
  private closeError: IoError | undefined
  private closePending = false
  /** Present on sockets opened `framable` on a daemon with `data-plane` (§4.8). */
  frame?: (opts: FrameOptions, done: (framed: boolean, error?: IoError) => void) => void
  sendBlock?: (
    torrent: DataPlaneTorrent,
    piece: number,
    begin: number,
    length: number,
    onError?: (e: IoError) => void,
  ) => boolean

  constructor(
    private readonly host: SocketHost,
    readonly handle: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly transport: 'tcp' | 'utp' = 'tcp',
    framable = false,
  ) {
    if (framable) {
      this.frame = (opts, done) => this.frameNow(opts, done)
      this.sendBlock = (torrent, piece, begin, length, onError) =>
        this.sendBlockNow(torrent, piece, begin, length, onError)
    }
  }

  private framing = false

  private frameNow(opts: FrameOptions, done: (framed: boolean, error?: IoError) => void): void {
    const t = opts.torrent
    if (this.closed) return done(false, new IoError('closed', 'the socket is closed'))
    if (this.framing) return done(false, new IoError('invalid', 'frame was already called'))
    if (!(t instanceof BridgeDataPlaneTorrent)) return done(false, new IoError('invalid', "not this daemon's torrent"))
    this.framing = true
    const c = opts.cipher
    const payload = c ? concatStates(c.decrypt, c.encrypt) : undefined
    const meta = { handle: this.handle, torrent: t.handle, at: opts.at, ...(c ? { cipher: true } : {}) }
    this.host.requestNow(Op.tcpFrame, meta, payload, (_r, err) => {
      if (err) {
        this.framing = false
        return done(false, err)
      }
      // Raw bytes still queued here (a paused socket) come again in the framed stream: drop them,
      // with the credit the daemon counted for them.
      let dropped = 0
      this.queue = this.queue.filter((q) => {
        if (q.t !== 'data') return true
        dropped += q.b.length
        return false
      })
      if (dropped > 0) this.host.grantCredit(this.handle, dropped)
      done(true)
    })
  }

  /**
   * With `data-plane-runs`, blocks that continue the last one (same piece, same length, next offset)
   * join it until the end of the turn or the next write: an uploading peer asks for a piece's blocks
   * in order, so one op carries many (bench:seeding: one op per 16 KiB block was most of the
   * per-byte JavaScript on both sides).
   */
  private sendBlockNow(
    torrent: DataPlaneTorrent,
    piece: number,
    begin: number,
    length: number,
    onError?: (e: IoError) => void,
  ): boolean {
    if (this.closed) return false
    if (!(torrent instanceof BridgeDataPlaneTorrent)) {
      onError?.(new IoError('invalid', "not this daemon's torrent"))
      return true
    }
    const r = this.run
    this.sendAhead += length
    if (!this.host.blockRuns) this.requestSend({ torrent, piece, begin, length, count: 1, onErrors: [onError] })
    else if (
      r &&
      r.torrent === torrent &&
      r.piece === piece &&
      r.length === length &&
      r.begin + r.count * r.length === begin &&
      r.count < MAX_SEND_RUN
    ) {
      r.count++
      r.onErrors.push(onError)
    } else {
      this.flushRun()
      this.run = { torrent, piece, begin, length, count: 1, onErrors: [onError] }
      if (!this.runScheduled) {
        this.runScheduled = true
        queueMicrotask(() => {
          this.runScheduled = false
          this.flushRun()
        })
      }
    }
    if (this.daemonFull || this.aheadFull || this.host.wireFull()) {
      this.armDrain()
      return false
    }
    return true
  }

  private run: BlockRun | null = null
  private runScheduled = false

  /** Sends the run being gathered (before any later write, so the order of the stream holds). */
  private flushRun(): void {
    const r = this.run
    if (!r) return
    this.run = null
    this.requestSend(r)
  }

  private requestSend(r: BlockRun): void {
    const meta = { handle: this.handle, torrent: r.torrent.handle, piece: r.piece, begin: r.begin, length: r.length }
    this.host.request(Op.dpSend, r.count > 1 ? { ...meta, count: r.count } : meta).then(
      () => this.sent(r),
      (e: IoError) => {
        this.sent(r)
        if (!this.closed) for (const f of r.onErrors) f?.(e)
      },
    )
  }

  /** A dp.send was answered: its bytes no longer count as asked ahead. */
  private sent(r: BlockRun): void {
    const wasFull = this.aheadFull
    this.sendAhead -= r.count * r.length
    if (wasFull && !this.aheadFull && this.wantDrain) this.armDrain()
  }

  setHandlers(handlers: TcpSocketHandlers): void {
    this.h = handlers
    this.hasHandlers = true
    this.pump()
  }

  write(data: Uint8Array): boolean {
    if (this.closed) return false
    this.flushRun()
    if (data.length > 0) this.host.sendData(this.handle, data)
    if (this.daemonFull || this.host.wireFull()) {
      this.armDrain()
      return false
    }
    return true
  }

  end(): void {
    if (this.closed) return
    this.flushRun()
    this.host.fireAndForget(Op.tcpEnd, { handle: this.handle })
  }

  close(): void {
    if (this.closed) return
    this.run = null // its blocks die with the socket
    this.host.fireAndForget(Op.tcpClose, { handle: this.handle })
    this.finish(undefined)
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.pump()
  }

  /** DATA from the daemon. */
  onWireData(bytes: Uint8Array): void {
    if (this.closed) return
    if (this.paused || !this.hasHandlers || this.queue.length > 0) {
      this.queue.push({ t: 'data', b: bytes })
      return
    }
    this.h.onData?.(bytes)
    this.host.grantCredit(this.handle, bytes.length)
  }

  /** An EVENT from the daemon for this handle. */
  onWireEvent(ev: number, meta: Record<string, unknown>): void {
    if (this.closed) return
    switch (ev) {
      case Ev.end:
        this.queue.push({ t: 'end' })
        this.pump()
        return
      case Ev.full:
        this.daemonFull = true
        return
      case Ev.drain:
        this.daemonFull = false
        if (this.wantDrain) this.armDrain()
        return
      case Ev.close: {
        const e = meta.error as { code?: string; message?: string } | undefined
        const err = e ? new IoError((e.code ?? 'io') as IoError['code'], e.message ?? 'closed') : undefined
        if (!this.hasHandlers) {
          this.closePending = true
          this.closeError = err
          return
        }
        this.flushEndsIfUnpaused()
        this.finish(err)
        return
      }
    }
  }

  /** The bridge connection died. */
  onBridgeClosed(): void {
    this.finish(new IoError('closed', 'daemon connection closed'))
  }

  private armDrain(): void {
    this.wantDrain = true
    if (this.daemonFull || this.aheadFull) return
    this.host.whenWireDrains(() => {
      if (this.closed || this.daemonFull || this.aheadFull || !this.wantDrain) return
      this.wantDrain = false
      this.h.onDrain?.()
    })
  }

  /** Delivers queued data/end while unpaused and handled. */
  private pump(): void {
    while (!this.closed && this.hasHandlers && !this.paused && this.queue.length > 0) {
      const q = this.queue.shift()!
      if (q.t === 'end') this.h.onEnd?.()
      else {
        this.h.onData?.(q.b)
        this.host.grantCredit(this.handle, q.b.length)
      }
    }
    if (this.closePending && this.hasHandlers) {
      this.closePending = false
      this.flushEndsIfUnpaused()
      this.finish(this.closeError)
    }
  }

  private flushEndsIfUnpaused(): void {
    if (!this.paused) this.pump()
  }

  private finish(err: IoError | undefined): void {
    if (this.closed) return
    this.closed = true
    this.queue = []
    this.host.forget(this.handle)
    this.h.onClose?.(err)
  }
}

/** tcp.frame's payload: each RC4 direction as its 256-byte permutation, then i, then j. */
function concatStates(a: Rc4State, b: Rc4State): Uint8Array {
  const out = new Uint8Array(516)
  out.set(a.s, 0)
  out[256] = a.i
  out[257] = a.j
  out.set(b.s, 258)
  out[514] = b.i
  out[515] = b.j
  return out
}
