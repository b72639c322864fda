/** Round-trip estimate and retransmission timeout as BEP 29 gives them (milliseconds). */
export class RttEstimator {
  rtt = 0
  rttVar = 0
  private sampled = false
  /** Doubles with each consecutive timeout, reset by a fresh sample. */
  private backoff = 1

  constructor(
    private readonly minRtoMs = 500,
    private readonly initialRtoMs = 1000,
  ) {}

  sample(ms: number): void {
    if (!this.sampled) {
      this.sampled = true
      this.rtt = ms
      this.rttVar = ms / 2
    } else {
      const delta = this.rtt - ms
      this.rttVar += (Math.abs(delta) - this.rttVar) / 4
      this.rtt += (ms - this.rtt) / 8
    }
    this.backoff = 1
  }

  get rto(): number {
    const base = this.sampled ? Math.max(this.rtt + 4 * this.rttVar, this.minRtoMs) : this.initialRtoMs
    return Math.min(base * this.backoff, 60_000)
  }

  timedOut(): void {
    this.backoff = Math.min(this.backoff * 2, 64)
  }
}
