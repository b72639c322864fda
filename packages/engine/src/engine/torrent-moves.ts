import type { MoveProgress } from '../api/types.ts'
import type { InfoDictionary } from '../metainfo/parse-info.ts'
import { IoError, type FilePort, type Logger, type StateStore } from '../platform/ports.ts'
import { utf8Decode, utf8Encode } from '../util/bytes.ts'
import { errorText } from '../util/log.ts'
import type { RelocatingFiles } from '../storage/relocating-files.ts'

/** A place for a torrent's data: a root the platform serves and a folder in it ('' = the root). */
export interface SaveFolder {
  root: string
  dir: string
}

/** What a move needs of a torrent (the Torrent implements it). */
export interface MovableTorrent {
  readonly infoHash: string
  readonly name: string
  readonly info: InfoDictionary | null
  readonly savePath: string
  readonly saveDir: string
  isRunning(): boolean
  stop(): Promise<void>
  start(): Promise<void>
  relocate(root: string, dir: string): Promise<void>
  /** Running with storage open: its files, which can move one at a time while it keeps running. */
  liveFiles?(): RelocatingFiles | null
  /** A move done while running: the new folder is the torrent's. */
  adopt?(root: string, dir: string): void
}

/**
 * The journal of one move, saved before the first file moves and deleted after the torrent points at
 * the new folder. While it exists the data may be split between the two folders, one whole file here
 * or there: a restart (or Start after an error) finishes the move before the torrent runs.
 */
interface MoveJournal {
  from: SaveFolder
  to: SaveFolder
  /** File paths relative to the folder (the torrent's layout paths, padding files left out). */
  files: string[]
  /** The torrent ran when the move began: it runs again once the move is done. */
  restart: boolean
}

const journalKey = (infoHash: string): string => `move/${infoHash}`

/** A folder inside a root as the user typed it: trimmed, '/'-separated, no '..', '\\', NUL or leading '/'. */
export function normalizeSaveDir(dir: string | undefined): string {
  if (!dir) return ''
  if (dir.includes('\0') || dir.includes('\\')) throw new Error('a folder name cannot contain NUL or a backslash')
  const segs = dir
    .split('/')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== '.')
  if (segs.includes('..')) throw new Error("a folder cannot go up with '..'")
  return segs.join('/')
}

function join(dir: string, path: string): string {
  return dir ? `${dir}/${path}` : path
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/')
  return i < 0 ? '' : path.slice(0, i)
}

export interface TorrentMovesHost {
  files: FilePort
  state: StateStore
  log: Logger
}

/**
 * Moves torrents' data between folders, one file at a time: a rename inside one root, the platform's
 * `move` (the daemon's verified copy) across roots. The torrent stops for the move and starts again
 * from the new folder when it is done; every file is whole in the old folder or the new one at any
 * moment, and the journal lets a restart finish what a crash interrupted.
 */
export class TorrentMoves {
  private readonly running = new Map<string, MoveProgress>()
  /** Moves that failed (kept until the next attempt): the torrent shows the reason. */
  private readonly failed = new Map<string, string>()

  constructor(private readonly host: TorrentMovesHost) {}

  progress(infoHash: string): MoveProgress | undefined {
    const p = this.running.get(infoHash)
    return p ? { ...p } : undefined
  }

  failure(infoHash: string): string | undefined {
    return this.failed.get(infoHash)
  }

  /** Whether a move of this torrent was begun and not finished (a crash or an error). */
  async pending(infoHash: string): Promise<boolean> {
    return (await this.loadJournal(infoHash)) !== null
  }

  /** Moves the torrent's data to `to`; resolves when the torrent uses the new folder. */
  async move(t: MovableTorrent, to: SaveFolder): Promise<void> {
    if (this.running.has(t.infoHash)) throw new Error(`${t.name} is being moved already`)
    if (await this.pending(t.infoHash)) return this.resume(t)
    const from = { root: t.savePath, dir: t.saveDir }
    to = { root: to.root, dir: normalizeSaveDir(to.dir) }
    if (from.root === to.root && from.dir === to.dir) return
    const f = this.host.files
    if (!f.roots().includes(to.root)) throw new Error(`"${to.root}" is not a folder the helper serves`)
    if (from.root !== to.root && !f.move)
      throw new IoError('unsupported', 'the helper cannot move data between folders; update it, or move within one')
    if (!t.info) {
      // nothing is on disk before the metadata: the torrent simply downloads to the new folder
      const restart = t.isRunning()
      await t.stop()
      await t.relocate(to.root, to.dir)
      if (restart) await t.start()
      return
    }
    const files = dataFiles(t.info)
    for (const p of files)
      if (await f.stat(to.root, join(to.dir, p)))
        throw new IoError('exists', `${join(to.dir, p)} already exists in ${to.root}: choose another folder`)
    const journal: MoveJournal = { from, to, files, restart: t.isRunning() }
    await this.host.state.set(journalKey(t.infoHash), utf8Encode(JSON.stringify(journal)))
    await this.run(t, journal)
  }

