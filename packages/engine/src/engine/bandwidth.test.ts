import { describe, expect, it } from 'vitest'
import { ByteBucket } from './bandwidth.ts'
import { DEFAULT_SETTINGS, mergeSettings } from './settings.ts'

describe('ByteBucket', () => {
  it('is unlimited at rate 0', () => {
    const b = new ByteBucket(0, () => 0)
    expect(b.take(1e9)).toBe(1e9)
    expect(b.waitMs(1e9)).toBe(0)
  })
  it('grants at most one second of burst and refills at the rate', () => {
    let t = 0
    const b = new ByteBucket(100_000, () => t)
    expect(b.take(1e6)).toBe(100_000)
    expect(b.take(1)).toBe(0)
    expect(b.waitMs(50_000)).toBe(500)
    t = 250
    expect(b.take(1e6)).toBe(25_000)
    t = 10_000
    expect(b.take(1e6)).toBe(100_000) // capped at capacity
    b.consume(50_000)
    expect(b.available()).toBe(-50_000)
    b.setRate(0)
    expect(b.take(5)).toBe(5)
  })
})

describe('mergeSettings', () => {
  it('keeps known keys, clamps and ignores garbage', () => {
    const s = mergeSettings(DEFAULT_SETTINGS, {
      maxPeersPerTorrent: 1e9,
      listenPort: -5,
      uploadRateLimit: 1234.6,
      bogus: 1,
      downloadRoot: '',
    } as never)
    expect(s.maxPeersPerTorrent).toBe(1000)
    expect(s.listenPort).toBe(0)
    expect(s.uploadRateLimit).toBe(1235)
    expect(s.downloadRoot).toBe('downloads')
    expect('bogus' in s).toBe(false)
  })
})
