/**
 * Maps piece and block ranges to file segments. The layout is a torrent's file list laid end to end;
 * it is structurally what metainfo's `Metainfo` provides, so either can be passed.
 */

export interface LayoutFile {
  /** Relative '/'-separated path (already sanitised), joined under the storage's base directory. */
  path: string
  length: number
  /** Byte offset of the file in the torrent's concatenated data. */
  offset: number
  /** BEP 47 padding file: never created or written; its bytes are zeros. */
  padding?: boolean
}

export interface StorageLayout {
  files: readonly LayoutFile[]
  pieceLength: number
  pieceCount: number
  /** Total bytes, padding included. */
  length: number
  /** 20 bytes of SHA-1 per piece. */
  pieceHashes: Uint8Array
}

export interface Segment {
  file: number
  fileOffset: number
  /** Offset of the segment inside the requested range. */
  rangeOffset: number
  length: number
}

export const BLOCK_SIZE = 16 * 1024

export function pieceSize(layout: StorageLayout, piece: number): number {
  if (piece < 0 || piece >= layout.pieceCount) throw new RangeError(`piece ${piece} out of range`)
  if (piece < layout.pieceCount - 1) return layout.pieceLength
  return layout.length - layout.pieceLength * (layout.pieceCount - 1)
}

export function blockCount(layout: StorageLayout, piece: number): number {
  return Math.ceil(pieceSize(layout, piece) / BLOCK_SIZE)
}

export function pieceHash(layout: StorageLayout, piece: number): Uint8Array {
  return layout.pieceHashes.subarray(piece * 20, piece * 20 + 20)
}

/** Index of the file holding byte `pos` (skipping 0-byte files). */
export function fileAt(layout: StorageLayout, pos: number): number {
  const files = layout.files
  let lo = 0
  let hi = files.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (files[mid]!.offset <= pos) lo = mid
    else hi = mid - 1
  }
  while (lo < files.length - 1 && files[lo]!.offset + files[lo]!.length <= pos) lo++
  return lo
}

/** The file segments covering `length` bytes at `begin` inside `piece`. 0-byte files never appear. */
export function segments(layout: StorageLayout, piece: number, begin = 0, length?: number): Segment[] {
  const size = pieceSize(layout, piece)
  const len = length ?? size - begin
  if (begin < 0 || len < 0 || begin + len > size) throw new RangeError(`range ${begin}+${len} outside piece ${piece}`)
  const out: Segment[] = []
  let pos = piece * layout.pieceLength + begin
  let done = 0
  let f = fileAt(layout, pos)
  while (done < len) {
    const file = layout.files[f]!
    const inFile = pos - file.offset
    const n = Math.min(file.length - inFile, len - done)
    if (n > 0) {
      out.push({ file: f, fileOffset: inFile, rangeOffset: done, length: n })
      done += n
      pos += n
    }
    f++
    if (f >= layout.files.length && done < len) throw new RangeError('layout shorter than its length')
  }
  return out
}

/** First and last piece touching file `index` (null for 0-byte files). */
export function piecesOfFile(layout: StorageLayout, index: number): [number, number] | null {
  const f = layout.files[index]!
  if (f.length === 0) return null
  return [Math.floor(f.offset / layout.pieceLength), Math.floor((f.offset + f.length - 1) / layout.pieceLength)]
}

/** Checks that files are contiguous and add up to the piece count; throws RangeError otherwise. */
export function checkLayout(layout: StorageLayout): void {
  let pos = 0
  for (const f of layout.files) {
    if (f.offset !== pos || f.length < 0) throw new RangeError(`file ${f.path} is not contiguous`)
    pos += f.length
  }
  if (pos !== layout.length) throw new RangeError('files do not add up to the torrent length')
  if (layout.pieceLength <= 0 || layout.pieceCount !== Math.ceil(layout.length / layout.pieceLength)) {
    throw new RangeError('piece count does not match length')
  }
  if (layout.pieceHashes.length !== layout.pieceCount * 20) throw new RangeError('wrong number of piece hashes')
}
