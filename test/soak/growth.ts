// The soak's verdict on growth: a least-squares line through the samples of the run's second half (the
// first half is start-up and warm-up: JIT, arenas, connection pools filling). A metric whose line rises
// faster than its limit per minute, and by more than its noise floor over that half, grows without bound
// as far as a run of this length can tell. The floor keeps a short run's GC saw-tooth from passing for a
// leak; over a long run the slope decides.

export interface Point {
  tMin: number
  value: number
}

/** Slope (units per minute) of the least-squares line through points; null with fewer than 3. */
export function slopePerMinute(points: Point[]): number | null {
  if (points.length < 3) return null
  const n = points.length
  const mt = points.reduce((s, p) => s + p.tMin, 0) / n
  const mv = points.reduce((s, p) => s + p.value, 0) / n
  let num = 0,
    den = 0
  for (const p of points) {
    num += (p.tMin - mt) * (p.value - mv)
    den += (p.tMin - mt) ** 2
  }
  return den === 0 ? null : num / den
}

export interface GrowthLimit {
  perMinute: number
  /** the line must also rise by more than this over the fitted span */
  minRise: number
}

export interface GrowthVerdict {
  slope: number | null
  /** rise of the fitted line over the second half */
  rise: number | null
  /** points the slope was fitted through */
  fitted: number
  grows: boolean
}

/** Fits the points at or after half of `runMin` and compares the line with `limit`. */
export function growthVerdict(points: Point[], runMin: number, limit: GrowthLimit): GrowthVerdict {
  const second = points.filter((p) => p.tMin >= runMin / 2)
  const slope = slopePerMinute(second)
  const rise = slope === null ? null : slope * (second.at(-1)!.tMin - second[0].tMin)
  return {
    slope,
    rise,
    fitted: second.length,
    grows: slope !== null && slope > limit.perMinute && rise! > limit.minRise,
  }
}
