import type { PieceDeadlines } from '../picker/piece-deadlines.ts'

/** What a stream needs of its torrent's data side. */
export interface StreamTarget {
  readonly deadlines: PieceDeadlines
  readonly pieceLength: number
  readonly pieceCount: number
  has(piece: number): boolean
  now(): number
}

/** Bitrate assumed before any is observed (~4 Mbit/s, a typical 1080p web video). */
const DEFAULT_BITRATE = 512 * 1024
const MIN_BITRATE = 64 * 1024
const MAX_BITRATE = 32 * 1024 * 1024
/** Seconds of playback to fetch ahead of the reader. */
const READ_AHEAD_SECONDS = 20
/** Bounds of the read-ahead window, bytes (at least two pieces are always read ahead). */
const MAX_READ_AHEAD = 48 * 1024 * 1024
/** A read this far past the last one is a seek, not the player reading on. */
const SEEK_SLACK = 4 * 1024 * 1024
/** Observed bitrate counts only once a run has lasted this long. */
const MIN_RUN_MS = 2000
/**
 * Readers of one file at once (a browser reads a WebM's start and its index at the end in parallel);
 * a new one beyond this replaces the one idle longest.
 */
const MAX_RUNS = 2
/** A run nobody extended for this long gives way when another reader reads. */
const IDLE_MS = 1000

/** One reader's contiguous reads: where they started, how far they got, its deadlines' owner. */
interface Run {
  owner: string
  start: number
  startMs: number
  pos: number
  lastMs: number
  /** The reader's last ask (`gone` names it). */
  lastReq: number
}

interface Waiter {
  missing: Set<number>
  resolve: () => void
  reject: (err: Error) => void
}

/**
 * One open stream of one file: turns the byte ranges a player asks for into piece deadlines, the
 * way libtorrent's streaming does with set_piece_deadline. The asked range is due now (in order);
 * a read-ahead window sized by the bitrate seen is due as the player would reach it. Each reader
 * (a run of contiguous reads) owns its deadlines: a reader that goes away (the player seeks: it
 * closes one request and opens another), or sits idle while another starts, takes its deadlines
 * with it, so the window moves to where the player now reads.
 */
export class StreamWindow {
  private readonly waiters = new Set<Waiter>()
  private runs: Run[] = []
  private nextRun = 1
  private bitrate = DEFAULT_BITRATE
  private closed = false

  constructor(
    readonly id: string,
    private readonly file: { offset: number; length: number },
    private readonly target: StreamTarget,
  ) {}

  /** Bytes per second the reader consumes (observed, or the default until a run is long enough). */
  get observedBitrate(): number {
    return this.bitrate
  }

  /** Bytes ahead of the reader that get deadlines. */
  readAheadBytes(): number {
    const t = this.target
    return Math.max(2 * t.pieceLength, Math.min(MAX_READ_AHEAD, this.bitrate * READ_AHEAD_SECONDS))
  }

  /**
   * A player wants bytes [offset, offset + length) of the file: resolves once every piece under
   * them is verified (and written), rejects when the stream closes first.
   */
  want(offset: number, length: number, req = 0): Promise<void> {
    if (this.closed) return Promise.reject(new Error('stream closed'))
    const end = Math.min(this.file.length, offset + Math.max(0, length))
    const t = this.target
    const now = t.now()
    const run = this.track(offset, end, now, req)
    const first = this.pieceAt(offset)
    const last = this.pieceAt(Math.max(offset, end - 1))
    const missing = new Set<number>()
    for (let p = first; p <= last; p++) {
      if (t.has(p)) continue
      missing.add(p)
      // asked bytes are due now, in reading order (1 ms apart keeps the order among equals)
      t.deadlines.set(p, now + (p - first), run.owner, now)
    }
    this.setReadAhead(end, now, run.owner)
    if (missing.size === 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => this.waiters.add({ missing, resolve, reject }))
  }

  /** A piece was verified: wake readers waiting for it. */
  onVerified(piece: number): void {
    for (const w of this.waiters) {
      if (!w.missing.delete(piece) || w.missing.size > 0) continue
      this.waiters.delete(w)
      w.resolve()
    }
  }

  /** The reader whose last ask was `req` went away: its deadlines go, the rest stays rarest-first. */
  readerGone(req: number): void {
    const r = this.runs.find((x) => x.lastReq === req)
    if (r) this.dropRun(r)
  }

  /** Every reader's deadlines go. */
  release(): void {
    for (const r of [...this.runs]) this.dropRun(r)
  }

  private dropRun(r: Run): void {
    this.target.deadlines.clearOwner(r.owner)
    this.runs = this.runs.filter((x) => x !== r)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.release()
    for (const w of this.waiters) w.reject(new Error('stream closed'))
    this.waiters.clear()
  }

  private pieceAt(fileOffset: number): number {
    const abs = this.file.offset + Math.min(Math.max(0, fileOffset), Math.max(0, this.file.length - 1))
    return Math.min(this.target.pieceCount - 1, Math.floor(abs / this.target.pieceLength))
  }

  /** Follows the readers: a contiguous read extends its run (and measures the bitrate), a jump starts one. */
  private track(offset: number, end: number, now: number, req: number): Run {
    let run = this.runs.find((r) => offset >= r.start && offset <= r.pos + SEEK_SLACK)
    // another reader gone quiet meanwhile (a player that seeked may leave its old request open but
    // unread): its read-ahead would compete with the reader that is actually being read
    for (const r of [...this.runs]) if (r !== run && now - r.lastMs >= IDLE_MS) this.dropRun(r)
    if (run) {
      run.pos = Math.max(run.pos, end)
      run.lastMs = now
      run.lastReq = req
      const ms = now - run.startMs
      if (ms >= MIN_RUN_MS) {
        const rate = ((run.pos - run.start) * 1000) / ms
        this.bitrate = Math.max(MIN_BITRATE, Math.min(MAX_BITRATE, rate))
      }
      return run
    }
    // a seek: never more than MAX_RUNS readers
    while (this.runs.length >= MAX_RUNS) this.dropRun(this.runs.reduce((a, b) => (a.lastMs <= b.lastMs ? a : b)))
    run = { owner: `${this.id}#${this.nextRun++}`, start: offset, startMs: now, pos: end, lastMs: now, lastReq: req }
    this.runs.push(run)
    return run
  }

  /** Deadlines for the window after `end`, due when a reader at the observed bitrate gets there. */
  private setReadAhead(end: number, now: number, owner: string): void {
    if (end >= this.file.length) return
    const t = this.target
    const stop = Math.min(this.file.length, end + this.readAheadBytes())
    const first = this.pieceAt(end)
    const last = this.pieceAt(stop - 1)
    const startAbs = this.file.offset + end
    for (let p = first; p <= last; p++) {
      if (t.has(p)) continue
      const ahead = Math.max(0, p * t.pieceLength - startAbs)
      t.deadlines.set(p, now + 1000 + Math.round((ahead * 1000) / this.bitrate), owner, now)
    }
  }
}
