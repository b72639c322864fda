/** Deterministic mutation helpers for fuzz tests (seeded, bounded). */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 2 ** 32
  }
}

/** One random mutation of `input`: flip, insert, delete, truncate or duplicate a span. */
export function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  const b = Array.from(input)
  const pos = Math.floor(rnd() * (b.length + 1))
  const op = Math.floor(rnd() * 6)
  const interesting = [0x64, 0x6c, 0x69, 0x65, 0x3a, 0x30, 0x39, 0x2d, 0x00, 0xff]
  if (op === 0 && b.length) b[pos % b.length] ^= 1 << Math.floor(rnd() * 8)
  else if (op === 1) b.splice(pos, 0, interesting[Math.floor(rnd() * interesting.length)])
  else if (op === 2 && b.length) b.splice(pos % b.length, 1 + Math.floor(rnd() * 4))
  else if (op === 3) b.length = pos
  else if (op === 4) b.splice(pos, 0, ...b.slice(pos, pos + Math.floor(rnd() * 16)))
  else if (b.length) b[pos % b.length] = interesting[Math.floor(rnd() * interesting.length)]
  return new Uint8Array(b)
}
