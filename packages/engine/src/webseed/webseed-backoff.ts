/**
 * When a failing web seed may be asked again: exponential from `baseMs` up to `maxMs`, or what the
 * server asked for (Retry-After, BEP 17's 503 body) within `maxRetryAfterMs`. A success resets it.
 */
export class Backoff {
  private failures = 0
  private until = 0

  constructor(
    private readonly baseMs = 5_000,
    private readonly maxMs = 10 * 60_000,
    private readonly maxRetryAfterMs = 60 * 60_000,
  ) {}

  get failureCount(): number {
    return this.failures
  }

  /** Time (ms) before which nothing is asked. */
  get retryAt(): number {
    return this.until
  }

  ready(now: number): boolean {
    return now >= this.until
  }

  /** Records a failure; returns the delay chosen. */
  fail(now: number, retryAfterMs?: number): number {
    this.failures++
    const exp = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(20, this.failures - 1))
    const delay =
      retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0
        ? Math.min(this.maxRetryAfterMs, Math.max(retryAfterMs, 1000))
        : exp
    this.until = now + delay
    return delay
  }

  succeed(): void {
    this.failures = 0
    this.until = 0
  }
}

/**
 * A Retry-After header (seconds, or an HTTP date), or BEP 17's 503 body (a number of seconds), in ms;
 * undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | undefined, now: number, body?: string): number | undefined {
  const h = header?.trim()
  if (h) {
    if (/^\d{1,9}$/.test(h)) return Number(h) * 1000
    const at = Date.parse(h)
    if (Number.isFinite(at)) return Math.max(0, at - now)
  }
  const b = body?.trim()
  if (b && /^\d{1,9}$/.test(b)) return Number(b) * 1000
  return undefined
}
