import { createHash } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { IoError } from '@tidepool/engine'
import { toIoError } from './io-errors.ts'
import type { Resource, SessionContext } from './session-context.ts'
import { handleOf } from './tcp-ops.ts'

export interface OpResult {
  meta: object
  payload?: Uint8Array
}

function num(meta: Record<string, unknown>, key: string): number {
  const v = meta[key]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new IoError('invalid', `${key} must be a non-negative integer`)
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
  ) {
    ctx.counters.files++
  }
  close(): void {
    if (!this.open) return
    this.open = false
    this.ctx.handles.delete(this.handle)
    this.ctx.counters.files--
    void this.fh.close().catch(() => {})
  }
}

function fileOf(ctx: SessionContext, meta: Record<string, unknown>): FileRes {
  const r = ctx.handles.get(handleOf(meta))
  if (!(r instanceof FileRes)) throw new IoError('closed', 'no such file handle')
  return r
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
export async function fileOp(ctx: SessionContext, op: number, meta: Record<string, unknown>, payload: Uint8Array): Promise<OpResult> {
  const g = ctx.guard
  try {
    switch (op) {
      case 30: {
        const abs = await g.resolve(meta.root, meta.path)
        const create = meta.create === true
        const write = create || meta.write === true
        const flags = (write ? constants.O_RDWR : constants.O_RDONLY) | (create ? constants.O_CREAT : 0)
        const fh = await open(abs, flags, 0o644)
        if (ctx.closed) {
          await fh.close()
          throw new IoError('closed', 'session closed')
        }
        const handle = ctx.newHandle()
        ctx.handles.set(handle, new FileRes(ctx, handle, fh))
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
        if (payload.length > ctx.limits.maxIoBytes) throw new IoError('too-large', `write over ${ctx.limits.maxIoBytes} bytes`)
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
      case 35:
        fileOf(ctx, meta).close()
        return { meta: {} }
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
        const ents = await readdir(abs, { withFileTypes: true })
        const entries = await Promise.all(
          ents.map(async (d) => {
            const s = await lstat(join(abs, d.name)).catch(() => null)
            return { name: d.name, isDirectory: d.isDirectory(), size: s && !d.isDirectory() ? s.size : 0 }
          }),
        )
        return { meta: { entries } }
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
        const fh = await open(abs, 'r')
        try {
          const size = (await fh.stat()).size
          if (offset + length > size) throw new IoError('invalid', 'range past end of file')
          const h = createHash('sha1')
          const buf = Buffer.allocUnsafe(Math.min(length, 1 << 20))
          let at = 0
          while (at < length) {
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
