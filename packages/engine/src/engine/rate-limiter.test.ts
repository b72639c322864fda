import { describe, expect, it } from 'vitest'
import { ByteBucket } from './bandwidth.ts'
import { ChainedLimiter, TorrentRateLimits } from './rate-limiter.ts'

describe('per-torrent limits within the global one', () => {
  it('grants what every bucket allows and charges all of them', () => {
    let t = 0
    const now = () => t
    const global = new ByteBucket(100_000, now)
    const own = new ByteBucket(30_000, now)
    const both = new ChainedLimiter([own, global])
    expect(both.unlimited).toBe(false)
    expect(both.take(50_000)).toBe(30_000) // the torrent's own limit binds
    expect(global.available()).toBe(70_000) // the global bucket paid only what was granted
    expect(both.take(1)).toBe(0)
    expect(both.waitMs(16_384)).toBe(Math.ceil((16_384 / 30_000) * 1000))
    t += 1000
    own.setRate(0) // no own limit: the global one binds
    expect(both.take(1_000_000)).toBe(100_000)
  })

  it('a torrent over a sustained second gets at most its limit while another uses the rest', () => {
    let t = 0
    const now = () => t
    const global = { download: new ByteBucket(100_000, now), upload: new ByteBucket(0, now) }
    const a = new TorrentRateLimits(now, global)
    const b = new TorrentRateLimits(now, global)
    a.set({ download: 20_000, upload: 0 })
    expect(a.get()).toEqual({ download: 20_000, upload: 0 })
    expect(b.upload.unlimited).toBe(true)
    let gotA = 0
    let gotB = 0
    // 10 s in 100 ms steps, both asking for 16 KiB blocks as fast as they are granted
    for (let step = 0; step < 100; step++) {
      t += 100
      gotA += a.download.take(16_384)
      gotB += b.download.take(16_384)
    }
    expect(gotA).toBeLessThanOrEqual(20_000 * 11) // ten seconds plus the first second's burst
    expect(gotA).toBeGreaterThan(20_000 * 9)
    expect(gotA + gotB).toBeLessThanOrEqual(100_000 * 11)
    expect(gotB).toBeGreaterThan(gotA * 3)
    a.set({ download: Number.NaN, upload: -5 })
    expect(a.get()).toEqual({ download: 0, upload: 0 })
  })
})
