import type { Socket } from 'node:net'
import { Ev, HEADER_BYTES, Kind, writeHeader } from '@tidepool/daemon-bridge'
import { IoError } from '@tidepool/engine'
import { FrameTap, type FrameRequest } from './data-plane/frame-tap.ts'
import { capsOf } from './handle-caps.ts'
import { toIoError } from './io-errors.ts'
import type { ReadArena } from './read-arena.ts'
import type { Resource, SessionContext } from './session-context.ts'

/**
 * One TCP socket of a client: turns reads into large DATA frames (zero-copy through a ReadArena for
 * sockets we connected, coalescing 'data' chunks otherwise), stops reading when the client's credit is
 * used up or the WebSocket is congested, reports full/drain of the OS send buffer.
 */
export class TcpConn implements Resource {
  readonly kind = 'tcp'
  private credit: number
  private pending: Buffer[] = []
  private pendingBytes = 0
  private flushQueued = false
  private full = false
  /** Writes of this turn are gathered (framed sockets: one writev for many piece messages). */
  private corked = false
  private closedByClient = false
  private gone = false
  private error: unknown = undefined
  /** Present on sockets opened `framable` (data plane, §4.8). */
  readonly tap: FrameTap | null

  constructor(
    private readonly ctx: SessionContext,
    readonly handle: number,
    private readonly socket: Socket,
    private readonly arena?: ReadArena,
    framable = false,
  ) {
    this.tap = framable ? new FrameTap((e) => this.abort(e)) : null
    this.credit = ctx.limits.recvWindowBytes
    ctx.counters.sockets++
    socket.setNoDelay(true)
    if (arena) arena.attach(handle, (frame, n) => this.onFrame(frame, n))
    else socket.on('data', (chunk: Buffer) => this.onRead(chunk))
    socket.on('end', () => {
      this.tap?.peerEnded()
      this.arena?.activate()
      this.flush()
      if (!this.closedByClient) ctx.event(handle, Ev.end)
    })
    socket.on('drain', () => {
      if (!this.full) return
      this.full = false
      if (!this.closedByClient) ctx.event(handle, Ev.drain)
    })
    socket.on('error', (err) => {
      this.error ??= err // the first error is the cause (a write after an abort fails too)
    })
    socket.on('close', () => this.onClosed())
    this.updateReading()
  }

  /** A read that is already a DATA frame (ReadArena). */
  private onFrame(frame: Buffer, n: number): void {
    if (this.closedByClient || this.ctx.closed) return
    if (this.tap) {
      const out = this.tap.read(frame.subarray(HEADER_BYTES), true)
      if (this.tap.framed) {
        // What is delivered is small (notices, control messages): a copy (Buffer#slice would be a
        // view), so the arena's region is reused by the next read.
        this.deliver(out.buffer === frame.buffer ? new Uint8Array(out) : out)
        this.arena?.recycle(frame)
        return
      }
    }
    this.credit -= n
    if (this.credit <= 0) this.updateReading()
    this.ctx.counters.bytesToClients += n
    this.ctx.send(frame)
  }

  private onRead(chunk: Buffer): void {
    if (this.closedByClient) return
    this.deliver(this.tap ? this.tap.read(chunk, true) : chunk)
  }

  /** Bytes for the client: coalesced into DATA frames within its credit. */
  private deliver(bytes: Uint8Array): void {
    if (this.closedByClient || bytes.length === 0) return
    const chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    this.credit -= chunk.length
    if (this.credit <= 0) this.updateReading()
    if (this.pendingBytes >= this.ctx.limits.maxDataFrameBytes) this.flush()
    else if (!this.flushQueued) {
      this.flushQueued = true
      this.ctx.defer(() => this.flush())
    }
  }

