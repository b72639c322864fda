/** Received bytes not yet consumed by the handshake; chunks are copied, so decrypting in place is safe. */
export class InputBuffer {
  private buf = new Uint8Array(1024)
  private start = 0
  private end = 0

  append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start
      const fits = live + chunk.length <= this.buf.length
      const next = fits ? this.buf : new Uint8Array(Math.max(this.buf.length * 2, live + chunk.length))
      next.set(this.buf.subarray(this.start, this.end))
      this.buf = next
      this.start = 0
      this.end = live
    }
    this.buf.set(chunk, this.end)
    this.end += chunk.length
  }

  get available(): number {
    return this.end - this.start
  }

  /** The next n bytes, consumed. A view: valid until the next append. */
  take(n: number): Uint8Array {
    const out = this.buf.subarray(this.start, this.start + n)
    this.start += n
    return out
  }

  skip(n: number): void {
    this.start += n
  }

  /** Offset of `pattern` from the read position, searching starts at offsets 0..maxOffset; -1 if absent. */
  find(pattern: Uint8Array, maxOffset: number): number {
    const last = Math.min(maxOffset, this.available - pattern.length)
    outer: for (let off = 0; off <= last; off++) {
      for (let k = 0; k < pattern.length; k++) if (this.buf[this.start + off + k] !== pattern[k]) continue outer
      return off
    }
    return -1
  }

  /** Everything left, as a copy the caller owns. */
  drain(): Uint8Array {
    const out = this.buf.slice(this.start, this.end)
    this.start = this.end
    return out
  }
}
