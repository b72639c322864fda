/**
 * A data-plane torrent spec as a storage layout, so pieces map to file segments with the same code
 * the engine's storage uses (storage/file-map.ts).
 */

import type { DataPlaneTorrentSpec } from '../platform/ports.ts'
import { type StorageLayout, segments } from '../storage/file-map.ts'

/** Largest piece a data plane accepts (BitTorrent v1 clients use up to 16 MiB; 64 MiB leaves room). */
export const MAX_DATA_PLANE_PIECE = 64 * 1024 * 1024

/** Why a spec cannot be used, or null. Paths are checked by the platform (its own path rules). */
export function specProblem(spec: DataPlaneTorrentSpec): string | null {
  if (!Number.isSafeInteger(spec.pieceLength) || spec.pieceLength <= 0 || spec.pieceLength > MAX_DATA_PLANE_PIECE) {
    return 'pieceLength out of range'
  }
  if (!Array.isArray(spec.files) || spec.files.length === 0) return 'no files'
  let total = 0
  for (const f of spec.files) {
    if (typeof f?.path !== 'string' || !Number.isSafeInteger(f.length) || f.length < 0) return 'bad file entry'
    total += f.length
  }
  if (!Number.isSafeInteger(total) || total === 0) return 'torrent length out of range'
  return null
}

/** The layout of a spec (no piece hashes: the engine passes each piece's SHA-1 when it verifies). */
export function specLayout(spec: DataPlaneTorrentSpec): StorageLayout {
  let offset = 0
  const files = spec.files.map((f) => {
    const file = { path: f.path, length: f.length, offset, padding: f.padding === true }
    offset += f.length
    return file
  })
  return {
    files,
    pieceLength: spec.pieceLength,
    pieceCount: Math.ceil(offset / spec.pieceLength),
    length: offset,
    pieceHashes: new Uint8Array(0),
  }
}

export interface FileSpan {
  /** Index into the spec's files. */
  file: number
  path: string
  padding: boolean
  fileOffset: number
  /** Offset inside the requested range. */
  rangeOffset: number
  length: number
}

/** The file spans of `length` bytes at `begin` in `piece` (padding files included, marked). */
export function pieceSpans(layout: StorageLayout, piece: number, begin = 0, length?: number): FileSpan[] {
  return segments(layout, piece, begin, length).map((s) => {
    const f = layout.files[s.file]!
    return { ...s, path: f.path, padding: f.padding === true }
  })
}
