import { readFile, rename, stat, writeFile } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { IoError } from '@tidepool/engine'
import type { PathGuard } from './path-guard.ts'

/**
 * Roots the user granted beyond the daemon's command line, kept in a JSON file the daemon's owner
 * writes (`pnpm native-host grant NAME DIR`, the `roots` object of config.json). Only that file adds
 * a root: a client can ask the daemon to read it again (roots.list) or to drop a root (roots.revoke),
 * never to grant one, so a web page that reaches the daemon cannot give itself a folder.
 */

/** A root name: what the UI shows and the protocol carries. */
export const ROOT_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/

/** The `roots` object of a grants file; {} when the file or the field is missing. */
export async function readGrants(file: string): Promise<Record<string, string>> {
  let raw: string
  try {
    raw = await readFile(file, 'utf8')
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return {}
    throw e
  }
  const j = JSON.parse(raw) as { roots?: unknown }
  const out: Record<string, string> = {}
  if (j.roots && typeof j.roots === 'object')
    for (const [name, dir] of Object.entries(j.roots as Record<string, unknown>))
      if (ROOT_NAME.test(name) && typeof dir === 'string' && isAbsolute(dir)) out[name] = dir
  return out
}

/** Sets (dir) or removes (null) one grant in the file, keeping its other fields; written atomically. */
export async function writeGrant(file: string, name: string, dir: string | null): Promise<void> {
  if (!ROOT_NAME.test(name)) throw new Error(`a root name is 1-64 letters, digits, space, '.', '_' or '-': ${name}`)
  if (dir !== null && !isAbsolute(dir)) throw new Error(`the folder must be an absolute path: ${dir}`)
  let j: Record<string, unknown> = {}
  try {
    j = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e
  }
  const roots = { ...((j.roots as Record<string, string> | undefined) ?? {}) }
  if (dir === null) delete roots[name]
  else roots[name] = dir
  j.roots = roots
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, `${JSON.stringify(j, null, 2)}\n`, { mode: 0o600 })
  await rename(tmp, file)
}

/** Keeps a PathGuard in step with a grants file; roots from the command line are fixed. */
export class RootGrants {
  private readonly fromFile = new Set<string>()

  constructor(
    private readonly guard: PathGuard,
    private readonly file: string,
    private readonly fixed: ReadonlySet<string>,
  ) {}

  /** Reads the file again: new grants are added, withdrawn ones revoked. Bad entries are skipped. */
  async refresh(): Promise<void> {
    const grants = await readGrants(this.file).catch(() => null) // unreadable: keep what we have
    if (!grants) return
    for (const name of [...this.fromFile])
      if (!(name in grants)) {
        this.guard.revoke(name)
        this.fromFile.delete(name)
      }
    for (const [name, dir] of Object.entries(grants)) {
      if (this.fixed.has(name)) continue
      const st = await stat(dir).catch(() => null) // a folder that is gone is not served
      if (!st?.isDirectory()) {
        if (this.fromFile.delete(name)) this.guard.revoke(name)
        continue
      }
      this.guard.grant(name, dir)
      this.fromFile.add(name)
    }
  }

  /** A client withdrew a root (settings): it goes from the file too, so it stays withdrawn. */
  async revoke(name: unknown): Promise<void> {
    if (typeof name !== 'string') throw new IoError('invalid', 'root must be a string')
    if (this.fixed.has(name)) throw new IoError('invalid', `root ${name} is set on the daemon's command line`)
    if (!this.fromFile.has(name)) throw new IoError('bad-path', `unknown root ${JSON.stringify(name)}`)
    await writeGrant(this.file, name, null)
    this.guard.revoke(name)
    this.fromFile.delete(name)
  }
}
