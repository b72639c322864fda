import type { FileHandle, FilePort, PieceHasher } from '../platform/ports.ts'
import { CreateTorrentError, type SourceFile } from './collect-files.ts'

export interface HashProgress {
  hashedBytes: number
  totalBytes: number
  piecesDone: number
  pieceCount: number
}

export interface HashPiecesOptions {
  /** Pieces read or hashing at once: bounds memory to this many piece buffers (default 4). */
  inFlight?: number
  onProgress?: (p: HashProgress) => void
  signal?: AbortSignal
}

/** The creation was cancelled through its AbortSignal. */
export class CreateCancelled extends Error {
  override name = 'CreateCancelled'
  constructor() {
    super('torrent creation cancelled')
  }
}

/** Reads the files one after another as one stream of bytes, a file open at a time. */
class SequentialReader {
  private index = 0
  private offset = 0
  private handle: FileHandle | null = null

  constructor(
    private readonly port: FilePort,
    private readonly root: string,
    private readonly files: readonly SourceFile[],
  ) {}

  /** Fills `into` completely from the current position. */
  async fill(into: Uint8Array): Promise<void> {
    let at = 0
    while (at < into.length) {
      const f = this.files[this.index]
      if (!f) throw new CreateTorrentError('files ended before the last piece: one shrank while hashing')
      const left = f.length - this.offset
      if (left === 0) {
        await this.nextFile()
        continue
      }
      this.handle ??= await this.port.open(this.root, f.rootPath)
      const n = Math.min(left, into.length - at)
      const data = await this.handle.read(this.offset, n)
      if (data.length !== n) throw new CreateTorrentError(`${f.rootPath} changed while hashing (short read)`)
      into.set(data, at)
      at += n
      this.offset += n
    }
  }

  private async nextFile(): Promise<void> {
    const h = this.handle
    this.handle = null
    this.index++
    this.offset = 0
    await h?.close()
  }

  async close(): Promise<void> {
    const h = this.handle
    this.handle = null
    // a close failing after reading tells nothing about the bytes already read
    await h?.close().catch(() => undefined)
  }
}

/**
 * SHA-1 of every piece of `files` laid end to end, through `hasher` (the engine's hash workers: each
 * buffer is transferred there and back and then reused). One reader fills pieces in order while up
 * to `inFlight` of them hash, so memory stays at a few pieces whatever the size.
 */
export async function hashPieces(
  port: FilePort,
  root: string,
  files: readonly SourceFile[],
  pieceLength: number,
  hasher: PieceHasher,
  opts: HashPiecesOptions = {},
): Promise<Uint8Array> {
  const totalBytes = files.reduce((n, f) => n + f.length, 0)
  const pieceCount = Math.ceil(totalBytes / pieceLength)
  const out = new Uint8Array(pieceCount * 20)
  const inFlight = Math.max(1, opts.inFlight ?? 4)
  const spare: Uint8Array[] = []
  const reader = new SequentialReader(port, root, files)
  const running = new Set<Promise<void>>()
  let failure: unknown = null
  let hashedBytes = 0
  let piecesDone = 0
  const check = () => {
    if (failure) throw failure
    if (opts.signal?.aborted) throw new CreateCancelled()
  }
  try {
    for (let i = 0; i < pieceCount; i++) {
      check()
      while (running.size >= inFlight) await Promise.race(running)
      check()
      const size = Math.min(pieceLength, totalBytes - i * pieceLength)
      const reuse = spare.pop()
      const buf = size === pieceLength && reuse ? reuse : new Uint8Array(size)
      await reader.fill(buf)
      const job = hasher.sha1(buf).then(
        ({ digest, data }) => {
          out.set(digest, i * 20)
          if (data.length === pieceLength) spare.push(data)
          hashedBytes += size
          piecesDone++
          opts.onProgress?.({ hashedBytes, totalBytes, piecesDone, pieceCount })
        },
        (e: unknown) => {
          failure ??= e
        },
      )
      const tracked: Promise<void> = job.finally(() => running.delete(tracked))
      running.add(tracked)
    }
    while (running.size > 0) await Promise.race(running)
    check()
  } finally {
    await reader.close()
    // hashes still running finish on their own; their results are no longer wanted
    await Promise.allSettled(running)
  }
  return out
}
