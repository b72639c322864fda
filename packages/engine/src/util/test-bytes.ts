/**
 * Deterministic pseudo-random bytes for tests (xorshift32): the same `seed` gives the same content, so
 * a download can be compared byte for byte with what was served. Not for anything but tests.
 */
export function testBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed * 2654435761 || 1 // a zero state would give zeros only
  for (let i = 0; i < n; i++) {
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    x = (x ^ (x << 5)) >>> 0
    out[i] = x & 0xff
  }
  return out
}
