import { describe, expect, it } from 'vitest'
import { ManualClock } from '../util/clock.ts'
import type { ScrapeResult } from './announce-types.ts'
import { TrackerError } from './tracker-error.ts'
import { canScrape, TrackerScraper, type TrackerScraperOptions } from './tracker-scraper.ts'

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

const U = 'udp://u:1'
const H = 'http://h/announce'
const NO_SCRAPE = 'http://n/tracker.php' // no 'announce' path segment: BEP 48 gives no scrape URL
const MIN = 60_000

function harness(opts: Partial<TrackerScraperOptions> & { fail?: Set<string> } = {}) {
  const clock = new ManualClock(0)
  const calls: Array<{ url: string; at: number }> = []
  const intervals = new Map<string, number>()
  let n = 0
  const s = new TrackerScraper({
    infoHash: new Uint8Array(20),
    clock,
    urls: () => [U, H, NO_SCRAPE],
    announceIntervalMs: (url) => intervals.get(url) ?? null,
    isPrivate: () => false,
    scrape: async (url): Promise<ScrapeResult> => {
      calls.push({ url, at: clock.now() })
      if (opts.fail?.has(url)) throw new TrackerError('network', 'refused')
      n++
      return { complete: n, incomplete: 2 * n, downloaded: 10 * n }
    },
    ...opts,
  })
  return { s, clock, calls, intervals }
}

describe('TrackerScraper', () => {
  it('scrapes only what BEP 48 / BEP 15 allow', () => {
    expect(canScrape(U)).toBe(true)
    expect(canScrape(H)).toBe(true)
    expect(canScrape(NO_SCRAPE)).toBe(false)
    expect(canScrape('wss://x/announce')).toBe(false)
  })

  it('scrapes each tracker once shortly after start, then every 30 min or the announce interval if longer', async () => {
    const h = harness()
    h.intervals.set(H, 45 * MIN)
    h.s.start()
    h.clock.advance(14_999)
    await flush()
    expect(h.calls).toEqual([])
    h.clock.advance(1)
    await flush()
    expect(h.calls).toEqual([
      { url: U, at: 15_000 },
      { url: H, at: 15_000 },
    ])
    expect(h.s.info(U)).toEqual({ info: { complete: 1, incomplete: 2, downloaded: 10, at: 15_000 } })
    h.calls.length = 0
    for (let i = 0; i < 60; i++) {
      h.clock.advance(MIN)
      await flush()
    }
    // U every 30 min; H at its 45-minute announce interval
    expect(h.calls.filter((c) => c.url === U).map((c) => c.at)).toEqual([15_000 + 30 * MIN, 15_000 + 60 * MIN])
    expect(h.calls.filter((c) => c.url === H).map((c) => c.at)).toEqual([15_000 + 45 * MIN])
    h.s.stop()
    h.clock.advance(120 * MIN)
    await flush()
    expect(h.calls).toHaveLength(3)
  })

  it('a private torrent waits for the announce interval and never scrapes more often', async () => {
    const h = harness({ isPrivate: () => true })
    h.s.start()
    h.clock.advance(10 * MIN)
    await flush()
    expect(h.calls).toEqual([]) // no announce answered yet: nothing is known of what the tracker allows
    h.intervals.set(U, 90 * MIN)
    h.clock.advance(5 * MIN) // the scraper wakes at least every 5 min
    await flush()
    expect(h.calls.map((c) => c.url)).toEqual([U])
    h.calls.length = 0
    for (let i = 0; i < 17; i++) {
      h.clock.advance(5 * MIN)
      await flush()
    }
    expect(h.calls).toEqual([]) // 85 min later: still inside the 90-minute interval
    h.clock.advance(5 * MIN)
    await flush()
    expect(h.calls.map((c) => c.url)).toEqual([U])
    h.s.stop()
  })

  it('keeps an error per tracker and retries after the retry delay', async () => {
    const h = harness({ fail: new Set([U]), retryMs: 10 * MIN })
    h.s.start()
    h.clock.advance(15_000)
    await flush()
    expect(h.s.info(U)).toEqual({ error: 'refused' })
    expect(h.s.info(H).info?.complete).toBe(1)
    h.calls.length = 0
    h.clock.advance(30 * MIN)
    await flush()
    // the retry delay is at least the regular interval (30 min), whichever is longer
    expect(h.calls.map((c) => c.url)).toEqual([U, H])
    h.s.stop()
  })
})
