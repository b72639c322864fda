/** The content bench:bridge --data-plane moves: deterministic pieces both processes can build. */
export const DP_PIECE = 1024 * 1024
export const DP_BENCH_KEY = Uint8Array.from({ length: 20 }, (_, k) => k + 1)

export function benchPiece(p: number): Uint8Array {
  const out = new Uint8Array(DP_PIECE)
  const v = new Uint32Array(out.buffer)
  let x = (p + 1) * 2654435761
  for (let k = 0; k < v.length; k++) {
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    x = (x ^ (x << 5)) >>> 0
    v[k] = x
  }
  return out
}
