import { describe, expect, it } from 'vitest'
import { RateMeter } from './rate-meter.ts'

describe('RateMeter', () => {
  it('averages over the window and forgets old data', () => {
    let t = 0
    const m = new RateMeter(() => t, 5)
    expect(m.rate()).toBe(0)
    for (let s = 0; s < 5; s++) {
      t = s * 1000
      m.add(100_000)
    }
    t = 5000
    expect(m.rate()).toBeCloseTo(100_000, -3)
    expect(m.total).toBe(500_000)
    t = 20_000
    expect(m.rate()).toBe(0)
    expect(m.total).toBe(500_000)
  })
})
