import type { FileHandle } from 'node:fs/promises'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type DataPlaneTorrentSpec, IoError, pieceSpans, type StorageLayout, specLayout } from '@tidepool/engine'
import { openRegular } from '../file-ops.ts'
import type { PathGuard } from '../path-guard.ts'
import type { DaemonCounters } from '../session-context.ts'

/** Open files per torrent: enough for a piece spanning many small files without reopening each time. */
const MAX_OPEN = 16

interface Slot {
  fh: Promise<FileHandle>
  write: boolean
  busy: number
  used: number
}

/**
 * A data-plane torrent's files: verified pieces are written and uploaded blocks read here, under
 * the same rules as file.open/file.write (§4.4: every path resolved inside its root when opened,
 * regular files only, no symlink as the last component; a revoked root refuses). Padding files are
 * never touched: they read as zeros.
 */
export class TorrentFiles {
  layout: StorageLayout
  private root: string
  private rootReal: string
  private readonly open = new Map<number, Slot>()
  private tick = 0
  private closed = false

  constructor(
    private readonly guard: PathGuard,
    spec: DataPlaneTorrentSpec,
    /** Open files count in the daemon's `files` like file.open's. */
    private readonly counters: DaemonCounters,
  ) {
    this.layout = specLayout(spec)
    this.root = spec.root
    this.rootReal = guard.realRoot(spec.root) ?? ''
  }

  /** Checks every path of `spec` (bad-path when one leads outside its root). */
  static async check(guard: PathGuard, spec: DataPlaneTorrentSpec): Promise<void> {
    for (const f of spec.files) if (!f.padding) await guard.resolve(spec.root, f.path)
  }

  /** New paths (same layout): later writes and reads use them. */
  async setSpec(spec: DataPlaneTorrentSpec): Promise<void> {
    await TorrentFiles.check(this.guard, spec)
    const next = specLayout(spec)
    if (next.length !== this.layout.length || next.pieceLength !== this.layout.pieceLength) {
      throw new IoError('invalid', 'dp.files must keep the torrent layout (lengths and piece length)')
    }
    for (let i = 0; i < next.files.length; i++) {
      if (next.files[i]!.length !== this.layout.files[i]?.length) throw new IoError('invalid', 'file lengths changed')
    }
    this.closeAll()
    this.layout = next
    this.root = spec.root
    this.rootReal = this.guard.realRoot(spec.root) ?? ''
  }

  async writePiece(piece: number, data: Uint8Array): Promise<void> {
    for (const s of pieceSpans(this.layout, piece)) {
      if (s.padding) continue
      await this.withFile(s.file, true, async (fh) => {
        let done = 0
        while (done < s.length) {
          const { bytesWritten } = await fh.write(data, s.rangeOffset + done, s.length - done, s.fileOffset + done)
          done += bytesWritten
        }
      })
    }
  }

  /** Reads `into.length` bytes at `begin` of `piece` into `into`. */
  async readBlock(piece: number, begin: number, into: Uint8Array): Promise<void> {
    for (const s of pieceSpans(this.layout, piece, begin, into.length)) {
      const part = into.subarray(s.rangeOffset, s.rangeOffset + s.length)
      if (s.padding) {
        part.fill(0)
        continue
      }
      await this.withFile(s.file, false, async (fh) => {
        let got = 0
        while (got < s.length) {
          const { bytesRead } = await fh.read(part, got, s.length - got, s.fileOffset + got)
          if (bytesRead === 0) throw new IoError('io', `file ${s.path} is shorter than the torrent says`)
          got += bytesRead
        }
      })
    }
  }

  close(): void {
    this.closed = true
    this.closeAll()
  }

  private async withFile<T>(file: number, write: boolean, fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    if (this.closed) throw new IoError('closed', 'the torrent is closed')
    if (!this.guard.stillGranted(this.root, this.rootReal)) {
      throw new IoError('bad-path', `root ${JSON.stringify(this.root)} is no longer granted`)
    }
    let slot = this.open.get(file)
    if (slot && write && !slot.write && slot.busy === 0) {
      this.drop(file, slot)
      slot = undefined
    }
    if (!slot || (write && !slot.write)) {
      slot = { fh: this.openFile(file, write), write, busy: 0, used: 0 }
      // A read-only slot still in use by a read stays open; this write gets its own handle.
      if (!this.open.has(file)) this.open.set(file, slot)
      slot.fh.catch(() => this.open.get(file) === slot && this.open.delete(file))
      this.evict()
    }
    slot.busy++
    slot.used = ++this.tick
    try {
      return await fn(await slot.fh)
    } finally {
      slot.busy--
      if (this.open.get(file) !== slot && slot.busy === 0) this.closeSlot(slot)
    }
  }

  private async openFile(file: number, write: boolean): Promise<FileHandle> {
    const path = this.layout.files[file]!.path
    const abs = await this.guard.resolve(this.root, path)
    if (write) await mkdir(dirname(abs), { recursive: true })
    const fh = await openRegular(abs, write, write)
    this.counters.files++
    return fh
  }

  private closeSlot(slot: Slot): void {
    // Nobody waits for a close (writes went to the OS as they came): a failure has no one to tell.
    void slot.fh
      .then((fh) => {
        this.counters.files--
        return fh.close()
      })
      .catch(() => undefined)
  }

  private evict(): void {
    while (this.open.size > MAX_OPEN) {
      let oldest: [number, Slot] | undefined
      for (const e of this.open) if (e[1].busy === 0 && (!oldest || e[1].used < oldest[1].used)) oldest = e
      if (!oldest) return
      this.drop(oldest[0], oldest[1])
    }
  }

  private drop(file: number, slot: Slot): void {
    this.open.delete(file)
    if (slot.busy === 0) this.closeSlot(slot)
  }

  private closeAll(): void {
    for (const [file, slot] of [...this.open]) this.drop(file, slot)
  }
}
