/**
 * An in-memory FilePort for tests and for running two engines in one process.
 * Behaves like a strict daemon: parents must exist before a file is created, paths are checked
 * the same way, and faults (a byte quota, or a hook) can be injected to test error paths.
 */
import { IoError } from './ports.ts'
import type { FileHandle, FilePort, FileStat, IoErrorCode } from './ports.ts'

export type MemoryFileOp =
  | 'open'
  | 'read'
  | 'write'
  | 'truncate'
  | 'stat'
  | 'mkdir'
  | 'list'
  | 'rename'
  | 'remove'
  | 'sha1'
  | 'close'
  | 'move'

export interface MemoryFilePortOptions {
  roots?: string[]
  /** Total bytes all files may hold; a write or truncate beyond it fails with 'no-space'. */
  quotaBytes?: number
  /** Clock for mtimes (ms). */
  now?: () => number
  /** Called before each operation; return a code to make it fail with that IoError. */
  fault?: (op: MemoryFileOp, root: string, path: string) => IoErrorCode | null
}

interface MemFile {
  data: Uint8Array
  size: number
  mtimeMs: number
}

/** Validates a relative '/'-separated path and returns its components. */
export function splitSafePath(path: string): string[] {
  if (path === '') return []
  if (path.startsWith('/') || path.includes('\0') || path.includes('\\') || /^[A-Za-z]:/.test(path)) {
    throw new IoError('bad-path', `bad path: ${JSON.stringify(path)}`)
  }
  const parts = path.split('/')
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..') throw new IoError('bad-path', `bad path: ${JSON.stringify(path)}`)
  }
  return parts
}

export class MemoryFilePort implements FilePort {
  private readonly rootNames: string[]
  private readonly files = new Map<string, MemFile>()
  private readonly dirs = new Set<string>()
  readonly now: () => number
  private readonly fault: MemoryFilePortOptions['fault']
  quotaBytes: number
  /** Operation counts, so tests can check that callers batch their I/O. */
  readonly ops: Record<MemoryFileOp, number> = {
    open: 0,
    read: 0,
    write: 0,
    truncate: 0,
    stat: 0,
    mkdir: 0,
    list: 0,
    rename: 0,
    remove: 0,
    sha1: 0,
    close: 0,
    move: 0,
  }
  openHandles = 0

  constructor(opts: MemoryFilePortOptions = {}) {
    this.rootNames = opts.roots ?? ['downloads']
    this.quotaBytes = opts.quotaBytes ?? Number.POSITIVE_INFINITY
    this.now = opts.now ?? (() => Date.now())
    this.fault = opts.fault
    for (const r of this.rootNames) this.dirs.add(key(r, []))
  }

  roots(): string[] {
    return [...this.rootNames]
  }

  /** Bytes held by all files (sparse holes count: memory files are not sparse). */
  usedBytes(): number {
    let n = 0
    for (const f of this.files.values()) n += f.size
    return n
  }

  /** Test helper: the bytes of a file, or null. */
  peek(root: string, path: string): Uint8Array | null {
    const f = this.files.get(key(root, splitSafePath(path)))
    return f ? f.data.slice(0, f.size) : null
  }

  /** Test helper: set a file's content directly (parents are created). */
  put(root: string, path: string, data: Uint8Array, mtimeMs = this.now()): void {
    const parts = this.check(root, path)
    for (let i = 1; i < parts.length; i++) this.dirs.add(key(root, parts.slice(0, i)))
    this.files.set(key(root, parts), { data: data.slice(), size: data.length, mtimeMs })
  }

