/**
 * Outgoing bytes of one connection, coalesced: messages queued in one event-loop turn go out as
 * one socket write (up to `maxWriteBytes`, then at once), since every write costs a frame through
 * the daemon bridge. While the socket reports backpressure nothing more is written until drain.
 * Queued buffers are owned by the outbox: callers must not mutate them afterwards.
 * After encryptWith() every frame is encrypted as it is written, once per frame: a frame made of one
 * caller buffer (a shared constant message, a cached block) is copied first, since RC4 works in place.
 */
import type { StreamCipher } from '../mse/stream-cipher.ts'
import type { TcpSocket } from '../platform/ports.ts'

export class Outbox {
  private parts: Uint8Array[] = []
  private queued = 0
  private scheduled = false
  private closed = false
  private cipher: StreamCipher | null = null
  /** Queued bytes that were already final when the cipher was set (the end of the MSE handshake). */
  private clearBytes = 0
  /** The socket's write returned false; waiting for onDrain. */
  blocked = false
  bytesOut = 0
  lastWriteAt: number

  constructor(
    private readonly socket: TcpSocket,
    private readonly maxWriteBytes: number,
    private readonly now: () => number,
  ) {
    this.lastWriteAt = now()
  }

  get pending(): number {
    return this.queued
  }

  send(bytes: Uint8Array): void {
    if (this.closed) return
    this.parts.push(bytes)
    this.queued += bytes.length
    if (this.queued >= this.maxWriteBytes) return this.flush()
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => {
        this.scheduled = false
        this.flush()
      })
    }
  }

  /** Encrypts everything queued from now on (bytes already queued go out as they are). */
  encryptWith(cipher: StreamCipher): void {
    this.cipher = cipher.encrypted ? cipher : null
    this.clearBytes = this.queued
  }

  flush(): void {
    if (this.closed || this.queued === 0 || this.blocked) return
    const parts = this.parts
    let frame = parts.length === 1 ? parts[0]! : concat(parts, this.queued)
    if (this.cipher && this.clearBytes < frame.length) {
      if (parts.length === 1) frame = frame.slice()
      this.cipher.encrypt(this.clearBytes === 0 ? frame : frame.subarray(this.clearBytes))
    }
    this.clearBytes = 0
    this.parts = []
    this.queued = 0
    this.bytesOut += frame.length
    this.lastWriteAt = this.now()
    if (!this.socket.write(frame)) this.blocked = true
  }

  /** The socket drained: write what waited. */
  drained(): void {
    this.blocked = false
    this.flush()
  }

  close(): void {
    this.closed = true
    this.parts = []
    this.queued = 0
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}
