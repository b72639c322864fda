/** File priorities → per-piece priorities (0 skip, 1 low, 2 normal, 3 high). */
import type { FilePriority } from '../api/types.ts'
import { pieceSize, piecesOfFile } from './file-map.ts'
import type { StorageLayout } from './file-map.ts'

export const PRIORITY_LEVEL: Record<FilePriority, number> = { skip: 0, low: 1, normal: 2, high: 3 }

/**
 * A piece gets the highest priority of the real (non-padding) files it touches, so a piece shared by a
 * skipped and a wanted file is still downloaded (the skipped file is then created, sparse).
 */
export function piecePriorities(layout: StorageLayout, filePriorities: readonly FilePriority[]): Uint8Array {
  const out = new Uint8Array(layout.pieceCount)
  layout.files.forEach((file, i) => {
    if (file.padding) return
    const level = PRIORITY_LEVEL[filePriorities[i] ?? 'normal']
    const range = piecesOfFile(layout, i)
    if (!range || level === 0) return
    for (let p = range[0]; p <= range[1]; p++) if (out[p]! < level) out[p] = level
  })
  return out
}

/** Is file `index` wanted (created and completed) under these priorities? */
export function fileWanted(layout: StorageLayout, priorities: readonly FilePriority[], index: number): boolean {
  return !layout.files[index]!.padding && (priorities[index] ?? 'normal') !== 'skip'
}

/** Bytes of the pieces these piece priorities want, and of those the bytes of pieces `has` holds. */
export function wantedBytes(
  layout: StorageLayout,
  piecePrio: Uint8Array,
  has: (piece: number) => boolean = () => false,
): { selected: number; verified: number } {
  let selected = 0
  let verified = 0
  for (let p = 0; p < layout.pieceCount; p++) {
    if (piecePrio[p] === 0) continue
    const n = pieceSize(layout, p)
    selected += n
    if (has(p)) verified += n
  }
  return { selected, verified }
}
