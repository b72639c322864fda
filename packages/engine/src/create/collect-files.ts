import type { FilePort } from '../platform/ports.ts'
import { utf8Encode, compareBytes } from '../util/bytes.ts'

/** One file of a torrent being created, as found under its root. */
export interface SourceFile {
  /** Components inside the torrent (for a single-file torrent: just its name). */
  path: string[]
  /** Path inside the FilePort root, '/'-separated. */
  rootPath: string
  length: number
  mtimeMs: number
}

export interface SourceTree {
  /** The torrent's `name`: the picked file's or folder's own name. */
  name: string
  /** A single file gives the single-file layout (`length`); a folder always the `files` list. */
  single: boolean
  files: SourceFile[]
  totalBytes: number
}

/** Bounds so a picked folder cannot make the walk run away (a link loop, a whole disk). */
export const MAX_SOURCE_FILES = 100_000
const MAX_DEPTH = 64

export class CreateTorrentError extends Error {
  override name = 'CreateTorrentError'
}

/** Byte order of UTF-8 names: the order a sorted directory listing has on disk. */
function byUtf8Name(a: string, b: string): number {
  return compareBytes(utf8Encode(a), utf8Encode(b))
}

/**
 * Finds what a new torrent holds: the file at `path`, or every file under the folder at `path`,
 * depth first, each folder's entries in byte order of their names (files and subfolders mixed, as a
 * sorted listing has them). Hidden files and empty files are included, empty folders leave no trace:
 * what libtorrent's `add_files` takes. libtorrent itself keeps the order the file system lists a
 * folder in (unsorted on ext4), so it agrees with us where that order is sorted or where its caller
 * added the files sorted; sorting makes our info-hash independent of the file system.
 */
export async function collectFiles(port: FilePort, root: string, path: string): Promise<SourceTree> {
  const clean = path.replace(/^\/+|\/+$/g, '')
  if (clean === '') throw new CreateTorrentError('pick a file or folder inside the folder, not the folder itself')
  const stat = await port.stat(root, clean)
  if (!stat) throw new CreateTorrentError(`${clean} does not exist`)
  const name = clean.slice(clean.lastIndexOf('/') + 1)
  if (!stat.isDirectory) {
    return {
      name,
      single: true,
      files: [{ path: [name], rootPath: clean, length: stat.size, mtimeMs: stat.mtimeMs }],
      totalBytes: stat.size,
    }
  }
  const files: SourceFile[] = []
  const walk = async (dir: string, inside: string[], depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new CreateTorrentError(`${dir}: folders nested deeper than ${MAX_DEPTH}`)
    const entries = (await port.list(root, dir)).slice().sort((a, b) => byUtf8Name(a.name, b.name))
    for (const e of entries) {
      const child = `${dir}/${e.name}`
      if (e.isDirectory) {
        await walk(child, [...inside, e.name], depth + 1)
        continue
      }
      if (files.length >= MAX_SOURCE_FILES)
        throw new CreateTorrentError(`${clean} holds more than ${MAX_SOURCE_FILES} files`)
      // the listing's size is enough to lay pieces out; the mtime is what fast resume compares later
      const s = await port.stat(root, child)
      if (!s) continue // removed since it was listed
      files.push({ path: [...inside, e.name], rootPath: child, length: s.size, mtimeMs: s.mtimeMs })
    }
  }
  await walk(clean, [], 0)
  return { name, single: false, files, totalBytes: files.reduce((n, f) => n + f.length, 0) }
}
