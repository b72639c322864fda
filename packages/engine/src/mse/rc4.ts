/**
 * RC4, as Message Stream Encryption uses it: a key of any length up to 256 bytes, and optionally the
 * first bytes of keystream thrown away (MSE discards 1024, because RC4's early output leaks key bits).
 * RC4 is weak by today's standards; MSE uses it for obfuscation against traffic shaping, not secrecy.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256)
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

  /** XORs `input` with the next input.length keystream bytes into `output` (which may be `input`). */
  process(input: Uint8Array, output: Uint8Array = input): Uint8Array {
    if (output.length < input.length) throw new RangeError('RC4 output shorter than input')
    const s = this.s
    let i = this.i, j = this.j
    const n = input.length
    for (let k = 0; k < n; k++) {
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
    return output
  }

  /** Advances the keystream by n bytes without output. */
  skip(n: number): void {
    const s = this.s
    let i = this.i, j = this.j
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

/** RC4 with the first 1024 keystream bytes discarded: MSE's ENCRYPT(). */
export const MSE_RC4_DISCARD = 1024

export function mseRc4(key: Uint8Array): Rc4 {
  return new Rc4(key, MSE_RC4_DISCARD)
}
