import type { FileHandle, FilePort, FileStat } from '../platform/ports.ts'

/**
 * The FilePort a running torrent's storage sees while its data moves: files already moved are found
 * at their new place, and I/O on the one file being moved waits until it is there (a brief pause per
 * file, while the rest of the torrent keeps downloading and seeding). Open handles follow their file:
 * the next operation after a move reopens it at the new place.
 */
export class RelocatingFiles implements FilePort {
  /** "root\0path" of a moved file → where it is now. */
  private readonly moved = new Map<string, { root: string; path: string }>()
  /** After the whole move: everything under `from` is under `to`. */
  private base: { fromRoot: string; fromDir: string; toRoot: string; toDir: string } | null = null
  /** Files being moved: operations on them wait for this. */
  private readonly gates = new Map<string, Promise<void>>()
  /** Operations in flight per file, and who waits for them to end. */
  private readonly busy = new Map<string, { n: number; idle: Array<() => void> }>()
  /** Bumped per moved file: a handle opened before reopens. */
  private readonly epochs = new Map<string, number>()
  /** Bumped whenever a file's place changes (one file moved, or the whole folder). */
  version = 0
  private readonly watchers = new Set<() => void>()

  constructor(private readonly port: FilePort) {}

  roots(): string[] {
    return this.port.roots()
  }

  rootPath(root: string): string | undefined {
    return this.port.rootPath?.(root)
  }

  /** Where (root, path) is now. */
  where(root: string, path: string): { root: string; path: string } {
    const m = this.moved.get(`${root}\0${path}`)
    if (m) return m
    const b = this.base
    if (b && root === b.fromRoot && (b.fromDir === '' || path === b.fromDir || path.startsWith(`${b.fromDir}/`))) {
      const rest = b.fromDir === '' ? path : path.slice(b.fromDir.length).replace(/^\//, '')
      return { root: b.toRoot, path: b.toDir && rest ? `${b.toDir}/${rest}` : b.toDir || rest }
    }
    return { root, path }
  }

  /**
   * Moves one file: new I/O on it waits, I/O in flight ends, `move` runs, and from then on the file
   * is found at (toRoot, toPath). If `move` fails the file stays where it was.
   */
  async relocate(root: string, path: string, toRoot: string, toPath: string, move: () => Promise<void>): Promise<void> {
    const key = `${root}\0${path}`
    let open!: () => void
    this.gates.set(
      key,
      new Promise<void>((r) => {
        open = r
      }),
    )
    try {
      const b = this.busy.get(key)
      if (b && b.n > 0) await new Promise<void>((r) => b.idle.push(r))
      await move()
      this.moved.set(key, { root: toRoot, path: toPath })
      this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1)
      this.changed()
    } finally {
      this.gates.delete(key)
      open()
    }
  }

  /** The whole folder moved: paths not moved one by one (folders, files never written) map too. */
  setBase(fromRoot: string, fromDir: string, toRoot: string, toDir: string): void {
    this.base = { fromRoot, fromDir, toRoot, toDir }
    this.changed()
  }

  /** Calls `fn` after every change of place; returns the way to stop. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn)
    return () => this.watchers.delete(fn)
  }

  /**
   * Runs `fn` while none of these files is being moved (they count as in use meanwhile, so a move
   * waits for it): for I/O done elsewhere on the files' current places (the platform's data plane).
   */
  hold<T>(root: string, paths: readonly string[], fn: () => Promise<T>): Promise<T> {
    if (paths.length === 0) return fn()
    return this.guarded(root, paths[0]!, () => this.hold(root, paths.slice(1), fn))
  }

  private changed(): void {
    this.version++
    for (const fn of this.watchers) fn()
  }

  /** Runs `fn` on a file once it is not being moved, counted as in flight meanwhile. */
  private async guarded<T>(
    root: string,
    path: string,
    fn: (at: { root: string; path: string }) => Promise<T>,
  ): Promise<T> {
    const key = `${root}\0${path}`
    for (let gate = this.gates.get(key); gate; gate = this.gates.get(key)) await gate
    const b = this.busy.get(key) ?? { n: 0, idle: [] }
    this.busy.set(key, b)
    b.n++
    try {
      return await fn(this.where(root, path))
    } finally {
      b.n--
      if (b.n === 0) {
        this.busy.delete(key)
        for (const w of b.idle.splice(0)) w()
      }
    }
  }

  async open(root: string, path: string, opts?: { write?: boolean; create?: boolean }): Promise<FileHandle> {
    const key = `${root}\0${path}`
    let epoch = this.epochs.get(key) ?? 0
    let cur = await this.guarded(root, path, (at) => this.port.open(at.root, at.path, opts))
    // Each operation passes the gate, then uses the handle of the file's current place.
    const op = <T>(fn: (h: FileHandle) => Promise<T>): Promise<T> =>
      this.guarded(root, path, async (at) => {
        const now = this.epochs.get(key) ?? 0
        if (now !== epoch) {
          const old = cur
          cur = await this.port.open(at.root, at.path, opts)
          epoch = now
          // the old place's handle: its file is gone or a leftover copy, nothing to flush
          await old.close().catch(() => undefined)
        }
        return fn(cur)
      })
    return {
      read: (offset, length) => op((h) => h.read(offset, length)),
      write: (offset, data) => op((h) => h.write(offset, data)),
      truncate: (size) => op((h) => h.truncate(size)),
      stat: () => op((h) => h.stat()),
      close: () => cur.close(),
    }
  }

  stat(root: string, path: string): Promise<FileStat | null> {
    return this.guarded(root, path, (at) => this.port.stat(at.root, at.path))
  }

  mkdir(root: string, path: string): Promise<void> {
    const at = this.where(root, path)
    return this.port.mkdir(at.root, at.path)
  }

  list(root: string, path: string): Promise<Array<{ name: string; isDirectory: boolean; size: number }>> {
    const at = this.where(root, path)
    return this.port.list(at.root, at.path)
  }

  rename(root: string, from: string, to: string): Promise<void> {
    const a = this.where(root, from)
    const b = this.where(root, to)
    if (a.root !== b.root) return this.port.move!(a.root, a.path, b.root, b.path)
    return this.port.rename(a.root, a.path, b.path)
  }

  remove(root: string, path: string, opts?: { recursive?: boolean }): Promise<void> {
    const at = this.where(root, path)
    return this.port.remove(at.root, at.path, opts)
  }

  sha1(root: string, path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.guarded(root, path, (at) => this.port.sha1(at.root, at.path, offset, length))
  }
}
