import type { Rc4State } from '../platform/ports.ts'

/**
 * RC4, as Message Stream Encryption uses it: a key of any length up to 256 bytes, and optionally the
 * first bytes of keystream thrown away (MSE discards 1024, because RC4's early output leaks key bits).
 * RC4 is weak by today's standards; MSE uses it for obfuscation against traffic shaping, not secrecy.
 */
export class Rc4 {
  // Int32Array, not Uint8Array: V8 reads and writes it faster in the loop below (values stay 0..255).
  private readonly s = new Int32Array(256)
  private i = 0
  private j = 0

  constructor(key: Uint8Array, discard = 0) {
    if (key.length === 0 || key.length > 256) throw new RangeError('RC4 key must be 1..256 bytes')
    const s = this.s
    for (let k = 0; k < 256; k++) s[k] = k
    for (let k = 0, j = 0; k < 256; k++) {
      const t = s[k]!
      j = (j + t + key[k % key.length]!) & 255
      s[k] = s[j]!
      s[j] = t
    }
    if (discard > 0) this.skip(discard)
  }

  /**
   * The keystream position as plain data: a copy, so this instance and one made from it with
   * `fromState` continue independently and produce the same bytes.
   */
  snapshot(): Rc4State {
    return { s: Uint8Array.from(this.s), i: this.i, j: this.j }
  }

  /** Continues a keystream from `snapshot()` (possibly taken in another process). */
  static fromState(state: Rc4State): Rc4 {
    const { s, i, j } = state
    if (s.length !== 256 || !isByte(i) || !isByte(j))
      throw new RangeError('RC4 state must be 256 bytes, i and j 0..255')
    // A state from elsewhere must be a permutation, else the keystream is not RC4's.
    const seen = new Uint8Array(256)
    for (let k = 0; k < 256; k++) {
      if (seen[s[k]!]) throw new RangeError('RC4 state is not a permutation')
      seen[s[k]!] = 1
    }
    const rc4 = new Rc4(STATE_KEY)
    rc4.s.set(s)
    rc4.i = i
    rc4.j = j
    return rc4
  }

  /** XORs `input` with the next input.length keystream bytes into `output` (which may be `input`). */
  process(input: Uint8Array, output: Uint8Array = input): Uint8Array {
    if (output.length < input.length) throw new RangeError('RC4 output shorter than input')
    const n = input.length
    if (output !== input || !LITTLE_ENDIAN || n < 64) {
      this.bytes(input, output, 0, n)
      return output
    }
    // In place: bytes up to a 4-byte boundary, then four keystream bytes XORed as one word (about
    // 1.6x faster per CPU second than byte by byte, see bench:mse), then the tail.
    const head = (4 - (input.byteOffset & 3)) & 3
    this.bytes(input, input, 0, head)
    const words = (n - head) >> 2
    const w = new Uint32Array(input.buffer, input.byteOffset + head, words)
    const s = this.s
    let i = this.i,
      j = this.j
    for (let q = 0; q < words; q++) {
      i = (i + 1) & 255
      let si = s[i]!
      j = (j + si) & 255
      let sj = s[j]!
      s[i] = sj
      s[j] = si
      let ks = s[(si + sj) & 255]!
      i = (i + 1) & 255
      si = s[i]!
      j = (j + si) & 255
      sj = s[j]!
      s[i] = sj
      s[j] = si
      ks |= s[(si + sj) & 255]! << 8
      i = (i + 1) & 255
      si = s[i]!
      j = (j + si) & 255
      sj = s[j]!
      s[i] = sj
      s[j] = si
      ks |= s[(si + sj) & 255]! << 16
      i = (i + 1) & 255
      si = s[i]!
      j = (j + si) & 255
      sj = s[j]!
      s[i] = sj
      s[j] = si
      ks |= s[(si + sj) & 255]! << 24
      w[q]! ^= ks
    }
    this.i = i
    this.j = j
    this.bytes(input, input, head + (words << 2), n)
    return input
  }

  private bytes(input: Uint8Array, output: Uint8Array, from: number, to: number): void {
    const s = this.s
    let i = this.i,
      j = this.j
    for (let k = from; k < to; k++) {
      i = (i + 1) & 255
      const si = s[i]!
      j = (j + si) & 255
      const sj = s[j]!
      s[i] = sj
      s[j] = si
      output[k] = input[k]! ^ s[(si + sj) & 255]!
    }
    this.i = i
    this.j = j
  }

  /** Advances the keystream by n bytes without output. */
  skip(n: number): void {
    const s = this.s
    let i = this.i,
      j = this.j
    for (let k = 0; k < n; k++) {
      i = (i + 1) & 255
      const si = s[i]!
      j = (j + si) & 255
      s[i] = s[j]!
      s[j] = si
    }
    this.i = i
    this.j = j
  }
}

const STATE_KEY = new Uint8Array(1)

function isByte(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 255
}

/** The word path XORs keystream byte k into the k-th byte of a little-endian word. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1

/** RC4 with the first 1024 keystream bytes discarded: MSE's ENCRYPT(). */
export const MSE_RC4_DISCARD = 1024

export function mseRc4(key: Uint8Array): Rc4 {
  return new Rc4(key, MSE_RC4_DISCARD)
}
