import { WebSocket } from 'ws'
import { decodeFrame, encodeFrame, type Frame } from '../frame-codec.ts'
import { Kind, Op, PROTOCOL_VERSION } from '../protocol.ts'
import type { WebSocketLike } from '../websocket-like.ts'

/** A frame-level connection for cases that must send what a well-behaved client never would. */
export class RawConn {
  readonly frames: Frame[] = []
  closeCode: number | null = null
  private waiters: Array<() => void> = []

  /** A `ws` WebSocket, or a secure-channel socket (the suite's secure transport). */
  private constructor(readonly ws: WebSocketLike) {
    ws.binaryType = 'arraybuffer'
    ws.onmessage = (ev) => {
      const d = ev.data
      const r = decodeFrame(d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d as Uint8Array))
      if (r.ok) this.frames.push(r.frame)
      this.wake()
    }
    ws.onclose = (ev) => {
      this.closeCode = ev.code
      this.wake()
    }
    ws.onerror = () => {} // cases provoke the daemon into closing; they check closeCode, set on close
  }

  /** Frames over a connection that is already open and past any transport handshake. */
  static over(ws: WebSocketLike): RawConn {
    return new RawConn(ws)
  }

  static open(url: string, origin?: string): Promise<RawConn> {
    const ws = new WebSocket(url, { origin, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawConn(ws as unknown as WebSocketLike)))
      ws.once('error', reject)
    })
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }

  /** Waits until `cond` holds (checked on every frame/close), at most `ms`. */
  async until(cond: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms
    while (!cond()) {
      const left = end - Date.now()
      if (left <= 0) return false
      await new Promise<void>((r) => {
        const t = setTimeout(r, left)
        this.waiters.push(() => {
          clearTimeout(t)
          r()
        })
      })
    }
    return true
  }

  send(bytes: Uint8Array | string): void {
    ;(this.ws.send as (b: Uint8Array | string) => void)(bytes)
  }

  request(id: number, op: number, meta?: object, payload?: Uint8Array): void {
    this.ws.send(encodeFrame(Kind.REQUEST, id, op, meta, payload))
  }

  async reply(id: number, ms = 3000): Promise<Frame | null> {
    const find = (): Frame | undefined =>
      this.frames.find((f) => f.id === id && (f.kind === Kind.REPLY || f.kind === Kind.ERROR))
    await this.until(() => find() !== undefined || this.closeCode !== null, ms)
    return find() ?? null
  }

  async hello(token: string): Promise<Frame | null> {
    this.request(1, Op.hello, { token, protocol: PROTOCOL_VERSION })
    return this.reply(1)
  }

  close(): void {
    if (this.ws.readyState !== WebSocket.OPEN && this.ws.readyState !== WebSocket.CONNECTING) return
    const t = (this.ws as { terminate?: () => void }).terminate
    if (t) t.call(this.ws)
    else this.ws.close()
  }
}
