import { type SecureChannel, SecureClose } from './channel.ts'
import type { WebSocketLike } from '../websocket-like.ts'

const OPEN = 1

/**
 * A WebSocketLike whose messages are sealed on `raw` (already open, handshake done). BridgeClient runs
 * on it unchanged: every frame it sends is sealed before it leaves, every message opened before it is
 * handed on; one that does not open closes the connection (close code 4003).
 */
export class SecureSocket implements WebSocketLike {
  binaryType = 'arraybuffer'
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: { code: number; reason: string }) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  private openHandler: ((ev: unknown) => void) | null = null
  /** Fragments of a message sent with fin: false (send mode 'fragments'): sealed as one on the last. */
  private parts: Uint8Array[] = []
  private failed = false

  constructor(
    private readonly raw: WebSocketLike,
    private readonly channel: SecureChannel,
  ) {
    raw.onmessage = (ev) => this.receive(ev.data)
    raw.onclose = (ev) => this.onclose?.(this.failed ? { code: SecureClose.tampered, reason: 'tampered frame' } : ev)
    raw.onerror = (ev) => this.onerror?.(ev)
  }

  get readyState(): number {
    return this.raw.readyState
  }

  get bufferedAmount(): number {
    return this.raw.bufferedAmount
  }

  /** Already open: a handler set now runs in a microtask (connectBridge sets it after it has the socket). */
  get onopen(): ((ev: unknown) => void) | null {
    return this.openHandler
  }

  set onopen(fn: ((ev: unknown) => void) | null) {
    this.openHandler = fn
    if (fn && this.raw.readyState === OPEN) queueMicrotask(() => this.openHandler === fn && fn({}))
  }

  send(
    data: Uint8Array | ArrayBuffer,
    options?: { binary?: boolean; fin?: boolean },
    cb?: (err?: Error) => void,
  ): void {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data
    if (options?.fin === false) {
      this.parts.push(Uint8Array.from(bytes)) // a copy: Buffer.slice would be a view
      cb?.()
      return
    }
    let frame = bytes
    if (this.parts.length > 0) {
      this.parts.push(bytes)
      frame = join(this.parts)
      this.parts = []
    }
    const sealed = this.channel.seal(frame)
    // The frame was sealed into a new buffer: the caller may reuse its own at once.
    cb?.()
    this.raw.send(sealed)
  }

  close(code?: number, reason?: string): void {
    this.raw.close(code, reason)
  }

  private receive(data: unknown): void {
    if (this.failed) return
    const msg = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null
    const frame = msg ? this.channel.open(msg) : null
    if (!frame) {
      this.failed = true
      this.raw.close(SecureClose.tampered, 'frame does not authenticate')
      return
    }
    this.onmessage?.({ data: frame })
  }
}

function join(parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
