/**
 * Outgoing bytes of one connection, coalesced: messages queued in one event-loop turn go out as
 * one socket write (up to `maxWriteBytes`, then at once), since every write costs a frame through
 * the daemon bridge. While the socket reports backpressure nothing more is written until drain.
 * Queued buffers are owned by the outbox: callers must not mutate them afterwards.
 */
import type { TcpSocket } from '../platform/ports.ts'

export class Outbox {
  private parts: Uint8Array[] = []
  private queued = 0
  private scheduled = false
  private closed = false
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

  flush(): void {
    if (this.closed || this.queued === 0 || this.blocked) return
    const parts = this.parts
    const frame = parts.length === 1 ? parts[0]! : concat(parts, this.queued)
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
