import type { EngineSettings } from '../api/types.ts'
import type { Clock, TimerHandle } from '../util/clock.ts'

/**
 * Alternative global speed limits, as qBittorrent's: a second pair of limits the user switches to by
 * hand (the status bar's toggle, `altSpeedActive`) or on a schedule (days of the week, from/to times).
 * The schedule flips the switch at its edges only, so a manual change holds until the next edge.
 */

export type AltSpeedSettings = Pick<
  EngineSettings,
  | 'downloadRateLimit'
  | 'uploadRateLimit'
  | 'altDownloadRateLimit'
  | 'altUploadRateLimit'
  | 'altSpeedActive'
  | 'altScheduleEnabled'
  | 'altScheduleFrom'
  | 'altScheduleTo'
  | 'altScheduleDays'
>

/** The global limits in force now (bytes/s, 0 = unlimited). */
export function effectiveRateLimits(s: AltSpeedSettings): { download: number; upload: number } {
  return s.altSpeedActive
    ? { download: s.altDownloadRateLimit, upload: s.altUploadRateLimit }
    : { download: s.downloadRateLimit, upload: s.uploadRateLimit }
}

/** What the status bar shows: whether the alternative pair is on, and the limits in force. */
export function altSpeedStatus(s: AltSpeedSettings): { active: boolean; downloadLimit: number; uploadLimit: number } {
  const l = effectiveRateLimits(s)
  return { active: s.altSpeedActive, downloadLimit: l.download, uploadLimit: l.upload }
}

/** Local day of week (0 = Sunday) and minute of the day. */
export interface LocalTime {
  day: number
  minute: number
}

/** The engine's local time (the browser's or the process's time zone). */
export function localTimeOf(ms: number): LocalTime {
  const d = new Date(ms)
  return { day: d.getDay(), minute: d.getHours() * 60 + d.getMinutes() }
}

/**
 * Whether the schedule's window holds `t`. A window that ends before it starts runs past midnight and
 * belongs to the day it started on (Friday 22:00–06:00 includes Saturday 03:00); from = to is all day.
 */
export function inAltWindow(
  s: Pick<AltSpeedSettings, 'altScheduleFrom' | 'altScheduleTo' | 'altScheduleDays'>,
  t: LocalTime,
): boolean {
  const days = new Set(s.altScheduleDays)
  const from = s.altScheduleFrom
  const to = s.altScheduleTo
  if (from === to) return days.has(t.day)
  if (from < to) return days.has(t.day) && t.minute >= from && t.minute < to
  if (t.minute >= from) return days.has(t.day)
  return t.minute < to && days.has((t.day + 6) % 7)
}

/** Checks the schedule this often: limits switch within a minute of the set time. */
const CHECK_MS = 20_000

export interface AltSpeedSchedulerOptions {
  clock: Clock
  settings(): AltSpeedSettings
  /** Switches the alternative limits on or off (the engine saves it and applies the buckets). */
  setActive(on: boolean): void
  /** Local time of an instant (tests inject a fixed zone). */
  localTime?: (ms: number) => LocalTime
}

/** Flips `altSpeedActive` when the schedule's window opens or closes (and once at start, to match it). */
export class AltSpeedScheduler {
  private timer: TimerHandle | null = null
  private last: boolean | null = null

  constructor(private readonly o: AltSpeedSchedulerOptions) {}

  start(): void {
    if (this.timer !== null) return
    this.last = null
    this.check()
  }

  stop(): void {
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer)
    this.timer = null
  }

  /** The schedule was edited: match it now, as at start. */
  reset(): void {
    this.last = null
    if (this.timer !== null) this.check()
  }

  private check(): void {
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer)
    const s = this.o.settings()
    if (s.altScheduleEnabled) {
      const now = this.o.clock.now()
      const inside = inAltWindow(s, (this.o.localTime ?? localTimeOf)(now))
      if (inside !== this.last) {
        this.last = inside
        if (s.altSpeedActive !== inside) this.o.setActive(inside)
      }
    } else this.last = null
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null
      this.check()
    }, CHECK_MS)
  }
}

/** Settings checks for the alternative limits (mergeSettings calls this; the times are bounded there). */
export function mergeAltSpeedSettings(out: EngineSettings, p: Record<string, unknown>): void {
  if (typeof p.altSpeedActive === 'boolean') out.altSpeedActive = p.altSpeedActive
  if (typeof p.altScheduleEnabled === 'boolean') out.altScheduleEnabled = p.altScheduleEnabled
  if (Array.isArray(p.altScheduleDays))
    out.altScheduleDays = [
      ...new Set(p.altScheduleDays.filter((d): d is number => Number.isInteger(d) && d >= 0 && d <= 6)),
    ].sort((a, b) => a - b)
}
