import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rm, utimes, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { IoError } from '@tidepool/engine'
import { toIoError } from './io-errors.ts'
import type { Resource, SessionContext } from './session-context.ts'
import { handleOf } from './tcp-ops.ts'

/** Event numbers of a move (docs/daemon-protocol.md §4.6). */
export const EV_MOVE_PROGRESS = 11
export const EV_MOVE_DONE = 12
/** Moves one client may run at once. */
export const MAX_MOVES_PER_CLIENT = 4
/** Suffix of the copy being made; it becomes the real name only once verified. */
export const PART_SUFFIX = '.tidepool-move'
const CHUNK = 1 << 20
const PROGRESS_EVERY_MS = 200

interface MoveFile {
  from: string
  to: string
  size: number
  mtime: Date
  atime: Date
}

/** What a copy needs to know from its move: cancelled yet, and where the bytes got to. */
export interface CopyControl {
  readonly cancelled: boolean
  progress(bytes: number): void
}

class MoveRes implements Resource {
  readonly kind = 'move'
  cancelled = false
  constructor(
    private readonly ctx: SessionContext,
    readonly handle: number,
  ) {}
  close(): void {
    this.cancelled = true
    this.ctx.handles.delete(this.handle)
  }
}

/**
 * fs.move (48): moves a file or a directory tree from one root to another (or within one). A rename
 * when both are on one filesystem; otherwise every file is copied to `NAME.tidepool-move`, fsynced,
 * read back and compared by SHA-1, given the source's mtime and renamed to its name; only when every
 * file is in place is the source removed. So an interrupted move leaves the data whole where it was
 * (plus partial copies beside the target, removed on failure or by the next move).
 */
export async function startMove(ctx: SessionContext, meta: Record<string, unknown>): Promise<{ handle: number }> {
  const fromAbs = await ctx.guard.resolve(meta.fromRoot, meta.from)
  const toAbs = await ctx.guard.resolve(meta.toRoot, meta.to)
  if (fromAbs === (await ctx.guard.resolve(meta.fromRoot, ''))) throw new IoError('bad-path', 'cannot move a root')
  if (toAbs === fromAbs || toAbs.startsWith(`${fromAbs}/`)) throw new IoError('invalid', 'target is inside the source')
  let n = 0
  for (const r of ctx.handles.values()) if (r.kind === 'move') n++
  if (n >= MAX_MOVES_PER_CLIENT) throw new IoError('busy', `at most ${MAX_MOVES_PER_CLIENT} moves at once per client`)
  const src = await lstat(fromAbs).catch((e: unknown) => {
    throw toIoError(e)
  })
  if (src.isSymbolicLink()) throw new IoError('bad-path', 'source is a symlink')
  if (
    await lstat(toAbs).then(
      () => true,
      () => false, // missing: the normal case
    )
  )
    throw new IoError('exists', 'target exists')
  const handle = ctx.newHandle()
  const res = new MoveRes(ctx, handle)
  ctx.handles.set(handle, res)
  // The reply (with the handle) goes out before the first event: events start on a later turn.
  setImmediate(() => void runMove(ctx, res, fromAbs, toAbs))
  return { handle }
}

/** fs.move-cancel (49): stops a move; its done event follows with `closed`. */
export function cancelMove(ctx: SessionContext, meta: Record<string, unknown>): object {
  const r = ctx.handles.get(handleOf(meta))
  if (!(r instanceof MoveRes)) throw new IoError('closed', 'no such move')
  r.cancelled = true
  return {}
}

async function runMove(ctx: SessionContext, res: MoveRes, fromAbs: string, toAbs: string): Promise<void> {
  let done = 0
  let total = 0
  let lastSent = 0
  const control: CopyControl = {
    get cancelled() {
      return res.cancelled || ctx.closed
    },
    progress(bytes) {
      done += bytes
      const now = Date.now()
      if (now - lastSent < PROGRESS_EVERY_MS) return
      lastSent = now
      ctx.event(res.handle, EV_MOVE_PROGRESS, { done, total })
    },
  }
  let method: 'rename' | 'copy' = 'rename'
  try {
    await mkdir(dirname(toAbs), { recursive: true })
    try {
      await rename(fromAbs, toAbs)
    } catch (e) {
      if ((e as { code?: string }).code !== 'EXDEV') throw e
      method = 'copy'
      const files = await listTree(fromAbs, toAbs)
      total = files.reduce((a, f) => a + f.size, 0)
      await copyVerified(files, toAbs, control)
      await rm(fromAbs, { recursive: true })
    }
    if (!ctx.closed) ctx.event(res.handle, EV_MOVE_PROGRESS, { done: total, total })
    if (!ctx.closed) ctx.event(res.handle, EV_MOVE_DONE, { method })
  } catch (e) {
    const err = toIoError(e)
    if (!ctx.closed) ctx.event(res.handle, EV_MOVE_DONE, { error: { code: err.code, message: err.message } })
  } finally {
    res.close()
  }
}

