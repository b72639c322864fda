/**
 * Bytes per second over a sliding window of 1 s buckets, with an injected clock. A young meter
 * divides by the time it has existed, not by the whole window, so a new connection's rate is right
 * from the first second (request pipelining depends on it).
 */
export class RateMeter {
  private readonly buckets: Float64Array
  private headSec: number
  private readonly startMs: number
  total = 0

  constructor(
    private readonly now: () => number,
    readonly windowSec = 10,
  ) {
    this.buckets = new Float64Array(windowSec)
    this.startMs = now()
    this.headSec = Math.floor(this.startMs / 1000)
  }

  private roll(): number {
    const sec = Math.floor(this.now() / 1000)
    const steps = Math.min(sec - this.headSec, this.buckets.length)
    for (let i = 1; i <= steps; i++) this.buckets[(this.headSec + i) % this.buckets.length] = 0
    if (sec > this.headSec) this.headSec = sec
    return sec
  }

  add(bytes: number): void {
    const sec = this.roll()
    this.buckets[sec % this.buckets.length]! += bytes
    this.total += bytes
  }

  /** Forgets the recent rate (the total stays): a stopped torrent moves nothing from now on. */
  clearRate(): void {
    this.buckets.fill(0)
  }

  /** Average bytes/s over the last `windowSec` seconds (fewer for a young meter). */
  rate(windowSec = this.windowSec): number {
    const nowMs = this.now()
    const sec = this.roll()
    const w = Math.max(1, Math.min(windowSec, this.buckets.length))
    let sum = 0
    for (let i = 0; i < w; i++) sum += this.buckets[(sec - i + this.buckets.length * 2) % this.buckets.length]!
    // The span: the current partial second plus w-1 whole ones, but never more than the meter's age.
    const span = Math.min((w - 1) * 1000 + (nowMs % 1000), nowMs - this.startMs)
    return sum / (Math.max(span, 250) / 1000)
  }
}
