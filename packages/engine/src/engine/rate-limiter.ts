import { ByteBucket } from './bandwidth.ts'

/** What the data path asks of a rate limit (one bucket, or a torrent's own limit within the global one). */
export interface RateLimiter {
  readonly unlimited: boolean
  /** Bytes granted now (0..want). */
  take(want: number): number
  /** ms until `n` bytes may be available. */
  waitMs(n: number): number
}

/**
 * Several limits at once (a torrent's own, then the engine's): a grant is what every bucket can give
 * now, taken from all of them, so neither limit is exceeded and no bucket pays for bytes it did not grant.
 */
export class ChainedLimiter implements RateLimiter {
  constructor(private readonly buckets: readonly ByteBucket[]) {}

  get unlimited(): boolean {
    return this.buckets.every((b) => b.unlimited)
  }

  take(want: number): number {
    let n = want
    for (const b of this.buckets) n = Math.min(n, Math.floor(b.available()))
    n = Math.max(0, n)
    if (n > 0) for (const b of this.buckets) b.consume(n)
    return n
  }

  waitMs(n: number): number {
    let ms = 0
    for (const b of this.buckets) ms = Math.max(ms, b.waitMs(n))
    return ms
  }
}

/** A torrent's own download and upload limits (0 = none), chained in front of the engine's. */
export class TorrentRateLimits {
  private readonly down: ByteBucket
  private readonly up: ByteBucket
  readonly download: RateLimiter
  readonly upload: RateLimiter

  constructor(now: () => number, global: { download: ByteBucket; upload: ByteBucket }) {
    this.down = new ByteBucket(0, now)
    this.up = new ByteBucket(0, now)
    this.download = new ChainedLimiter([this.down, global.download])
    this.upload = new ChainedLimiter([this.up, global.upload])
  }

  /** Bytes per second; 0 or less is no limit of its own. */
  set(limits: { download: number; upload: number }): void {
    this.down.setRate(clampRate(limits.download))
    this.up.setRate(clampRate(limits.upload))
  }

  get(): { download: number; upload: number } {
    return { download: this.down.bytesPerSec, upload: this.up.bytesPerSec }
  }
}

/** A torrent's limits as its session entry keeps them (nothing when it has none). */
export function rateLimitsEntry(l: { download: number; upload: number }): {
  rateLimits?: { download: number; upload: number }
} {
  return l.download > 0 || l.upload > 0 ? { rateLimits: l } : {}
}

function clampRate(v: number): number {
  return Number.isFinite(v) && v > 0 ? Math.min(Math.round(v), 1e12) : 0
}
