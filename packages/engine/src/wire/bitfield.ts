/**
 * A peer's pieces as BEP 3 bitfield bytes (high bit of byte 0 = piece 0), with a running count.
 * Structurally a `HasPieces` for the picker (has(index)).
 */
export class Bitfield {
  readonly size: number
  readonly bytes: Uint8Array
  private ones = 0

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`bad piece count ${size}`)
    this.size = size
    this.bytes = new Uint8Array(Math.ceil(size / 8))
  }

  /** From wire bytes: null when the length is wrong or spare bits are set (a protocol violation). */
  static fromBytes(size: number, bytes: Uint8Array): Bitfield | null {
    const b = new Bitfield(size)
    if (bytes.length !== b.bytes.length) return null
    const spare = b.bytes.length * 8 - size
    if (spare > 0 && (bytes[bytes.length - 1]! & ((1 << spare) - 1)) !== 0) return null
    b.bytes.set(bytes)
    let n = 0
    for (let i = 0; i < b.bytes.length; i++) n += POPCOUNT[b.bytes[i]!]!
    b.ones = n
    return b
  }

  static full(size: number): Bitfield {
    const b = new Bitfield(size)
    b.bytes.fill(0xff)
    const spare = b.bytes.length * 8 - size
    if (spare > 0) b.bytes[b.bytes.length - 1] = (0xff << spare) & 0xff
    b.ones = size
    return b
  }

  has(index: number): boolean {
    if (index < 0 || index >= this.size) return false
    return (this.bytes[index >> 3]! & (0x80 >> (index & 7))) !== 0
  }

  /** Returns true when the bit changed; throws on an index out of range. */
  set(index: number): boolean {
    if (!(index >= 0 && index < this.size)) throw new RangeError(`piece ${index} out of range`)
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

  isEmpty(): boolean {
    return this.ones === 0
  }
}

const POPCOUNT = new Uint8Array(256).map((_, i) => {
  let n = 0
  for (let v = i; v; v >>= 1) n += v & 1
  return n
})
