/**
 * Recheck: find which pieces are already on disk. File sizes come first (one stat per file): a piece
 * touching a missing or short file is missing without reading anything. The rest are hashed with
 * bounded concurrency (in the daemon when the piece lies inside one file).
 */
import { IoError } from '../platform/ports.ts'
import type { FileStat } from '../platform/ports.ts'
import { segments } from './file-map.ts'
import type { TorrentStorage } from './torrent-storage.ts'

export interface RecheckOptions {
  /** Only these pieces (default: all). */
  pieces?: Iterable<number>
  /** Pieces hashed at once (each is a round trip). */
  concurrency?: number
  onProgress?: (done: number, total: number) => void
  /** Set `aborted` to stop early; unchecked pieces are left missing. */
  signal?: { aborted: boolean }
  /** File stats already taken (saves a round trip per file). */
  stats?: Array<FileStat | null>
}

export interface RecheckResult {
  /** Pieces hashed. */
  hashed: number
  verified: number
  /** Pieces counted missing by size alone, or whose hash did not match. */
  missing: number
  aborted: boolean
}

/** Can piece `p` be on disk, judging by file sizes alone? */
export function piecePresent(storage: TorrentStorage, stats: Array<FileStat | null>, p: number): boolean {
  for (const s of segments(storage.layout, p)) {
    if (storage.layout.files[s.file]!.padding) continue
    const st = stats[s.file]
    if (!st || st.isDirectory || st.size < s.fileOffset + s.length) return false
  }
  return true
}

export async function recheck(storage: TorrentStorage, opts: RecheckOptions = {}): Promise<RecheckResult> {
  const all = opts.pieces ? [...opts.pieces] : [...Array(storage.layout.pieceCount).keys()]
  const stats = opts.stats ?? (await storage.fileStats())
  const result: RecheckResult = { hashed: 0, verified: 0, missing: 0, aborted: false }
  const toHash: number[] = []
  for (const p of all) {
    if (piecePresent(storage, stats, p)) toHash.push(p)
    else {
      storage.have.clear(p)
      result.missing++
    }
  }
  let done = result.missing
  opts.onProgress?.(done, all.length)
  let next = 0
  const worker = async () => {
    while (next < toHash.length) {
      if (opts.signal?.aborted) {
        result.aborted = true
        return
      }
      const p = toHash[next++]!
      let ok = false
      try {
        ok = await storage.verifyOnDisk(p)
      } catch (e) {
        // a file that vanished or shrank meanwhile: the piece is missing; anything else is a real error
        if (!(e instanceof IoError) || !['not-found', 'invalid', 'closed'].includes(e.code)) throw e
        storage.have.clear(p)
      }
      result.hashed++
      if (ok) result.verified++
      else result.missing++
      opts.onProgress?.(++done, all.length)
    }
  }
  const n = Math.max(1, Math.min(opts.concurrency ?? 4, toHash.length))
  await Promise.all(Array.from({ length: n }, worker))
  return result
}
