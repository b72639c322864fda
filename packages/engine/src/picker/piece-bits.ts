/**
 * A fixed-size set of piece indexes, stored as BEP 3 bitfield bytes (high bit of byte 0 = piece 0).
 * Storage and the picker use it for "verified pieces"; it is structurally a `HasPieces`.
 */

/** What the picker needs to know about a peer's pieces (the wire's Bitfield fits this too). */
export interface HasPieces {
  has(index: number): boolean
}

export class PieceBits implements HasPieces {
  readonly size: number
  readonly bytes: Uint8Array
  private ones = 0

  constructor(size: number, bytes?: Uint8Array) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`bad piece count ${size}`)
    this.size = size
    this.bytes = new Uint8Array(Math.ceil(size / 8))
    if (bytes) {
      if (bytes.length !== this.bytes.length)
        throw new RangeError(`bitfield is ${bytes.length} bytes, want ${this.bytes.length}`)
      this.bytes.set(bytes)
      // spare bits past `size` are ignored
      const spare = this.bytes.length * 8 - size
      if (spare > 0) this.bytes[this.bytes.length - 1]! &= (0xff << spare) & 0xff
      for (let i = 0; i < size; i++) if (this.has(i)) this.ones++
    }
  }

  static full(size: number): PieceBits {
    const b = new PieceBits(size)
    for (let i = 0; i < size; i++) b.set(i)
    return b
  }

  has(index: number): boolean {
    if (index < 0 || index >= this.size) return false
    return (this.bytes[index >> 3]! & (0x80 >> (index & 7))) !== 0
  }

  /** Returns true when the bit changed. */
  set(index: number): boolean {
    if (index < 0 || index >= this.size) throw new RangeError(`piece ${index} out of range`)
    const m = 0x80 >> (index & 7)
    if (this.bytes[index >> 3]! & m) return false
    this.bytes[index >> 3]! |= m
    this.ones++
    return true
  }

  clear(index: number): boolean {
    if (!this.has(index)) return false
    this.bytes[index >> 3]! &= ~(0x80 >> (index & 7))
    this.ones--
    return true
  }

  count(): number {
    return this.ones
  }

  isFull(): boolean {
    return this.ones === this.size
  }

  clone(): PieceBits {
    return new PieceBits(this.size, this.bytes)
  }
}
