import { afterEach, describe, expect, it } from 'vitest'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { ManualClock } from '../util/clock.ts'
import { settle } from '../wire/peer-test-kit.ts'
import { effectiveRateLimits, inAltWindow, type LocalTime } from './alt-speed.ts'
import { BtEngine } from './bt-engine.ts'
import { DEFAULT_SETTINGS, mergeSettings } from './settings.ts'

const H = 60 // minutes
const utc = (ms: number): LocalTime => {
  const d = new Date(ms)
  return { day: d.getUTCDay(), minute: d.getUTCHours() * 60 + d.getUTCMinutes() }
}

describe('alternative speed limits', () => {
  it('windows: same day, past midnight (belongs to the start day), all day', () => {
    const weekdays = { altScheduleDays: [1, 2, 3, 4, 5] }
    const day = { ...weekdays, altScheduleFrom: 8 * H, altScheduleTo: 20 * H }
    expect(inAltWindow(day, { day: 1, minute: 8 * H })).toBe(true)
    expect(inAltWindow(day, { day: 1, minute: 20 * H })).toBe(false)
    expect(inAltWindow(day, { day: 0, minute: 12 * H })).toBe(false) // Sunday
    const night = { ...weekdays, altScheduleFrom: 22 * H, altScheduleTo: 6 * H }
    expect(inAltWindow(night, { day: 5, minute: 23 * H })).toBe(true) // Friday night
    expect(inAltWindow(night, { day: 6, minute: 3 * H })).toBe(true) // ...into Saturday
    expect(inAltWindow(night, { day: 6, minute: 23 * H })).toBe(false) // Saturday night is not a weekday
    expect(inAltWindow(night, { day: 1, minute: 3 * H })).toBe(false) // Sunday night into Monday
    expect(inAltWindow({ ...weekdays, altScheduleFrom: 0, altScheduleTo: 0 }, { day: 3, minute: 1 })).toBe(true)
  })

  it('the settings pick the pair in force, and bad values are refused or clamped', () => {
    const s = mergeSettings(DEFAULT_SETTINGS, { downloadRateLimit: 1000, uploadRateLimit: 2000 })
    expect(effectiveRateLimits(s)).toEqual({ download: 1000, upload: 2000 })
    expect(effectiveRateLimits({ ...s, altSpeedActive: true })).toEqual({ download: 10_240, upload: 10_240 })
    const bad = mergeSettings(DEFAULT_SETTINGS, {
      altScheduleDays: [1, 1, 9, -1, 2.5, 6],
      altScheduleFrom: 5000,
      altSpeedActive: 'yes',
    } as Record<string, unknown>)
    expect(bad).toMatchObject({ altScheduleDays: [1, 6], altScheduleFrom: 1439, altSpeedActive: false })
  })

  describe('on a schedule (injected clock)', () => {
    const engines: BtEngine[] = []
    afterEach(async () => {
      for (const e of engines.splice(0)) await e.stop()
    })

    it('switches at the window edges; a manual switch holds until the next edge; kept over a restart', async () => {
      // Monday 2026-12-07 07:59:00 UTC
      const clock = new ManualClock(Date.UTC(2026, 11, 7, 7, 59))
      const state = new MemoryStateStore()
      const make = async () => {
        const e = new BtEngine({
          platform: {
            net: new MemoryNetwork().host('10.0.0.1'),
            files: new MemoryFilePort(),
            state,
            now: () => clock.now(),
          },
          clock,
          localTime: utc,
          settings: { dhtEnabled: false },
        })
        engines.push(e)
        await e.start()
        return e
      }
      const e = await make()
      const limit = () => (e as unknown as { downloadBucket: { bytesPerSec: number } }).downloadBucket.bytesPerSec
      await e.setSettings({
        downloadRateLimit: 500_000,
        altDownloadRateLimit: 50_000,
        altScheduleEnabled: true,
        altScheduleFrom: 8 * H,
        altScheduleTo: 9 * H,
        altScheduleDays: [1],
      })
      await settle()
      expect(e.getSettings().altSpeedActive).toBe(false)
      expect(limit()).toBe(500_000)
      const advance = async (ms: number) => {
        for (let t = 0; t < ms; t += 10_000) {
          clock.advance(10_000)
          await settle()
        }
      }
      await advance(60_000) // 08:00 (checked every 20 s)
      expect(e.getSettings().altSpeedActive).toBe(true)
      expect(limit()).toBe(50_000)
      // the user turns them off by hand inside the window: it stays off until the window closes...
      await e.setSettings({ altSpeedActive: false })
      await advance(30 * 60_000)
      expect(e.getSettings().altSpeedActive).toBe(false)
      expect(limit()).toBe(500_000)
      // ...and on by hand: at 09:00 the schedule turns them off
      await e.setSettings({ altSpeedActive: true })
      await advance(30 * 60_000)
      expect(e.getSettings().altSpeedActive).toBe(false)
      // Monday 10:00: a restart outside the window keeps the schedule and the limits
      await e.stop()
      engines.splice(0)
      clock.advance(60 * 60_000)
      const e2 = await make()
      expect(e2.getSettings()).toMatchObject({ altScheduleEnabled: true, altScheduleDays: [1], altSpeedActive: false })
    })
  })
})
