import { IoError, type FileHandle, type FilePort, type PieceHasher } from '../platform/ports.ts'
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

/** File operations of one creation in flight at once (see PieceReader.limited). */
const MAX_SPAN_IO = 16

interface Span {
  file: number
  fileOffset: number
  length: number
  at: number
}

/**
 * Reads any piece of the files laid end to end, several at once: each file is opened on its first
 * read and closed when every span of it has been read.
 */
class PieceReader {
  private readonly handles = new Map<number, Promise<FileHandle>>()
  /** Spans of each file not read yet. */
  private readonly left: number[]
  private readonly starts: number[] = []
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(
    private readonly port: FilePort,
    private readonly root: string,
    private readonly files: readonly SourceFile[],
    private readonly pieceLength: number,
  ) {
    let offset = 0
    for (const f of files) {
      this.starts.push(offset)
      offset += f.length
    }
    this.left = files.map(() => 0)
    const pieces = Math.ceil(offset / pieceLength)
    for (let p = 0; p < pieces; p++) for (const s of this.spans(p)) this.left[s.file]!++
  }

  /** Where piece `p`'s bytes are: file spans, in order. */
  spans(p: number): Span[] {
    const begin = p * this.pieceLength
    const end = begin + this.pieceLength
    const out: Span[] = []
    // files are few per piece; a binary search finds the first one
    let lo = 0
    let hi = this.files.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.starts[mid]! <= begin) lo = mid
      else hi = mid - 1
    }
    for (let i = lo; i < this.files.length && this.starts[i]! < end; i++) {
      const from = Math.max(begin, this.starts[i]!)
      const to = Math.min(end, this.starts[i]! + this.files[i]!.length)
      if (to > from) out.push({ file: i, fileOffset: from - this.starts[i]!, length: to - from, at: from - begin })
    }
    return out
  }

  async read(p: number, into: Uint8Array): Promise<void> {
    await Promise.all(this.spans(p).map((s) => this.limited(() => this.readSpan(s, into))))
  }

  /**
   * A piece of small files is thousands of spans: at most MAX_SPAN_IO of them are being opened, read
   * or closed at once (the daemon caps requests in flight, and every open file is a descriptor).
   */
  private async limited(fn: () => Promise<void>): Promise<void> {
    while (this.active >= MAX_SPAN_IO) await new Promise<void>((r) => this.waiting.push(r))
    this.active++
    try {
      await fn()
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }

  private async readSpan(s: Span, into: Uint8Array): Promise<void> {
    const f = this.files[s.file]!
    let h = this.handles.get(s.file)
    if (!h) {
      h = this.port.open(this.root, f.rootPath).catch((e: unknown) => {
        // the daemon opens no symbolic link as the last component (bad-path) and says so by code only
        const why =
          e instanceof IoError && e.code === 'bad-path'
            ? 'a symbolic link or a path outside the folder'
            : String((e as Error)?.message ?? e)
        throw new CreateTorrentError(`cannot read ${f.rootPath}: ${why}`)
      })
      this.handles.set(s.file, h)
    }
    const data = await (await h).read(s.fileOffset, s.length)
    if (data.length !== s.length) throw new CreateTorrentError(`${f.rootPath} changed while hashing (short read)`)
    into.set(data, s.at)
    if (--this.left[s.file]! === 0) {
      this.handles.delete(s.file)
      await (await h).close()
    }
  }

  async close(): Promise<void> {
    const open = [...this.handles.values()]
    this.handles.clear()
    // after a failure or a cancel: closing tells nothing about bytes already read
    await Promise.allSettled(open.map(async (h) => (await h).close()))
  }
}

/**
 * SHA-1 of every piece of `files` laid end to end, through `hasher` (the engine's hash workers: each
 * buffer is transferred there and back and then reused). Up to `inFlight` pieces are being read or
 * hashed at once, so memory stays at a few pieces whatever the size.
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
  const reader = new PieceReader(port, root, files, pieceLength)
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
      // reads of the next pieces overlap the hashing of earlier ones, up to `inFlight` pieces
      const job = reader
        .read(i, buf)
        .then(() => hasher.sha1(buf))
        .then(
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
    // reads and hashes still running finish on their own; their results are no longer wanted
    await Promise.allSettled(running)
    await reader.close()
  }
  return out
}
