/** Bytes per second over a sliding window of 1 s buckets; the clock is injected. */
export class RateMeter {
  private readonly buckets: Float64Array
  private head = 0
  private headSec: number
  total = 0

  constructor(
    private readonly now: () => number,
    private readonly windowSec = 5,
  ) {
    this.buckets = new Float64Array(windowSec + 1)
    this.headSec = Math.floor(now() / 1000)
  }

  private advance(): void {
    const sec = Math.floor(this.now() / 1000)
    const steps = Math.min(sec - this.headSec, this.buckets.length)
    for (let i = 0; i < steps; i++) {
      this.head = (this.head + 1) % this.buckets.length
      this.buckets[this.head] = 0
    }
    if (sec > this.headSec) this.headSec = sec
  }

  add(bytes: number): void {
    this.advance()
    this.buckets[this.head] += bytes
    this.total += bytes
  }

  /** Average over the completed seconds of the window plus the current partial one. */
  rate(): number {
    this.advance()
    let sum = 0
    for (let i = 0; i < this.buckets.length; i++) sum += this.buckets[i]
    const partial = (this.now() % 1000) / 1000
    const span = this.windowSec + partial
    return span > 0 ? sum / span : 0
  }
}
