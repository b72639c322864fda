import { createHash } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { IoError } from '@tidepool/engine'
import { capsOf, checkHandleCap } from './handle-caps.ts'
import { toIoError } from './io-errors.ts'
import type { Resource, SessionContext } from './session-context.ts'
import { handleOf } from './tcp-ops.ts'

export interface OpResult {
  meta: object
  payload?: Uint8Array
}

function num(meta: Record<string, unknown>, key: string): number {
  const v = meta[key]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new IoError('invalid', `${key} must be a non-negative integer`)
  return v
}

function statOf(s: Stats): { size: number; isDirectory: boolean; mtimeMs: number } {
  return { size: s.size, isDirectory: s.isDirectory(), mtimeMs: Math.round(s.mtimeMs) }
}

class FileRes implements Resource {
  readonly kind = 'file'
  private open = true
  constructor(
    private readonly ctx: SessionContext,
    readonly handle: number,
    readonly fh: FileHandle,
    /** The root it was opened under and that root's real path then: revoking the root ends its use. */
    readonly root: string,
    readonly rootReal: string,
  ) {
    ctx.counters.files++
  }
  close(): void {
    if (!this.open) return
    this.open = false
    this.ctx.handles.delete(this.handle)
    this.ctx.counters.files--
    // Nobody waits for this (file.close is answered at once, a session end answers nothing) and
    // writes went to the OS as they came (pwrite, nothing buffered here): there is no one to tell.
    void this.fh.close().catch(() => undefined)
  }
}

function fileOf(ctx: SessionContext, meta: Record<string, unknown>): FileRes {
  const r = ctx.handles.get(handleOf(meta))
  if (!(r instanceof FileRes)) throw new IoError('closed', 'no such file handle')
  if (!ctx.guard.stillGranted(r.root, r.rootReal)) {
    r.close()
    throw new IoError('bad-path', `root ${JSON.stringify(r.root)} is no longer granted`)
  }
  return r
}

/**
 * Opens a regular file only. O_NOFOLLOW refuses a symlink as the last component (ELOOP → bad-path);
 * O_NONBLOCK keeps a FIFO from blocking the open, and fstat then refuses anything not a regular file
 * (O_NONBLOCK has no effect on regular-file I/O). create makes a missing file with O_EXCL, so a name
 * that appears in between (e.g. a symlink) fails instead of being followed, and retries the plain open.
 */
export async function openRegular(abs: string, write: boolean, create: boolean): Promise<FileHandle> {
  const base = (write ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NOFOLLOW | constants.O_NONBLOCK
  let fh: FileHandle | undefined
  for (let attempt = 0; attempt < 3 && !fh; attempt++) {
    try {
      fh = await open(abs, base)
    } catch (e) {
      if (!create || (e as { code?: string }).code !== 'ENOENT') throw e
      try {
        fh = await open(abs, base | constants.O_CREAT | constants.O_EXCL, 0o644)
      } catch (e2) {
        if ((e2 as { code?: string }).code !== 'EEXIST') throw e2
      }
    }
  }
  if (!fh) throw new IoError('io', 'file kept appearing and disappearing while opening')
  const st = await fh.stat().catch(async (e: unknown) => {
    await fh.close()
    throw e
  })
  if (!st.isFile()) {
    await fh.close()
    throw new IoError('invalid', 'not a regular file')
  }
  return fh
}

async function readFully(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length)
  let got = 0
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, offset + got)
    if (bytesRead === 0) break
    got += bytesRead
  }
  return buf.subarray(0, got)
}

