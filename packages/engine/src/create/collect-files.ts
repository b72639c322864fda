import type { FilePort, FileStat } from '../platform/ports.ts'
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

/** Stats many paths, a bounded number at once (each is a round trip to the daemon); results in order. */
export async function statAll(
  port: FilePort,
  root: string,
  paths: readonly string[],
  concurrency = 32,
): Promise<Array<FileStat | null>> {
  const out: Array<FileStat | null> = new Array(paths.length).fill(null)
  let next = 0
  const worker = async () => {
    while (next < paths.length) {
      const i = next++
      out[i] = await port.stat(root, paths[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker))
  return out
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
    const plain = entries.filter((e) => !e.isDirectory)
    if (files.length + plain.length > MAX_SOURCE_FILES)
      throw new CreateTorrentError(`${clean} holds more than ${MAX_SOURCE_FILES} files`)
    // the listing's size would lay pieces out; the mtime is what fast resume compares later
    const stats = new Map(
      (
        await statAll(
          port,
          root,
          plain.map((e) => `${dir}/${e.name}`),
        )
      ).map((st, i) => [plain[i]!.name, st]),
    )
    for (const e of entries) {
      const child = `${dir}/${e.name}`
      if (e.isDirectory) {
        await walk(child, [...inside, e.name], depth + 1)
        continue
      }
      const st = stats.get(e.name)
      if (!st) continue // removed since it was listed
      files.push({ path: [...inside, e.name], rootPath: child, length: st.size, mtimeMs: st.mtimeMs })
    }
  }
  await walk(clean, [], 0)
  return { name, single: false, files, totalBytes: files.reduce((n, f) => n + f.length, 0) }
}
