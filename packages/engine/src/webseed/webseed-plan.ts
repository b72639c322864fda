import type { StorageLayout } from '../storage/file-map.ts'
import { fileAt } from '../storage/file-map.ts'

/** A block the picker gave a web seed. */
export interface PlannedBlock {
  piece: number
  begin: number
  length: number
}

/** Contiguous bytes of the torrent (`start` is an offset in the concatenated files). */
export interface ByteRun {
  start: number
  length: number
  blocks: PlannedBlock[]
}

/** Groups blocks into runs of adjacent bytes, in torrent order: one HTTP range each. */
export function groupRuns(blocks: readonly PlannedBlock[], pieceLength: number): ByteRun[] {
  const sorted = [...blocks].sort((a, b) => a.piece - b.piece || a.begin - b.begin)
  const runs: ByteRun[] = []
  for (const b of sorted) {
    const start = b.piece * pieceLength + b.begin
    const last = runs[runs.length - 1]
    if (last && last.start + last.length === start) {
      last.length += b.length
      last.blocks.push(b)
    } else runs.push({ start, length: b.length, blocks: [b] })
  }
  return runs
}

/** A run's part inside one file. */
export interface FileSpan {
  file: number
  fileOffset: number
  /** Offset of this span in the run. */
  runOffset: number
  length: number
  /** BEP 47 padding: zeros, never asked of the server. */
  padding: boolean
}

/** The file spans covering `length` bytes at torrent offset `start` (0-byte files skipped). */
export function fileSpans(layout: StorageLayout, start: number, length: number): FileSpan[] {
  if (start < 0 || length < 0 || start + length > layout.length)
    throw new RangeError(`range ${start}+${length} outside the torrent`)
  const out: FileSpan[] = []
  let pos = start
  let f = fileAt(layout, pos)
  while (pos < start + length && f < layout.files.length) {
    const file = layout.files[f]!
    const inFile = pos - file.offset
    const n = Math.min(file.length - inFile, start + length - pos)
    if (n > 0) {
      out.push({ file: f, fileOffset: inFile, runOffset: pos - start, length: n, padding: !!file.padding })
      pos += n
    }
    f++
  }
  if (pos < start + length) throw new RangeError('layout shorter than its length')
  return out
}

/** Splits a run back into the blocks it carried, from the run's bytes. */
export function splitRun(
  run: ByteRun,
  data: Uint8Array,
  pieceLength: number,
): Array<PlannedBlock & { data: Uint8Array }> {
  return run.blocks.map((b) => {
    const at = b.piece * pieceLength + b.begin - run.start
    return { ...b, data: data.subarray(at, at + b.length) }
  })
}
