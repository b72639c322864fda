import { encodeResume } from '../storage/resume-state.ts'
import type { CreatedTorrent } from './create-torrent-files.ts'

/**
 * Fast-resume state for a torrent just created from data in place: every piece verified (the creation
 * hashed them), each file with the size and mtime it had when read. On add the storage trusts it while
 * the files are unchanged (a stat each, no re-hash) and rechecks whatever changed since.
 */
export function createdResume(created: CreatedTorrent, now: number): Uint8Array {
  const have = new Uint8Array(Math.ceil(created.pieceCount / 8))
  have.fill(0xff)
  const spare = have.length * 8 - created.pieceCount
  if (spare > 0) have[have.length - 1] = (0xff << spare) & 0xff
  return encodeResume({
    version: 1,
    pieceCount: created.pieceCount,
    have,
    files: created.files.map((f) => ({ size: f.length, mtimeMs: f.mtimeMs })),
    priorities: created.files.map(() => 'normal'),
    savedAt: now,
  })
}

/**
 * The torrent's storage finds its files at `<root>/<saveDir>/<name>`: anything below a root can be
 * seeded in place (its folder becomes the torrent's saveDir), but not the root itself, whose data has
 * no folder above it inside the root.
 */
export function seedableInPlace(path: string): boolean {
  return path.replace(/^\/+|\/+$/g, '') !== ''
}

/** Where a torrent of `path` (inside a root) finds its data: the folder holding it, '' = the root. */
export function seedFolderOf(path: string): string {
  const clean = path.replace(/^\/+|\/+$/g, '')
  const slash = clean.lastIndexOf('/')
  return slash < 0 ? '' : clean.slice(0, slash)
}
