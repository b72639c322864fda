/**
 * BEP 6's canonical allowed-fast set: the pieces a peer at `ip` may request from us while choked.
 * Both sides can compute it, so a peer cannot pick pieces by reconnecting. IPv4 only, as BEP 6
 * defines it (the /24 network, so peers behind one NAT share a set); other addresses get none.
 */
import { sha1 } from '../util/sha1.ts'

export async function allowedFastSet(
  ip: string,
  infoHash: Uint8Array,
  pieceCount: number,
  k: number,
): Promise<number[]> {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip)
  if (!m || pieceCount <= 0 || infoHash.length !== 20) return []
  const want = Math.min(k, pieceCount)
  let x: Uint8Array = new Uint8Array(24)
  x.set([Number(m[1]), Number(m[2]), Number(m[3]), 0], 0) // ip & 0xffffff00
  x.set(infoHash, 4)
  const out: number[] = []
  // Each round yields 5 candidates; duplicates are skipped. Bounded: a set of `want` distinct
  // indices out of pieceCount ≥ want is reached long before this many rounds in practice.
  for (let round = 0; round < 10_000 && out.length < want; round++) {
    x = await sha1(x)
    for (let i = 0; i < 5 && out.length < want; i++) {
      const y = ((x[i * 4]! << 24) >>> 0) + ((x[i * 4 + 1]! << 16) | (x[i * 4 + 2]! << 8) | x[i * 4 + 3]!)
      const index = y % pieceCount
      if (!out.includes(index)) out.push(index)
    }
  }
  return out
}
