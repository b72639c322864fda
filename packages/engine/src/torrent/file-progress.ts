import type { StorageLayout } from '../storage/file-map.ts'
import type { HasPieces } from '../picker/piece-bits.ts'

/** Verified bytes of each file: the overlap of every verified piece with that file. */
export function fileVerifiedBytes(layout: StorageLayout, have: HasPieces): number[] {
  const out = new Array<number>(layout.files.length).fill(0)
  const L = layout.pieceLength
  for (let i = 0; i < layout.files.length; i++) {
    const f = layout.files[i]!
    if (f.length === 0) continue
    const end = f.offset + f.length
    const first = Math.floor(f.offset / L)
    const last = Math.floor((end - 1) / L)
    let n = 0
    for (let p = first; p <= last; p++) {
      if (!have.has(p)) continue
      const ps = p * L
      const pe = Math.min(ps + L, layout.length)
      n += Math.min(pe, end) - Math.max(ps, f.offset)
    }
    out[i] = n
  }
  return out
}
