import { IoError, type FileHandle, type FilePort, type FileStat } from '@tidepool/engine'
import type { BridgeClient } from './bridge-client.ts'
import { Capability, Ev, Op } from './protocol.ts'

/** Bound on pages of one directory listing (each page holds up to the daemon's maxListEntries). */
const MAX_LIST_PAGES = 1000

function statOf(m: unknown): FileStat {
  const s = m as { size?: number; isDirectory?: boolean; mtimeMs?: number }
  return { size: s.size ?? 0, isDirectory: s.isDirectory === true, mtimeMs: s.mtimeMs ?? 0 }
}

/** FilePort over the bridge. Large reads and writes are split into maxIoBytes pieces. */
export class BridgeFiles implements FilePort {
  constructor(private readonly c: BridgeClient) {}

  roots(): string[] {
    return [...this.c.roots]
  }

  rootPath(root: string): string | undefined {
    const p = this.c.rootPaths[root]
    return typeof p === 'string' ? p : undefined
  }

  async open(root: string, path: string, opts?: { write?: boolean; create?: boolean }): Promise<FileHandle> {
    const r = await this.c.request(Op.fileOpen, {
      root,
      path,
      write: opts?.write === true,
      create: opts?.create === true,
    })
    const handle = r.meta.handle as number
    const c = this.c
    const max = (): number => c.limits.maxIoBytes
    let closed = false
    const check = (): void => {
      if (closed) throw new IoError('closed', 'file handle closed')
    }
    return {
      async read(offset, length) {
        check()
        if (length <= max()) return (await c.request(Op.fileRead, { handle, offset, length })).payload
        const out = new Uint8Array(length)
        let got = 0
        while (got < length) {
          const n = Math.min(max(), length - got)
          const part = (await c.request(Op.fileRead, { handle, offset: offset + got, length: n })).payload
          out.set(part, got)
          got += part.length
          if (part.length < n) break
        }
        return got === length ? out : out.subarray(0, got)
      },
      async write(offset, data) {
        check()
        const m = max()
        const parts: Promise<unknown>[] = []
        for (let at = 0; at < data.length || (at === 0 && data.length === 0); at += m) {
          parts.push(c.request(Op.fileWrite, { handle, offset: offset + at }, data.subarray(at, at + m)))
          if (data.length === 0) break
        }
        await Promise.all(parts)
      },
      async truncate(size) {
        check()
        await c.request(Op.fileTruncate, { handle, size })
      },
      async stat() {
        check()
        return statOf((await c.request(Op.fileStat, { handle })).meta)
      },
      async close() {
        if (closed) return
        closed = true
        await c.request(Op.fileClose, { handle })
      },
    }
  }

  async stat(root: string, path: string): Promise<FileStat | null> {
    const r = await this.c.request(Op.fsStat, { root, path })
    return r.meta.stat ? statOf(r.meta.stat) : null
  }

  async mkdir(root: string, path: string): Promise<void> {
    await this.c.request(Op.fsMkdir, { root, path })
  }

  async list(root: string, path: string): Promise<Array<{ name: string; isDirectory: boolean; size: number }>> {
    // The daemon pages long listings (`next` = offset of the first entry not sent yet).
    type Entry = { name: string; isDirectory: boolean; size: number }
    const all: Entry[] = []
    let offset = 0
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const r = await this.c.request(Op.fsList, offset === 0 ? { root, path } : { root, path, offset })
      all.push(...((r.meta.entries as Entry[] | undefined) ?? []))
      const next = r.meta.next
      if (typeof next !== 'number' || next <= offset) return all
      offset = next
    }
    throw new IoError('too-large', `listing of ${path || '/'} has more than ${MAX_LIST_PAGES} pages`)
  }

  async rename(root: string, from: string, to: string): Promise<void> {
    await this.c.request(Op.fsRename, { root, from, to })
  }

  async remove(root: string, path: string, opts?: { recursive?: boolean }): Promise<void> {
    await this.c.request(Op.fsRemove, { root, path, recursive: opts?.recursive === true })
  }

  async sha1(root: string, path: string, offset: number, length: number): Promise<Uint8Array> {
    return (await this.c.request(Op.fsSha1, { root, path, offset, length })).payload
  }

  /** Set only when the daemon offers fs.move; the engine then can move data across roots. */
  get move(): FilePort['move'] {
    return this.c.capabilities.has(Capability.fsMove) ? this.moveAcross : undefined
  }

  get refreshRoots(): FilePort['refreshRoots'] {
    return this.c.capabilities.has(Capability.rootGrants) ? this.listRoots : undefined
  }

  get revokeRoot(): FilePort['revokeRoot'] {
    return this.c.capabilities.has(Capability.rootGrants) ? this.revoke : undefined
  }

  private readonly moveAcross = async (
    fromRoot: string,
    from: string,
    toRoot: string,
    to: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> => {
    const r = await this.c.request(Op.fsMove, { fromRoot, from, toRoot, to })
    const handle = r.meta.handle as number
    const c = this.c
    // Events follow the reply on later turns, so registering now misses none.
    await new Promise<void>((resolve, reject) => {
      c.register(handle, {
        onWireData() {},
        onWireEvent(ev, meta) {
          if (ev === Ev.moveProgress) onProgress?.(Number(meta.done) || 0, Number(meta.total) || 0)
          if (ev !== Ev.moveDone) return
          c.forget(handle)
          const e = meta.error as { code?: IoError['code']; message?: string } | undefined
          if (e) reject(new IoError(e.code ?? 'io', e.message ?? 'move failed'))
          else resolve()
        },
        onBridgeClosed() {
          reject(new IoError('closed', 'daemon connection closed during a move'))
        },
      })
    })
  }

  private readonly listRoots = async (): Promise<void> => {
    const r = await this.c.request(Op.rootsList, {})
    this.c.setRoots(r.meta.roots as string[], r.meta.rootPaths as Record<string, string>)
  }

  private readonly revoke = async (root: string): Promise<void> => {
    await this.c.request(Op.rootsRevoke, { root })
    await this.listRoots()
  }
}
