/**
 * A small LRU of open file handles. Every open/close is a daemon round trip, so handles are kept
 * open; the cap keeps the daemon's descriptor count bounded. A handle in use is never closed
 * under its user: eviction skips it (the cache may briefly exceed the cap instead).
 */
import type { FileHandle, FilePort } from '../platform/ports.ts'

interface Entry {
  path: string
  handle: Promise<FileHandle>
  writable: boolean
  refs: number
  lastUse: number
  retired: boolean
}

export class HandleCache {
  private readonly entries = new Map<string, Entry>()
  private tick = 0

  constructor(
    private readonly port: FilePort,
    private readonly root: string,
    readonly maxOpen = 16,
  ) {}

  get openCount(): number {
    return this.entries.size
  }

  /** A handle for `path` is cached (possibly still opening), writable when asked. */
  isOpen(path: string, write: boolean): boolean {
    const e = this.entries.get(path)
    return !!e && (!write || e.writable)
  }

  /** Runs `fn` with an open handle; `write` opens (and creates) the file writable. */
  async use<T>(path: string, write: boolean, fn: (h: FileHandle) => Promise<T>): Promise<T> {
    let e = this.entries.get(path)
    if (e && write && !e.writable) {
      this.retire(e)
      e = undefined
    }
    if (!e) {
      const handle = this.port.open(this.root, path, write ? { write: true, create: true } : {})
      e = { path, handle, writable: write, refs: 0, lastUse: 0, retired: false }
      this.entries.set(path, e)
      // a failed open must not stay cached
      handle.catch(() => {
        if (this.entries.get(path) === e) this.entries.delete(path)
      })
    }
    e.refs++
    e.lastUse = ++this.tick
    this.evict()
    try {
      return await fn(await e.handle)
    } finally {
      e.refs--
      if (e.retired && e.refs === 0) void closeQuietly(e.handle)
      else this.evict()
    }
  }

  /** Closes every idle handle and forgets the rest (they close when their users finish). */
  async closeAll(): Promise<void> {
    const all = [...this.entries.values()]
    this.entries.clear()
    await Promise.all(
      all.map((e) => {
        e.retired = true
        return e.refs === 0 ? closeQuietly(e.handle) : Promise.resolve()
      }),
    )
  }

  /** Drop the handle for `path` (e.g. before a rename). */
  forget(path: string): void {
    const e = this.entries.get(path)
    if (e) this.retire(e)
  }

  private retire(e: Entry): void {
    if (this.entries.get(e.path) === e) this.entries.delete(e.path)
    e.retired = true
    if (e.refs === 0) void closeQuietly(e.handle)
  }

  private evict(): void {
    while (this.entries.size > this.maxOpen) {
      let victim: Entry | undefined
      for (const e of this.entries.values()) {
        if (e.refs === 0 && (!victim || e.lastUse < victim.lastUse)) victim = e
      }
      if (!victim) return
      this.retire(victim)
    }
  }
}

async function closeQuietly(h: Promise<FileHandle>): Promise<void> {
  try {
    await (await h).close()
  } catch {
    // the open failed or the handle is already gone: nothing to close
  }
}
