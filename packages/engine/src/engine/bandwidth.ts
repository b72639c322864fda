/**
 * A byte-rate token bucket for download/upload limits. `take` grants up to `want` bytes now;
 * `waitMs` says when more will be available. rate 0 means unlimited.
 */
export class ByteBucket {
  private tokens: number
  private last: number

  constructor(
    private rate: number,
    private readonly now: () => number,
  ) {
    this.tokens = rate
    this.last = now()
  }

  get unlimited(): boolean {
    return this.rate <= 0
  }

  /** Bytes per second (0 = unlimited). */
  get bytesPerSec(): number {
    return this.rate
  }

  setRate(rate: number): void {
    this.refill()
    this.rate = rate
    this.tokens = Math.min(this.tokens, this.capacity())
  }

  /** One second of burst, at least one 16 KiB block so a slow limit still moves. */
  private capacity(): number {
    return Math.max(this.rate, 16384)
  }

  private refill(): void {
    const t = this.now()
    const dt = Math.max(0, t - this.last) / 1000
    this.last = t
    if (this.rate > 0) this.tokens = Math.min(this.capacity(), this.tokens + dt * this.rate)
  }

  /** Bytes granted now (0..want). */
  take(want: number): number {
    if (this.rate <= 0) return want
    this.refill()
    const got = Math.max(0, Math.min(want, Math.floor(this.tokens)))
    this.tokens -= got
    return got
  }

  /** Consume unconditionally (bytes that arrived anyway); may go negative to repay later. */
  consume(n: number): void {
    if (this.rate <= 0) return
    this.refill()
    this.tokens -= n
  }

  available(): number {
    if (this.rate <= 0) return Infinity
    this.refill()
    return this.tokens
  }

  /** ms until `n` bytes are available. */
  waitMs(n: number): number {
    if (this.rate <= 0) return 0
    this.refill()
    const missing = n - this.tokens
    return missing <= 0 ? 0 : Math.ceil((missing / this.rate) * 1000)
  }
}
