import { lstat, realpath } from 'node:fs/promises'
import { realpathSync } from 'node:fs'
import { dirname, join, sep } from 'node:path'
import { IoError } from '@tidepool/engine'

/**
 * Maps (root name, relative path) to an absolute path inside that root, or refuses with bad-path.
 * Refuses absolute paths, '..', NUL, backslashes, drive letters, and anything whose deepest existing
 * ancestor resolves (through symlinks) outside the root. Races with a local attacker swapping a
 * directory for a symlink between check and use are out of scope: the roots belong to the user.
 */
export class PathGuard {
  private readonly roots = new Map<string, string>()

  constructor(roots: Record<string, string>) {
    for (const [name, dir] of Object.entries(roots)) this.roots.set(name, realpathSync(dir))
  }

  /**
   * Adds (or re-points) a root the user granted while the daemon runs. Only the daemon's owner calls
   * this (the command line or the grants file it writes), never a client.
   */
  grant(name: string, dir: string): void {
    this.roots.set(name, realpathSync(dir))
  }

  /** Withdraws a root: later paths under it are bad-path, and so are ops on files already open there. */
  revoke(name: string): boolean {
    return this.roots.delete(name)
  }

  /** Whether `name` is still granted and still points at `real` (a file handle opened under it). */
  stillGranted(name: string, real: string): boolean {
    return this.roots.get(name) === real
  }

  /** A root's real path, undefined when it is not granted. */
  realRoot(name: string): string | undefined {
    return this.roots.get(name)
  }

  names(): string[] {
    return [...this.roots.keys()]
  }

  /** Each root's real path, for the client to show people where their files go. */
  paths(): Record<string, string> {
    return Object.fromEntries(this.roots)
  }

  async resolve(root: unknown, path: unknown): Promise<string> {
    if (typeof root !== 'string' || typeof path !== 'string')
      throw new IoError('invalid', 'root and path must be strings')
    const base = this.roots.get(root)
    if (base === undefined) throw new IoError('bad-path', `unknown root ${JSON.stringify(root)}`)
    if (path.includes('\0')) throw new IoError('bad-path', 'path contains NUL')
    if (path.includes('\\')) throw new IoError('bad-path', 'path contains a backslash')
    if (path.startsWith('/')) throw new IoError('bad-path', 'path is absolute')
    if (/^[A-Za-z]:/.test(path)) throw new IoError('bad-path', 'path starts with a drive letter')
    const segs = path.split('/').filter((s) => s !== '' && s !== '.')
    if (segs.includes('..')) throw new IoError('bad-path', "path contains '..'")
    const abs = segs.length === 0 ? base : join(base, ...segs)
    const real = await realDeepest(abs, base)
    if (real !== base && !real.startsWith(base + sep)) throw new IoError('bad-path', 'path leads out of the root')
    return abs
  }
}

/** realpath of `abs` or of its deepest existing ancestor (re-joined with the missing tail). */
async function realDeepest(abs: string, base: string): Promise<string> {
  let p = abs
  const tail: string[] = []
  for (let i = 0; i < 4096; i++) {
    try {
      const r = await realpath(p)
      return tail.length ? join(r, ...tail.reverse()) : r
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new IoError('bad-path', `cannot resolve path: ${code}`)
      // A symlink that does not resolve is dangling: creating through it would write wherever it
      // points, so refuse it rather than treat it as missing. Anything else that exists now was
      // created concurrently (e.g. a sibling mkdir): resolve this level again.
      const l = await lstat(p).catch(() => null) // null: nothing there either
      if (l?.isSymbolicLink()) throw new IoError('bad-path', 'path goes through a dangling symlink')
      if (l) continue
      if (p === base || dirname(p) === p) return base
      tail.push(p.slice(dirname(p).length + 1))
      p = dirname(p)
    }
  }
  throw new IoError('bad-path', 'path too deep')
}
