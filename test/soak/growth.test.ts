import { describe, expect, it } from 'vitest'
import { growthVerdict, slopePerMinute, type Point } from './growth.ts'

const line = (from: number, to: number, step: number, f: (t: number) => number): Point[] => {
  const out: Point[] = []
  for (let t = from; t <= to + 1e-9 && out.length < 10_000; t += step) out.push({ tMin: t, value: f(t) })
  return out
}

describe('soak growth rule', () => {
  it('fits the slope of a straight line exactly, and needs 3 points', () => {
    expect(slopePerMinute(line(0, 10, 1 / 6, (t) => 100 + 2.5 * t))).toBeCloseTo(2.5, 9)
    expect(
      slopePerMinute([
        { tMin: 0, value: 1 },
        { tMin: 1, value: 5 },
      ]),
    ).toBeNull()
  })

  it('ignores a warm-up climb in the first half and judges only the second', () => {
    // RSS climbs 40 MiB/min for 5 minutes, then holds flat with GC saw-teeth of 8 MiB
    const pts = line(0, 10, 1 / 6, (t) => (t < 5 ? 40 * t : 200 + (Math.round(t * 6) % 2 === 0 ? 8 : 0)))
    const v = growthVerdict(pts, 10, { perMinute: 4, minRise: 0 })
    expect(v.grows).toBe(false)
    expect(Math.abs(v.slope!)).toBeLessThan(1)
    expect(v.fitted).toBe(31)
  })

  it('flags a steady leak above its limit, not one below it', () => {
    const leak = line(0, 30, 1 / 6, (t) => 150 + 5 * t + (Math.round(t * 6) % 3) * 4)
    expect(growthVerdict(leak, 30, { perMinute: 4, minRise: 24 }).grows).toBe(true)
    expect(growthVerdict(leak, 30, { perMinute: 6, minRise: 24 }).grows).toBe(false)
  })

  it('a short run must also rise past the noise floor: the same slope passes over 1.5 min, fails over 15', () => {
    const limit = { perMinute: 4, minRise: 24 }
    const short = growthVerdict(
      line(0, 3, 1 / 6, (t) => 100 + 10 * t),
      3,
      limit,
    )
    expect(short.slope).toBeCloseTo(10, 6)
    expect(short.grows).toBe(false) // rises 15 over the second half
    expect(
      growthVerdict(
        line(0, 30, 1 / 6, (t) => 100 + 10 * t),
        30,
        limit,
      ).grows,
    ).toBe(true)
  })
})