/** File operations (op numbers 30..45). Returns the reply or throws an IoError. */
export async function fileOp(
  ctx: SessionContext,
  op: number,
  meta: Record<string, unknown>,
  payload: Uint8Array,
): Promise<OpResult> {
  const g = ctx.guard
  try {
    switch (op) {
      case 30: {
        const abs = await g.resolve(meta.root, meta.path)
        checkHandleCap(ctx, 'file', capsOf(ctx).caps.maxFilesPerClient)
        const create = meta.create === true
        const fh = await openRegular(abs, create || meta.write === true, create)
        if (ctx.closed) {
          await fh.close()
          throw new IoError('closed', 'session closed')
        }
        const handle = ctx.newHandle()
        const rootReal = g.realRoot(meta.root as string) // resolve() above proved it is a granted root's name
        ctx.handles.set(handle, new FileRes(ctx, handle, fh, meta.root as string, rootReal ?? ''))
        return { meta: { handle } }
      }
      case 31: {
        const f = fileOf(ctx, meta)
        const length = num(meta, 'length')
        if (length > ctx.limits.maxIoBytes) throw new IoError('too-large', `read over ${ctx.limits.maxIoBytes} bytes`)
        return { meta: {}, payload: await readFully(f.fh, num(meta, 'offset'), length) }
      }
      case 32: {
        const f = fileOf(ctx, meta)
        const offset = num(meta, 'offset')
        if (payload.length > ctx.limits.maxIoBytes)
          throw new IoError('too-large', `write over ${ctx.limits.maxIoBytes} bytes`)
        let done = 0
        while (done < payload.length) {
          const { bytesWritten } = await f.fh.write(payload, done, payload.length - done, offset + done)
          done += bytesWritten
        }
        return { meta: { written: done } }
      }
      case 33:
        await fileOf(ctx, meta).fh.truncate(num(meta, 'size'))
        return { meta: {} }
      case 34:
        return { meta: statOf(await fileOf(ctx, meta).fh.stat()) }
      case 35: {
        // Closing works whatever became of the root: it only gives the handle back.
        const r = ctx.handles.get(handleOf(meta))
        if (!(r instanceof FileRes)) throw new IoError('closed', 'no such file handle')
        r.close()
        return { meta: {} }
      }
      case 40: {
        const abs = await g.resolve(meta.root, meta.path)
        try {
          return { meta: { stat: statOf(await stat(abs)) } }
        } catch (e) {
          if ((e as { code?: string }).code === 'ENOENT') return { meta: { stat: null } }
          throw e
        }
      }
      case 41:
        await mkdir(await g.resolve(meta.root, meta.path), { recursive: true })
        return { meta: {} }
      case 42: {
        const abs = await g.resolve(meta.root, meta.path)
        // Paged so one reply stays far below maxFrameBytes: `offset` in, `next` out while more remain.
        const start = meta.offset === undefined ? 0 : num(meta, 'offset')
        const max = capsOf(ctx).caps.maxListEntries
        const limit = meta.limit === undefined ? max : Math.min(max, Math.max(1, num(meta, 'limit')))
        const all = await readdir(abs, { withFileTypes: true })
        all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) // stable order across pages
        const ents = all.slice(start, start + limit)
        const stated = await Promise.all(
          ents.map(async (d) => {
            const s = await lstat(join(abs, d.name)).catch(() => null) // removed since readdir: size 0
            return { name: d.name, isDirectory: d.isDirectory(), size: s && !d.isDirectory() ? s.size : 0 }
          }),
        )
        // Byte budget: half a frame leaves room for the header and JSON framing.
        let budget = Math.floor(ctx.limits.maxFrameBytes / 2)
        const entries: typeof stated = []
        for (const e of stated) {
          budget -= Buffer.byteLength(JSON.stringify(e)) + 1
          if (budget < 0 && entries.length > 0) break
          entries.push(e)
        }
        const next = start + entries.length < all.length ? start + entries.length : undefined
        return { meta: next === undefined ? { entries } : { entries, next } }
      }
      case 43: {
        const from = await g.resolve(meta.root, meta.from)
        const to = await g.resolve(meta.root, meta.to)
        await rename(from, to)
        return { meta: {} }
      }
      case 44: {
        const abs = await g.resolve(meta.root, meta.path)
        if (abs === (await g.resolve(meta.root, ''))) throw new IoError('bad-path', 'cannot remove a root')
        const st = await lstat(abs) // not-found when missing, also with recursive
        if (st.isDirectory() && meta.recursive !== true) await rmdir(abs)
        else await rm(abs, { recursive: meta.recursive === true })
        return { meta: {} }
      }
      case 45: {
        const abs = await g.resolve(meta.root, meta.path)
        const offset = num(meta, 'offset')
        const length = num(meta, 'length')
        const maxSha1 = capsOf(ctx).caps.maxSha1Bytes
        if (length > maxSha1) throw new IoError('too-large', `fs.sha1 over ${maxSha1} bytes`)
        const fh = await openRegular(abs, false, false)
        try {
          const size = (await fh.stat()).size
          if (offset + length > size) throw new IoError('invalid', 'range past end of file')
          const h = createHash('sha1')
          const buf = Buffer.allocUnsafe(Math.min(length, 1 << 20))
          let at = 0
          while (at < length) {
            if (ctx.closed) throw new IoError('closed', 'session closed') // stop hashing for a client that left
            const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - at), offset + at)
            if (bytesRead === 0) throw new IoError('io', 'file shrank while hashing')
            h.update(buf.subarray(0, bytesRead))
            at += bytesRead
          }
          return { meta: {}, payload: h.digest() }
        } finally {
          await fh.close()
        }
      }
      default:
        throw new IoError('invalid', `unknown op ${op}`)
    }
  } catch (e) {
    throw toIoError(e)
  }
}
