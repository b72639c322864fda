import { Ev, HEADER_BYTES, Kind, writeHeader } from '@tidepool/daemon-bridge'
import { IoError } from '@tidepool/engine'
import { FrameTap, type FrameRequest } from '../data-plane/frame-tap.ts'
import { capsOf } from '../handle-caps.ts'
import type { Resource, SessionContext } from '../session-context.ts'
import type { UtpConnection } from './connection.ts'

/**
 * A uTP connection seen by a client exactly like a TCP socket (TcpConn): received bytes go out as large
 * DATA frames within the client's credit (the connection pauses, and its advertised window closes,
 * when the credit is used up or the WebSocket is congested), and full/drain/end/close are the same events.
 */
export class UtpConnRes implements Resource {
  readonly kind = 'tcp'
  readonly transport = 'utp'
  private credit: number
  private frame: Buffer | undefined
  private frameBytes = 0
  private flushQueued = false
  private full = false
  private closedByClient = false
  private gone = false
  /** Present on sockets opened `framable` (data plane, §4.8). */
  readonly tap: FrameTap | null

  constructor(
    private readonly ctx: SessionContext,
    readonly handle: number,
    private readonly conn: UtpConnection,
    framable = false,
  ) {
    this.tap = framable
      ? new FrameTap((e) => {
          this.conn.close()
          this.onClosed({ code: e.code, message: e.message })
        })
      : null
    this.credit = ctx.limits.recvWindowBytes
    ctx.counters.sockets++
    conn.setEvents({
      // the connection's buffers may be reused: the tap copies what it keeps
      onData: (b) => this.onRead(this.tap ? this.tap.read(b, false) : b),
      onEnd: () => {
        this.tap?.peerEnded()
        this.flush()
        if (!this.closedByClient) ctx.event(handle, Ev.end)
      },
      onDrain: () => {
        if (!this.full) return
        this.full = false
        if (!this.closedByClient) ctx.event(handle, Ev.drain)
      },
      onClose: (e) => this.onClosed(e),
    })
    this.updateReading()
  }

  private onRead(b: Uint8Array): void {
    if (this.closedByClient || this.ctx.closed || b.length === 0) return
    const max = this.ctx.limits.maxDataFrameBytes
    let at = 0
    while (at < b.length) {
      if (!this.frame) {
        this.frame = Buffer.allocUnsafe(HEADER_BYTES + max)
        this.frameBytes = 0
      }
      const take = Math.min(b.length - at, max - this.frameBytes)
      this.frame.set(b.subarray(at, at + take), HEADER_BYTES + this.frameBytes)
      this.frameBytes += take
      at += take
      if (this.frameBytes === max) this.flush()
    }
    this.credit -= b.length
    if (this.credit <= 0) this.updateReading()
    if (this.frame && !this.flushQueued) {
      this.flushQueued = true
      this.ctx.defer(() => this.flush())
    }
  }

  private flush(): void {
    this.flushQueued = false
    const f = this.frame
    if (!f || this.frameBytes === 0 || this.ctx.closed) return
    this.frame = undefined
    writeHeader(f, 0, Kind.DATA, this.handle, 0, 0)
    this.ctx.counters.bytesToClients += this.frameBytes
    this.ctx.send(f.subarray(0, HEADER_BYTES + this.frameBytes))
    this.frameBytes = 0
  }

  private updateReading(): void {
    if (this.gone) return
    if (this.credit > 0 && !this.ctx.congested && !this.closedByClient) this.conn.resume()
    else this.conn.pause()
  }

  onCongestion(): void {
    this.updateReading()
  }

  onCredit(bytes: number): void {
    this.credit = Math.min(this.credit + bytes, this.ctx.limits.recvWindowBytes)
    this.updateReading()
  }

  onData(payload: Uint8Array): void {
    if (this.gone || this.closedByClient) return
    this.ctx.counters.bytesFromClients += payload.length
    if (this.tap?.sender) this.tap.sender.write(payload)
    else this.writeOut(payload)
  }

  /** tcp.frame, as TcpConn.frameWith: returns what to run once the REPLY went out. */
  frameWith(req: FrameRequest): () => void {
    if (!this.tap) throw new IoError('invalid', 'the socket was not opened framable')
    if (this.gone || this.closedByClient) throw new IoError('closed', 'the socket is closed')
    const out = this.tap.frame(req, (b) => this.writeOut(b))
    // Read but not yet sent: these come again framed, so they give their credit back.
    this.credit += this.frameBytes
    this.frame = undefined
    this.frameBytes = 0
    return () => this.onRead(out)
  }

  private writeOut(payload: Uint8Array): void {
    if (this.gone) return
    // kept by reference until acknowledged, as a TCP socket keeps it until the kernel took it
    const ok = this.conn.write(payload)
    const { caps, counts } = capsOf(this.ctx)
    if (this.conn.sendBufferedBytes > caps.maxSendBufferBytes) {
      // the client kept sending past `full`: close rather than buffer without bound
      counts.sendCapCloses++
      this.conn.close()
      return this.onClosed({
        code: 'too-large',
        message: `more than ${caps.maxSendBufferBytes} bytes waiting to be sent`,
      })
    }
    if (!ok && !this.full) {
      this.full = true
      this.ctx.event(this.handle, Ev.full)
    }
  }

  end(): void {
    if (this.gone) return
    if (this.tap?.sender) this.tap.sender.afterQueued(() => !this.gone && this.conn.end())
    else this.conn.end()
  }

  close(): void {
    this.tap?.close()
    this.closedByClient = true
    this.ctx.handles.delete(this.handle)
    if (!this.gone) {
      this.gone = true
      this.ctx.counters.sockets--
      this.conn.close()
    }
  }

  private onClosed(e?: { code: string; message: string }): void {
    if (this.gone) return
    this.gone = true
    this.tap?.close()
    this.ctx.counters.sockets--
    if (this.closedByClient || this.ctx.closed) return
    this.ctx.handles.delete(this.handle)
    this.flush()
    this.ctx.event(this.handle, Ev.close, e ? { error: { code: e.code, message: e.message } } : {})
  }
}
