/**
 * Received bytes as a list of chunks. Hands out exact slices: a view when the bytes lie in one chunk,
 * one copy only when they straddle chunks. Reads are unsigned.
 */
export class ChunkQueue {
  private chunks: Uint8Array[] = []
  private head = 0 // index of the first live chunk (avoids shift() on every take)
  private offset = 0 // read position inside chunks[head]
  private total = 0

  get length(): number {
    return this.total
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.total += chunk.length
  }

  /** Byte at position i (0-based from the read position); caller checks i < length. */
  byteAt(i: number): number {
    let idx = this.head
    let pos = this.offset + i
    for (;;) {
      const c = this.chunks[idx]!
      if (pos < c.length) return c[pos]!
      pos -= c.length
      idx++
    }
  }

  /** Unsigned big-endian u32 at position i, without consuming. */
  peekUint32(i: number): number {
    const c = this.chunks[this.head]!
    const p = this.offset + i
    if (p + 4 <= c.length) return ((c[p]! << 24) >>> 0) + ((c[p + 1]! << 16) | (c[p + 2]! << 8) | c[p + 3]!)
    return (
      ((this.byteAt(i) << 24) >>> 0) + ((this.byteAt(i + 1) << 16) | (this.byteAt(i + 2) << 8) | this.byteAt(i + 3))
    )
  }

  /** Consume n bytes (n ≤ length): a view if contiguous, else a fresh copy. */
  take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0)
    const c = this.chunks[this.head]!
    if (this.offset + n <= c.length) {
      const view = c.subarray(this.offset, this.offset + n)
      this.advance(n)
      return view
    }
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const cur = this.chunks[this.head]!
      const k = Math.min(n - filled, cur.length - this.offset)
      out.set(cur.subarray(this.offset, this.offset + k), filled)
      filled += k
      this.advance(k)
    }
    return out
  }

  /** Consume and read a u32. */
  takeUint32(): number {
    const v = this.peekUint32(0)
    this.skip(4)
    return v
  }

  skip(n: number): void {
    while (n > 0) {
      const c = this.chunks[this.head]!
      const k = Math.min(n, c.length - this.offset)
      this.advance(k)
      n -= k
    }
  }

  private advance(n: number): void {
    this.offset += n
    this.total -= n
    if (this.offset === this.chunks[this.head]!.length) {
      this.chunks[this.head] = EMPTY // drop the reference so the chunk can be collected
      this.head++
      this.offset = 0
      if (this.head === this.chunks.length) {
        this.chunks.length = 0
        this.head = 0
      } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
        this.chunks = this.chunks.slice(this.head)
        this.head = 0
      }
    }
  }
}

const EMPTY = new Uint8Array(0)
