/**
 * How deep to pipeline requests to one peer: the blocks it delivers in one round trip plus
 * `queueTimeSec` of its measured rate (libtorrent keeps ~3 s queued), floored at a minimum and
 * capped by the peer's reqq and our own ceiling. The round trip is a slowly decaying minimum of
 * request-to-block times, so our own queueing does not inflate it.
 */
import { RateMeter } from './rate-meter.ts'

export class PipelineMeter {
  readonly rate: RateMeter
  srttMs: number | null = null
  minRttMs: number | null = null
  lastBlockAt = 0

  constructor(now: () => number, windowSec: number) {
    this.rate = new RateMeter(now, windowSec)
  }

  /** A requested block arrived `rttMs` after its request. */
  onBlock(bytes: number, rttMs: number, now: number): void {
    this.rate.add(bytes)
    this.srttMs = this.srttMs === null ? rttMs : this.srttMs * 0.875 + rttMs * 0.125
    this.minRttMs = this.minRttMs === null ? rttMs : Math.min(rttMs, this.minRttMs * 1.05 + 1)
    this.lastBlockAt = now
  }

  depth(opts: { blockSize: number; queueTimeSec: number; min: number; cap: number }): number {
    const bytesPerSec = this.rate.rate(3)
    const sec = (this.minRttMs ?? 0) / 1000 + opts.queueTimeSec
    const depth = Math.ceil((bytesPerSec * sec) / opts.blockSize)
    return Math.max(Math.min(opts.min, opts.cap), Math.min(depth, opts.cap))
  }
}
