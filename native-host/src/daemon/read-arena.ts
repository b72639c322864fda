import { HEADER_BYTES, Kind, writeHeader } from '@tidepool/daemon-bridge'

/** Reads land here; a new arena starts when less than this is left. */
const ARENA_BYTES = 1024 * 1024
const MIN_REGION = 64 * 1024

/**
 * Zero-copy reads for `net.connect({ onread })`: each read goes into an arena right after 11 bytes
 * reserved for the frame header, so a read becomes a DATA frame by writing the header in front of it.
 * The kernel coalesces for us: one read returns everything available, up to maxDataFrameBytes.
 */
export class ReadArena {
  private arena = Buffer.allocUnsafe(ARENA_BYTES)
  private pos = 0
  /** Reads that arrived before the socket had a handle (between connect and the reply). */
  private early: Buffer[] = []
  private sink: ((frame: Buffer, bytes: number) => void) | null = null
  private handle = 0
  private pendingSink: ((frame: Buffer, bytes: number) => void) | null = null

  constructor(private readonly maxData: number) {}

  /** The `onread.buffer` generator: the region the next read fills. */
  readonly next = (): Buffer => {
    if (this.arena.length - this.pos < HEADER_BYTES + MIN_REGION) {
      this.arena = Buffer.allocUnsafe(ARENA_BYTES)
      this.pos = 0
    }
    return this.arena.subarray(
      this.pos + HEADER_BYTES,
      Math.min(this.arena.length, this.pos + HEADER_BYTES + this.maxData),
    )
  }

  /** The `onread.callback`: `region` is what `next` returned, `n` bytes of it were filled. */
  readonly onRead = (n: number, region: Uint8Array): boolean => {
    if (n <= 0) return true
    const frame = Buffer.from(region.buffer, region.byteOffset - HEADER_BYTES, HEADER_BYTES + n)
    if (region.buffer === this.arena.buffer) this.pos = region.byteOffset - this.arena.byteOffset + n
    if (this.sink) {
      writeHeader(frame, 0, Kind.DATA, this.handle, 0, 0)
      this.sink(frame, n)
    } else this.early.push(frame)
    return true // pausing is TcpConn's job (credit), not the read callback's
  }

  /**
   * `frame` (the latest read) was consumed and nothing keeps a view of it: its region is reused by
   * the next read. Framed sockets do this (their reads are copied into pieces or into small notices),
   * so a downloading socket reuses one arena instead of allocating a new one per MiB. Safe because
   * Node asks `next` for the next region only after the read callback returned.
   */
  recycle(frame: Buffer): void {
    if (frame.buffer !== this.arena.buffer) return
    const start = frame.byteOffset - this.arena.byteOffset
    if (start + frame.length === this.pos) this.pos = start
  }

  /**
   * From now on frames go to `sink` with this handle. Starts at the end of this event-loop turn (or
   * earlier through `activate`, which end/close handlers call first), so the tcp.connect REPLY (sent a
   * few microtasks later) always precedes the socket's first DATA, and DATA precedes end/close.
   */
  attach(handle: number, sink: (frame: Buffer, bytes: number) => void): void {
    this.handle = handle
    this.pendingSink = sink
    setImmediate(() => this.activate())
  }

  activate(): void {
    const sink = this.pendingSink
    if (!sink) return
    this.pendingSink = null
    for (const f of this.early) {
      writeHeader(f, 0, Kind.DATA, this.handle, 0, 0)
      sink(f, f.length - HEADER_BYTES)
    }
    this.early = []
    this.sink = sink
  }
}
