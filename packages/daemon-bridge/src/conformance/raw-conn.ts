import { WebSocket } from 'ws'
import { decodeFrame, encodeFrame, type Frame } from '../frame-codec.ts'
import { Kind, Op, PROTOCOL_VERSION } from '../protocol.ts'

/** A frame-level connection for cases that must send what a well-behaved client never would. */
export class RawConn {
  readonly frames: Frame[] = []
  closeCode: number | null = null
  private waiters: Array<() => void> = []

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (m: Buffer) => {
      const r = decodeFrame(new Uint8Array(m))
      if (r.ok) this.frames.push(r.frame)
      this.wake()
    })
    ws.on('close', (code) => {
      this.closeCode = code
      this.wake()
    })
    ws.on('error', () => {}) // cases provoke the daemon into closing; they check closeCode, set on 'close'
  }

  static open(url: string, origin?: string): Promise<RawConn> {
    const ws = new WebSocket(url, { origin, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawConn(ws)))
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
    this.ws.send(bytes)
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
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate()
  }
}