  async open(root: string, path: string, opts: { write?: boolean; create?: boolean } = {}): Promise<FileHandle> {
    const parts = this.enter('open', root, path)
    const k = key(root, parts)
    let file = this.files.get(k)
    if (!file) {
      if (this.dirs.has(k)) throw new IoError('invalid', `is a directory: ${path}`)
      if (!opts.create) throw new IoError('not-found', `no such file: ${path}`)
      if (!this.dirs.has(key(root, parts.slice(0, -1)))) throw new IoError('not-found', `no parent directory: ${path}`)
      file = { data: new Uint8Array(0), size: 0, mtimeMs: this.now() }
      this.files.set(k, file)
    }
    this.openHandles++
    return new MemoryHandle(this, root, path, k, opts.write === true || opts.create === true)
  }

  async stat(root: string, path: string): Promise<FileStat | null> {
    const parts = this.enter('stat', root, path)
    const k = key(root, parts)
    const f = this.files.get(k)
    if (f) return { size: f.size, isDirectory: false, mtimeMs: f.mtimeMs }
    if (this.dirs.has(k)) return { size: 0, isDirectory: true, mtimeMs: 0 }
    return null
  }

  async mkdir(root: string, path: string): Promise<void> {
    const parts = this.enter('mkdir', root, path)
    for (let i = 1; i <= parts.length; i++) {
      const k = key(root, parts.slice(0, i))
      if (this.files.has(k)) throw new IoError('exists', `a file is in the way: ${parts.slice(0, i).join('/')}`)
      this.dirs.add(k)
    }
  }

