/**
 * Token bucket for connection attempts: `ratePerSec` tokens a second, holding at most `burst`.
 * A rate of 0 means unlimited. Time comes from an injected clock (ms).
 */
export class TokenBucket {
  private rate = 0
  private burst = 0
  private tokens = 0
  private last: number

  constructor(
    opts: { ratePerSec: number; burst?: number },
    private readonly now: () => number,
  ) {
    this.last = now()
    this.setRate(opts.ratePerSec, opts.burst)
  }

  get unlimited(): boolean {
    return this.rate <= 0
  }

  get ratePerSec(): number {
    return this.rate
  }

  get capacity(): number {
    return this.burst
  }

  /**
   * Changes the rate at run time. `burst` defaults to twice the rate (at least 1). Tokens earned
   * so far are kept up to the new burst; coming from unlimited, the bucket starts full.
   */
  setRate(ratePerSec: number, burst?: number): void {
    const wasUnlimited = this.rate <= 0
    this.refill()
    this.rate = Math.max(0, Number.isFinite(ratePerSec) ? ratePerSec : 0)
    if (this.rate <= 0) {
      this.burst = 0
      this.tokens = 0
      return
    }
    this.burst = Math.max(1, burst !== undefined && burst > 0 ? burst : 2 * this.rate)
    this.tokens = wasUnlimited ? this.burst : Math.min(this.tokens, this.burst)
  }

  /** Whole-or-fractional tokens available now; Infinity when unlimited. */
  available(): number {
    if (this.unlimited) return Infinity
    this.refill()
    return this.tokens
  }

  tryTake(n = 1): boolean {
    if (this.unlimited) return true
    this.refill()
    if (this.tokens < n) return false
    this.tokens -= n
    return true
  }

  private refill(): void {
    const t = this.now()
    const dt = t - this.last
    this.last = t
    if (dt > 0 && this.rate > 0) this.tokens = Math.min(this.burst, this.tokens + (dt * this.rate) / 1000)
  }
}