/** Regular files under `fromAbs` (or itself) with their targets; symlinks and specials are refused. */
async function listTree(fromAbs: string, toAbs: string): Promise<MoveFile[]> {
  const out: MoveFile[] = []
  const walk = async (from: string, to: string, depth: number): Promise<void> => {
    if (depth > 64) throw new IoError('too-large', 'directory tree too deep to move')
    const st = await lstat(from)
    if (st.isDirectory()) {
      for (const name of await readdir(from)) await walk(join(from, name), join(to, name), depth + 1)
    } else if (st.isFile()) {
      out.push({ from, to, size: st.size, mtime: st.mtime, atime: st.atime })
    } else {
      // following a symlink could copy files from outside the root into it
      throw new IoError('bad-path', `cannot move ${st.isSymbolicLink() ? 'a symlink' : 'a special file'}: ${from}`)
    }
  }
  await walk(fromAbs, toAbs, 0)
  return out
}

/**
 * Copies every file to its target through a `.tidepool-move` part file, verified by SHA-1 after
 * fsync. On any failure the files this call put in place are removed again, leaving the source the
 * only whole copy.
 */
export async function copyVerified(files: MoveFile[], toAbs: string, control: CopyControl): Promise<void> {
  const placed: string[] = []
  try {
    if (files.length === 0) await mkdir(toAbs, { recursive: true }) // an empty directory still moves
    for (const f of files) {
      if (control.cancelled) throw new IoError('closed', 'move cancelled')
      await mkdir(dirname(f.to), { recursive: true })
      const part = f.to + PART_SUFFIX
      const digest = await copyOne(f.from, part, control)
      if ((await hashFile(part, control)) !== digest) throw new IoError('io', `copy of ${f.from} does not verify`)
      await utimes(part, f.atime, f.mtime)
      await rename(part, f.to)
      placed.push(f.to)
    }
    await fsyncDir(toAbs)
  } catch (e) {
    for (const p of placed) await rm(p, { force: true }).catch(() => undefined) // best effort: source is intact
    for (const f of files) await rm(f.to + PART_SUFFIX, { force: true }).catch(() => undefined)
    throw e
  }
}

async function copyOne(from: string, to: string, control: CopyControl): Promise<string> {
  const src = await open(from, constants.O_RDONLY | constants.O_NOFOLLOW)
  let dst: FileHandle | undefined
  try {
    dst = await open(to, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644)
    const h = createHash('sha1')
    const buf = Buffer.allocUnsafe(CHUNK)
    for (let at = 0; ; ) {
      if (control.cancelled) throw new IoError('closed', 'move cancelled')
      const { bytesRead } = await src.read(buf, 0, CHUNK, at)
      if (bytesRead === 0) break
      const chunk = buf.subarray(0, bytesRead)
      h.update(chunk)
      for (let w = 0; w < bytesRead; ) w += (await dst.write(chunk, w, bytesRead - w, at + w)).bytesWritten
      at += bytesRead
      control.progress(bytesRead)
    }
    await dst.sync()
    return h.digest('hex')
  } finally {
    await src.close()
    await dst?.close()
  }
}

async function hashFile(path: string, control: CopyControl): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    const h = createHash('sha1')
    const buf = Buffer.allocUnsafe(CHUNK)
    for (let at = 0; ; ) {
      if (control.cancelled) throw new IoError('closed', 'move cancelled')
      const { bytesRead } = await fh.read(buf, 0, CHUNK, at)
      if (bytesRead === 0) break
      h.update(buf.subarray(0, bytesRead))
      at += bytesRead
    }
    return h.digest('hex')
  } finally {
    await fh.close()
  }
}

/** fsync of the target's directory, so the renames survive a crash. */
async function fsyncDir(toAbs: string): Promise<void> {
  const st = await lstat(toAbs).catch(() => null)
  const dir = st?.isDirectory() ? toAbs : dirname(toAbs)
  const fh = await open(dir, constants.O_RDONLY)
  // some filesystems refuse fsync on a directory; the data itself is synced already
  await fh.sync().catch(() => undefined)
  await fh.close()
}
