import { describe, expect, it } from 'vitest'
import { seedLimitReached, shareRatio } from './seed-limits.ts'
import { planQueue, QueueOrder, SLOW_AFTER_MS, SlowTracker, type QueueLimits, type QueueView } from './torrent-queue.ts'

const limits: QueueLimits = {
  enabled: true,
  maxActiveDownloads: 2,
  maxActiveSeeds: 2,
  maxActiveTorrents: 3,
  dontCountSlow: true,
}

const view = (infoHash: string, o: Partial<QueueView> = {}): QueueView => ({
  infoHash,
  wanted: true,
  forced: false,
  complete: false,
  running: false,
  slow: false,
  ...o,
})

const sorted = (s: Set<string>) => [...s].sort()

describe('planQueue', () => {
  it('runs downloads in queue order up to the download limit and queues the rest', () => {
    const p = planQueue([view('d'), view('a'), view('c'), view('b')], limits)
    expect(sorted(p.run)).toEqual(['a', 'd'])
    expect(sorted(p.queued)).toEqual(['b', 'c'])
  })

  it('fills downloads before seeds and stops at the overall limit', () => {
    const p = planQueue(
      [view('s1', { complete: true }), view('d1'), view('s2', { complete: true }), view('d2'), view('d3')],
      limits,
    )
    // 2 downloads, then 1 seed fits the overall 3
    expect(sorted(p.run)).toEqual(['d1', 'd2', 's1'])
    expect(sorted(p.queued)).toEqual(['d3', 's2'])
  })

  it('leaves paused and errored torrents (not wanted) out of both sets', () => {
    const p = planQueue([view('a', { wanted: false }), view('b'), view('c')], limits)
    expect(sorted(p.run)).toEqual(['b', 'c'])
    expect(p.queued.size).toBe(0)
  })

  it('lets a running slow torrent keep running without taking a place', () => {
    const views = [view('a', { running: true, slow: true }), view('b'), view('c'), view('d')]
    expect(sorted(planQueue(views, limits).run)).toEqual(['a', 'b', 'c'])
    // with the option off it counts like any other
    expect(sorted(planQueue(views, { ...limits, dontCountSlow: false }).run)).toEqual(['a', 'b'])
    // a slow torrent that is not running has no rate to judge: it waits its turn
    expect(sorted(planQueue([view('x'), view('y'), view('a', { slow: true })], limits).queued)).toEqual(['a'])
  })

  it('runs a force-started torrent beyond the limits, without taking a place', () => {
    const p = planQueue([view('a'), view('b'), view('c', { forced: true }), view('d')], limits)
    expect(sorted(p.run)).toEqual(['a', 'b', 'c'])
    expect(sorted(p.queued)).toEqual(['d'])
  })

  it('runs everything wanted when queueing is off', () => {
    const p = planQueue([view('a'), view('b'), view('c'), view('d', { wanted: false })], { ...limits, enabled: false })
    expect(sorted(p.run)).toEqual(['a', 'b', 'c'])
  })
})

describe('SlowTracker', () => {
  it('calls a torrent slow after a minute under 2 KiB/s both ways, never in its first minute', () => {
    const s = new SlowTracker()
    expect(s.observe('a', 0, 0, 0)).toBe(false)
    expect(s.observe('a', SLOW_AFTER_MS - 1, 0, 0)).toBe(false)
    expect(s.observe('a', SLOW_AFTER_MS, 0, 0)).toBe(true)
    // moving again: busy, and slow only a minute after that
    expect(s.observe('a', SLOW_AFTER_MS + 1000, 0, 5000)).toBe(false)
    expect(s.observe('a', 2 * SLOW_AFTER_MS, 100, 100)).toBe(false)
    expect(s.observe('a', 2 * SLOW_AFTER_MS + 1000, 100, 100)).toBe(true)
    expect(s.isSlow('a', 2 * SLOW_AFTER_MS + 1000)).toBe(true)
    // a restart begins a new grace minute
    s.forget('a')
    expect(s.observe('a', 3 * SLOW_AFTER_MS, 0, 0)).toBe(false)
  })
})

describe('QueueOrder', () => {
  it('moves one torrent or a block up, down, to the top and the bottom', () => {
    const q = new QueueOrder(['a', 'b', 'c', 'd', 'e'])
    expect(q.move(['c'], 'up')).toBe(true)
    expect(q.list()).toEqual(['a', 'c', 'b', 'd', 'e'])
    q.move(['c', 'b'], 'down')
    expect(q.list()).toEqual(['a', 'd', 'c', 'b', 'e'])
    q.move(['e', 'a'], 'top')
    expect(q.list()).toEqual(['a', 'e', 'd', 'c', 'b'])
    q.move(['a', 'd'], 'bottom')
    expect(q.list()).toEqual(['e', 'c', 'b', 'a', 'd'])
    expect(q.move(['e'], 'up')).toBe(false) // already first
    expect(q.move(['zz'], 'top')).toBe(false)
    expect(q.position('b')).toBe(3)
    expect(q.position('zz')).toBe(0)
  })

  it('restores a saved order, unknown entries dropped and new torrents after', () => {
    const q = new QueueOrder(['a', 'b', 'c', 'n'])
    q.restore(['c', 'gone', 'a', 'c', 'b'])
    expect(q.list()).toEqual(['c', 'a', 'b', 'n'])
    q.remove('a')
    expect(q.list()).toEqual(['c', 'b', 'n'])
  })
})

describe('seeding limits', () => {
  it('counts the whole size as downloaded for a torrent seeded from the start', () => {
    expect(shareRatio(500, 0, 1000)).toBe(0.5)
    expect(shareRatio(500, 9, 1000)).toBe(0.5) // under 1% downloaded
    expect(shareRatio(500, 250, 1000)).toBe(2)
    expect(shareRatio(0, 0, 0)).toBe(0)
  })

  it('applies the global limits unless the torrent overrides them', () => {
    const global = { shareRatioLimit: 2, seedingTimeLimitMin: 10 }
    const g = { ratio: 'global', seedingTimeMin: 'global' } as const
    expect(seedLimitReached({ ratio: 1.9, seedingMs: 0 }, g, global)).toBeNull()
    expect(seedLimitReached({ ratio: 2, seedingMs: 0 }, g, global)).toBe('ratio')
    expect(seedLimitReached({ ratio: 0, seedingMs: 600_000 }, g, global)).toBe('seeding-time')
    expect(seedLimitReached({ ratio: 5, seedingMs: 1e9 }, { ratio: 'none', seedingTimeMin: 'none' }, global)).toBeNull()
    expect(seedLimitReached({ ratio: 0.5, seedingMs: 0 }, { ratio: 0.5, seedingTimeMin: 'none' }, global)).toBe('ratio')
    // a global 0 means no limit
    expect(
      seedLimitReached({ ratio: 99, seedingMs: 1e9 }, g, { shareRatioLimit: 0, seedingTimeLimitMin: 0 }),
    ).toBeNull()
  })
})