  /**
   * Sends everything read so far as DATA frames of at most maxDataFrameBytes, each one WebSocket frame.
   * Copying the reads into one buffer here is cheaper overall than sending them as fragments: the
   * client (the bottleneck, a browser worker) then reassembles one frame instead of several
   * (measured with ws: 0.9-1.25 vs 1.2-1.9 client CPU s/GiB).
   */
  private flush(): void {
    this.flushQueued = false
    if (this.pendingBytes === 0 || this.ctx.closed) return
    const max = this.ctx.limits.maxDataFrameBytes
    const chunks = this.pending
    this.pending = []
    let total = this.pendingBytes
    this.pendingBytes = 0
    let ci = 0
    let off = 0
    while (total > 0) {
      const n = Math.min(total, max)
      const frame = Buffer.allocUnsafe(HEADER_BYTES + n)
      writeHeader(frame, 0, Kind.DATA, this.handle, 0, 0)
      let at = HEADER_BYTES
      while (at < frame.length) {
        const c = chunks[ci]
        const take = Math.min(c.length - off, frame.length - at)
        c.copy(frame, at, off, off + take)
        at += take
        off += take
        if (off === c.length) {
          ci++
          off = 0
        }
      }
      total -= n
      this.ctx.counters.bytesToClients += n
      this.ctx.send(frame)
    }
  }

  private updateReading(): void {
    if (this.gone) return
    const read = this.credit > 0 && !this.ctx.congested && !this.closedByClient
    if (read && this.socket.isPaused()) this.socket.resume()
    else if (!read && !this.socket.isPaused()) this.socket.pause()
  }

  onCongestion(): void {
    this.updateReading()
  }

  onCredit(bytes: number): void {
    this.credit = Math.min(this.credit + bytes, this.ctx.limits.recvWindowBytes)
    this.updateReading()
  }

  onData(payload: Uint8Array): void {
    if (this.gone || this.closedByClient || this.socket.destroyed) return
    this.ctx.counters.bytesFromClients += payload.length
    if (this.tap?.sender) this.tap.sender.write(payload)
    else this.writeOut(payload)
  }

  /**
   * tcp.frame: from now on the client gets the framed stream and its writes are encrypted here.
   * Returns what to run once the REPLY went out (the framed bytes from `at`).
   */
  frameWith(req: FrameRequest): () => void {
    if (!this.tap) throw new IoError('invalid', 'the socket was not opened framable')
    if (this.gone || this.closedByClient) throw new IoError('closed', 'the socket is closed')
    const out = this.tap.frame(req, (b) => this.writeOut(b))
    // Read but not yet sent: these come again framed, so they give their credit back.
    this.credit += this.pendingBytes
    this.pending = []
    this.pendingBytes = 0
    return () => this.deliver(out)
  }

  private writeOut(payload: Uint8Array): void {
    if (this.gone || this.socket.destroyed) return
    // A framed socket's writes are mostly 16 KiB piece messages from dp.send, one per op: corked
    // until the end of the turn they go out in one syscall (bench:seeding: one write per block
    // cost 1.2 s of the daemon's thread per GiB).
    if (this.tap?.sender && !this.corked) {
      this.corked = true
      this.socket.cork()
      this.ctx.defer(() => {
        this.corked = false
        if (!this.socket.destroyed) this.socket.uncork()
      })
    }
    // No copy: the view keeps its WebSocket message alive until the kernel has taken the bytes.
    const ok = this.socket.write(payload)
    if (this.socket.writableLength > capsOf(this.ctx).caps.maxSendBufferBytes) return this.overSendCap()
    if (!ok && !this.full) {
      this.full = true
      this.ctx.event(this.handle, Ev.full)
    }
  }

  /** The client kept sending past `full`: close the socket rather than buffer without bound. */
  private overSendCap(): void {
    const { caps, counts } = capsOf(this.ctx)
    counts.sendCapCloses++
    this.error ??= new IoError(
      'too-large',
      `more than ${caps.maxSendBufferBytes} bytes waiting to be sent: the client ignored full`,
    )
    this.socket.destroy()
  }

  end(): void {
    if (this.gone) return
    if (this.tap?.sender) this.tap.sender.afterQueued(() => this.socket.end())
    else this.socket.end()
  }

  /** The peer sent what the data plane cannot follow: the socket closes with `e`. */
  private abort(e: IoError): void {
    this.error ??= e
    this.socket.destroy()
  }

  close(): void {
    this.tap?.close()
    this.closedByClient = true
    this.ctx.handles.delete(this.handle)
    this.socket.destroy()
  }

  private onClosed(): void {
    if (this.gone) return
    this.gone = true
    this.tap?.close()
    this.ctx.counters.sockets--
    if (this.closedByClient || this.ctx.closed) return
    this.ctx.handles.delete(this.handle)
    this.arena?.activate()
    this.flush()
    const e = this.error ? toIoError(this.error) : undefined
    this.ctx.event(this.handle, Ev.close, e ? { error: { code: e.code, message: e.message } } : {})
  }
}