  async list(root: string, path: string): Promise<Array<{ name: string; isDirectory: boolean; size: number }>> {
    const parts = this.enter('list', root, path)
    const k = key(root, parts)
    if (!this.dirs.has(k)) throw new IoError('not-found', `no such directory: ${path}`)
    const prefix = `${k}/`
    const out: Array<{ name: string; isDirectory: boolean; size: number }> = []
    const direct = (name: string) => name.length > 0 && !name.includes('/')
    for (const d of this.dirs) {
      const rest = d.startsWith(prefix) ? d.slice(prefix.length) : ''
      if (direct(rest)) out.push({ name: rest, isDirectory: true, size: 0 })
    }
    for (const [f, file] of this.files) {
      const rest = f.startsWith(prefix) ? f.slice(prefix.length) : ''
      if (direct(rest)) out.push({ name: rest, isDirectory: false, size: file.size })
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  async rename(root: string, from: string, to: string): Promise<void> {
    const a = this.enter('rename', root, from)
    const b = splitSafePath(to)
    const ka = key(root, a)
    const kb = key(root, b)
    const file = this.files.get(ka)
    if (!file) throw new IoError('not-found', `no such file: ${from}`)
    if (!this.dirs.has(key(root, b.slice(0, -1)))) throw new IoError('not-found', `no parent directory: ${to}`)
    this.files.delete(ka)
    this.files.set(kb, file)
  }

  /** Moves one file to another root (or within one), keeping its mtime, as the daemon's fs.move does. */
  async move(
    fromRoot: string,
    from: string,
    toRoot: string,
    to: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    const a = this.enter('move', fromRoot, from)
    const b = this.check(toRoot, to)
    const code = this.fault?.('move', toRoot, to)
    if (code) throw new IoError(code, `injected move fault: ${to}`)
    const file = this.files.get(key(fromRoot, a))
    if (!file) throw new IoError('not-found', `no such file: ${from}`)
    if (this.files.has(key(toRoot, b)) || this.dirs.has(key(toRoot, b)))
      throw new IoError('exists', `target exists: ${to}`)
    if (!this.dirs.has(key(toRoot, b.slice(0, -1)))) throw new IoError('not-found', `no parent directory: ${to}`)
    this.files.delete(key(fromRoot, a))
    this.files.set(key(toRoot, b), file)
    onProgress?.(file.size, file.size)
  }

  async remove(root: string, path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const parts = this.enter('remove', root, path)
    const k = key(root, parts)
    if (this.files.delete(k)) return
    if (!this.dirs.has(k)) throw new IoError('not-found', `no such path: ${path}`)
    const prefix = `${k}/`
    const children = [...this.files.keys(), ...this.dirs].filter((x) => x.startsWith(prefix))
    if (children.length > 0 && !opts.recursive) throw new IoError('invalid', `directory not empty: ${path}`)
    for (const c of children) {
      this.files.delete(c)
      this.dirs.delete(c)
    }
    this.dirs.delete(k)
  }

  async sha1(root: string, path: string, offset: number, length: number): Promise<Uint8Array> {
    const parts = this.enter('sha1', root, path)
    const f = this.files.get(key(root, parts))
    if (!f) throw new IoError('not-found', `no such file: ${path}`)
    if (offset < 0 || length < 0 || offset + length > f.size) throw new IoError('invalid', `range past end of ${path}`)
    const digest = await crypto.subtle.digest('SHA-1', f.data.slice(offset, offset + length))
    return new Uint8Array(digest)
  }

  /** @internal handle operations */
  fileOp(op: MemoryFileOp, root: string, path: string, k: string): MemFile {
    this.ops[op]++
    const code = this.fault?.(op, root, path)
    if (code) throw new IoError(code, `injected ${op} fault: ${path}`)
    const f = this.files.get(k)
    if (!f) throw new IoError('not-found', `file was removed: ${path}`)
    return f
  }

  /** @internal grows or shrinks a file within the quota. */
  resize(f: MemFile, size: number, path: string): void {
    if (size > f.size && this.usedBytes() + (size - f.size) > this.quotaBytes) {
      throw new IoError('no-space', `no space left writing ${path}`)
    }
    if (size > f.data.length) {
      const grown = new Uint8Array(Math.max(size, Math.floor(f.data.length * 1.5)))
      grown.set(f.data.subarray(0, f.size))
      f.data = grown
    } else if (size < f.size) {
      f.data.fill(0, size, f.size)
    }
    f.size = size
    f.mtimeMs = this.now()
  }

  private check(root: string, path: string): string[] {
    if (!this.rootNames.includes(root)) throw new IoError('bad-path', `unknown root: ${root}`)
    return splitSafePath(path)
  }

  private enter(op: MemoryFileOp, root: string, path: string): string[] {
    this.ops[op]++
    const parts = this.check(root, path)
    const code = this.fault?.(op, root, path)
    if (code) throw new IoError(code, `injected ${op} fault: ${path}`)
    return parts
  }
}

class MemoryHandle implements FileHandle {
  private closed = false
  constructor(
    private readonly port: MemoryFilePort,
    private readonly root: string,
    private readonly path: string,
    private readonly k: string,
    private readonly writable: boolean,
  ) {}

  private file(op: MemoryFileOp) {
    if (this.closed) throw new IoError('closed', `handle closed: ${this.path}`)
    return this.port.fileOp(op, this.root, this.path, this.k)
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const f = this.file('read')
    if (offset < 0 || length < 0) throw new IoError('invalid', 'negative read range')
    const end = Math.min(f.size, offset + length)
    return end > offset ? f.data.slice(offset, end) : new Uint8Array(0)
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    const f = this.file('write')
    if (!this.writable) throw new IoError('access', `opened read-only: ${this.path}`)
    if (offset < 0) throw new IoError('invalid', 'negative write offset')
    const end = offset + data.length
    if (end > f.size) this.port.resize(f, end, this.path)
    f.data.set(data, offset)
    f.mtimeMs = this.port.now()
  }

  async truncate(size: number): Promise<void> {
    const f = this.file('truncate')
    if (!this.writable) throw new IoError('access', `opened read-only: ${this.path}`)
    this.port.resize(f, size, this.path)
  }

  async stat(): Promise<FileStat> {
    const f = this.file('stat')
    return { size: f.size, isDirectory: false, mtimeMs: f.mtimeMs }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.port.ops.close++
    this.port.openHandles--
  }
}

function key(root: string, parts: string[]): string {
  return parts.length === 0 ? `${root}:` : `${root}:/${parts.join('/')}`
}
