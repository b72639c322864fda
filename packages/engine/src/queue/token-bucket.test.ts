import { describe, expect, it } from 'vitest'
import { TokenBucket } from './token-bucket.ts'

describe('TokenBucket', () => {
  it('starts full at burst (default twice the rate) and refills at the rate', () => {
    let t = 0
    const b = new TokenBucket({ ratePerSec: 10 }, () => t)
    expect(b.available()).toBe(20)
    let taken = 0
    while (b.tryTake() && taken < 100) taken++
    expect(taken).toBe(20)
    t += 100
    expect(b.available()).toBeCloseTo(1)
    expect(b.tryTake()).toBe(true)
    expect(b.tryTake()).toBe(false)
    t += 1000
    expect(b.available()).toBeCloseTo(10)
    t += 60_000
    expect(b.available()).toBe(20) // never above burst
  })

  it('takes an explicit burst and changes rate at run time', () => {
    let t = 0
    const b = new TokenBucket({ ratePerSec: 5, burst: 3 }, () => t)
    expect(b.available()).toBe(3)
    b.tryTake(3)
    b.setRate(100, 50)
    expect(b.available()).toBe(0) // tokens are earned, not granted by the change
    t += 100
    expect(b.available()).toBeCloseTo(10)
    b.setRate(1) // burst 2: tokens clamp down
    expect(b.available()).toBe(2)
  })

  it('treats rate 0 as unlimited and starts full when a limit returns', () => {
    let t = 0
    const b = new TokenBucket({ ratePerSec: 0 }, () => t)
    expect(b.unlimited).toBe(true)
    expect(b.available()).toBe(Infinity)
    for (let i = 0; i < 1000; i++) expect(b.tryTake()).toBe(true)
    b.setRate(2)
    expect(b.available()).toBe(4)
    t += 500
    expect(b.available()).toBe(4)
  })
})
