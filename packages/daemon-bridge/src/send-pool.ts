/**
 * Reusable send buffers for WebSockets whose send() reports when the bytes are written (Node `ws`).
 * A large frame is assembled in an already-touched buffer instead of a fresh allocation per send:
 * fresh megabytes cost page faults and garbage collection, which dominated the Node client's CPU.
 */
export class SendPool {
  private free: Uint8Array[] = []
  private made = 0

  constructor(
    readonly bufferBytes: number,
    private readonly maxBuffers: number,
  ) {}

  /** A buffer of bufferBytes for a frame of `n` bytes, or null (too big, or all in flight). */
  take(n: number): Uint8Array | null {
    if (n > this.bufferBytes) return null
    const b = this.free.pop()
    if (b) return b
    if (this.made >= this.maxBuffers) return null
    this.made++
    return new Uint8Array(this.bufferBytes)
  }

  /** The socket is done with `b`. */
  give(b: Uint8Array): void {
    this.free.push(b)
  }
}
