import { EventEmitter } from 'node:events'
import type { WebSocket } from 'ws'
import { SecureClose, type SecureChannel } from '@tidepool/daemon-bridge/secure'
import type { SessionSocket } from '../in-process-link.ts'

/**
 * A Session's connection to a paired client over the secure channel: frames are sealed on the way
 * out and opened on the way in. A message that does not open (a flipped bit, a replay, a reorder)
 * closes the connection with 4003 before the Session sees anything.
 */
export class SecureSessionSocket extends EventEmitter implements SessionSocket {
  readonly OPEN = 1
  /** Frames that arrived before the Session listened (it is created a few microtasks after the handshake). */
  private early: Buffer[] | null = []

  constructor(
    private readonly ws: WebSocket,
    private readonly channel: SecureChannel,
    /** The paired client's name and key (revocation closes its live connections). */
    readonly client: { name: string; publicKey: string },
  ) {
    super()
    ws.on('message', (data: Buffer | Buffer[] | ArrayBuffer) => this.receive(data))
    ws.on('close', () => this.emit('close'))
    ws.on('error', () => this.emit('error'))
  }

  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter's own listener type
  override on(event: string | symbol, fn: (...args: any[]) => void): this {
    super.on(event, fn)
    if (event === 'message' && this.early) {
      const early = this.early
      this.early = null
      for (const f of early) this.emit('message', f, true)
    }
    return this
  }

  get readyState(): number {
    return this.ws.readyState
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }

  send(data: Uint8Array, options: { binary: boolean }): void {
    if (this.ws.readyState !== this.OPEN) return
    // Ciphertext and tag as two fragments of one message: no copy to join them on this side.
    const parts = this.channel.sealParts(data)
    if (parts.length === 1) return this.ws.send(parts[0]!, options)
    this.ws.send(parts[0]!, { ...options, fin: false })
    this.ws.send(parts[1]!, { ...options, fin: true })
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason)
  }

  terminate(): void {
    this.ws.terminate()
  }

  private receive(data: Buffer | Buffer[] | ArrayBuffer): void {
    const msg = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    const frame = this.channel.open(msg)
    if (!frame) {
      this.ws.close(SecureClose.tampered, 'frame does not authenticate')
      return
    }
    const buf = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)
    if (this.early) this.early.push(buf)
    else this.emit('message', buf, true)
  }
}