  /** Finishes a move that was begun (after a restart, or Start after a failed move). */
  async resume(t: MovableTorrent, opts: { restart?: boolean } = {}): Promise<void> {
    if (this.running.has(t.infoHash)) return // under way: it starts the torrent itself when done
    const j = await this.loadJournal(t.infoHash)
    if (!j) return
    if (opts.restart !== undefined) j.restart = opts.restart
    await this.run(t, j)
  }

  private async run(t: MovableTorrent, j: MoveJournal): Promise<void> {
    const f = this.host.files
    const { from, to } = j
    const p: MoveProgress = { root: to.root, dir: to.dir, done: 0, total: 0 }
    this.running.set(t.infoHash, p)
    this.failed.delete(t.infoHash)
    try {
      // A running torrent keeps running: each file's I/O waits only while that file moves.
      const live = t.liveFiles?.() ?? null
      const restart = !live && (j.restart || t.isRunning())
      if (!live) await t.stop()
      const sizes: number[] = []
      for (const path of j.files) {
        const s = (await f.stat(from.root, join(from.dir, path))) ?? (await f.stat(to.root, join(to.dir, path)))
        sizes.push(s?.size ?? 0)
      }
      p.total = sizes.reduce((a, b) => a + b, 0)
      for (let i = 0; i < j.files.length; i++) {
        const src = join(from.dir, j.files[i]!)
        const dst = join(to.dir, j.files[i]!)
        const one = () => this.moveOne(t, from, to, src, dst, p)
        if (live) await live.relocate(from.root, src, to.root, dst, one)
        else await one()
        p.done = sizes.slice(0, i + 1).reduce((a, b) => a + b, 0)
      }
      await this.removeEmptyFolders(from, j.files)
      if (live && t.adopt && t.liveFiles?.() === live) t.adopt(to.root, to.dir)
      else await t.relocate(to.root, to.dir)
      await this.host.state.delete(journalKey(t.infoHash))
      this.host.log.info(`moved ${t.name} to ${to.root}${to.dir ? `/${to.dir}` : ''}`)
      if (restart) await t.start()
    } catch (err) {
      this.failed.set(t.infoHash, `moving the data failed: ${errorText(err)}. Start finishes the move.`)
      this.host.log.warn(`moving ${t.name} failed: ${errorText(err)}`)
      throw err
    } finally {
      this.running.delete(t.infoHash)
    }
  }

  /** Moves one file, or finishes it after an interruption (whatever step the journal's move reached). */
  private async moveOne(
    t: MovableTorrent,
    from: SaveFolder,
    to: SaveFolder,
    src: string,
    dst: string,
    p: MoveProgress,
  ) {
    const f = this.host.files
    const atSrc = await f.stat(from.root, src)
    const atDst = await f.stat(to.root, dst)
    await f.mkdir(to.root, parentOf(dst)) // also for a file not written yet: it will be created there
    if (atSrc && atDst) {
      // A file appears at its target name only once whole (rename, or the daemon's verified copy):
      // the source is the leftover of a move interrupted before it was removed.
      await f.remove(from.root, src)
    } else if (atSrc) {
      const base = p.done
      if (from.root === to.root) await f.rename(from.root, src, dst)
      else await f.move!(from.root, src, to.root, dst, (done) => (p.done = base + done))
    } else if (!atDst) {
      this.host.log.info(`moving ${t.name}: ${src} was never written, nothing to move`)
    }
  }

  /** The folders the torrent's files left behind, deepest first, if empty (never the root or its dir). */
  private async removeEmptyFolders(from: SaveFolder, files: string[]): Promise<void> {
    const dirs = new Set<string>()
    for (const p of files) for (let d = parentOf(p); d; d = parentOf(d)) dirs.add(d)
    const ordered = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length)
    for (const d of ordered) {
      const path = join(from.dir, d)
      const list = await this.host.files.list(from.root, path).catch(() => null) // gone already
      if (list && list.length === 0)
        await this.host.files
          .remove(from.root, path)
          .catch((err: unknown) => this.host.log.debug?.(`removing empty ${path} failed: ${errorText(err)}`))
    }
  }

  private async loadJournal(infoHash: string): Promise<MoveJournal | null> {
    const raw = await this.host.state.get(journalKey(infoHash))
    if (!raw) return null
    try {
      const j = JSON.parse(utf8Decode(raw)) as MoveJournal
      if (!j.from || !j.to || !Array.isArray(j.files)) return null
      return j
    } catch {
      return null // a damaged journal: the data stays where the torrent finds it (recheck shows the rest)
    }
  }

  /** Forgets a torrent's journal (the torrent was removed). */
  async forget(infoHash: string): Promise<void> {
    this.failed.delete(infoHash)
    await this.host.state.delete(journalKey(infoHash))
  }
}

/** The paths of a torrent's files that exist on disk (padding files are never written). */
function dataFiles(info: InfoDictionary): string[] {
  return info.files.filter((f) => !f.padding).map((f) => f.path)
}
