/**
 * Torrent queueing as qBittorrent and libtorrent do it: at most so many downloads, seeds and torrents
 * run at once; the rest wait as `queued` in an order the user can change. A torrent that has been
 * running a while and moves almost nothing ("slow", libtorrent's `dont_count_slow_torrents`) does not
 * take a place, so the next one starts beside it. A force-started torrent bypasses the queue and
 * takes no place either. Pure policy: the caller says what each torrent is doing and applies the plan.
 */

import type { QueueMove } from '../api/types.ts'

export type { QueueMove }

export interface QueueLimits {
  /** Off: every torrent the user has not paused runs. */
  enabled: boolean
  maxActiveDownloads: number
  maxActiveSeeds: number
  maxActiveTorrents: number
  /** Slow torrents take no place (libtorrent's `dont_count_slow_torrents`). */
  dontCountSlow: boolean
}

/** libtorrent's defaults: below 2 KiB/s down and up (`inactive_down_rate`, `inactive_up_rate`) ... */
export const SLOW_RATE = 2048
/** ... for a minute (`inactivity_timeout`), and never in the first minute after a start (`auto_manage_startup`). */
export const SLOW_AFTER_MS = 60_000

/** What the policy needs to know of one torrent. */
export interface QueueView {
  infoHash: string
  /** The user wants it to run (not paused, not in error). */
  wanted: boolean
  /** Force-started: runs whatever the limits say. */
  forced: boolean
  /** Every selected byte is there (a seed); otherwise a download. */
  complete: boolean
  /** Running now. */
  running: boolean
  /** Running and slow for long enough (see `SlowTracker`). */
  slow: boolean
}

export interface QueuePlan {
  /** Info hashes that should run (started if they are not). */
  run: Set<string>
  /** Info hashes that should wait as `queued` (stopped if they run). */
  queued: Set<string>
}

/**
 * Which torrents run, by queue position: downloads in order until the download limit or the overall
 * limit is reached, then seeds the same way; a running slow torrent keeps running without taking a
 * place. `views` must be in queue order. Unwanted torrents are in neither set.
 */
export function planQueue(views: readonly QueueView[], limits: QueueLimits): QueuePlan {
  const run = new Set<string>()
  const queued = new Set<string>()
  let total = 0
  const fill = (seeds: boolean, max: number) => {
    let n = 0
    for (const v of views) {
      if (!v.wanted || v.complete !== seeds) continue
      if (v.forced || !limits.enabled) run.add(v.infoHash)
      else if (limits.dontCountSlow && v.running && v.slow) run.add(v.infoHash)
      else if (n < max && total < limits.maxActiveTorrents) {
        run.add(v.infoHash)
        n++
        total++
      } else queued.add(v.infoHash)
    }
  }
  // libtorrent fills downloads before seeds: the overall limit favours what is not finished yet
  fill(false, limits.maxActiveDownloads)
  fill(true, limits.maxActiveSeeds)
  return { run, queued }
}

/**
 * Tells slow torrents apart: slow once it has run for `SLOW_AFTER_MS` and moved under `SLOW_RATE` both
 * ways for the last `SLOW_AFTER_MS`. Fed once per tick with each running torrent's rates.
 */
export class SlowTracker {
  private readonly since = new Map<string, { startedAt: number; busyAt: number }>()

  /** The torrent runs with these rates now; returns whether it counts as slow. */
  observe(infoHash: string, now: number, downRate: number, upRate: number): boolean {
    let s = this.since.get(infoHash)
    if (!s) {
      s = { startedAt: now, busyAt: now }
      this.since.set(infoHash, s)
    }
    if (downRate >= SLOW_RATE || upRate >= SLOW_RATE) s.busyAt = now
    return now - s.startedAt >= SLOW_AFTER_MS && now - s.busyAt >= SLOW_AFTER_MS
  }

  isSlow(infoHash: string, now: number): boolean {
    const s = this.since.get(infoHash)
    return !!s && now - s.startedAt >= SLOW_AFTER_MS && now - s.busyAt >= SLOW_AFTER_MS
  }

  /** The torrent stopped: its next start begins a fresh grace minute. */
  forget(infoHash: string): void {
    this.since.delete(infoHash)
  }
}

/** The user's queue order: every torrent once, first = position 1. */
export class QueueOrder {
  private order: string[] = []

  constructor(initial: readonly string[] = []) {
    for (const h of initial) this.add(h)
  }

  /** Appends at the bottom (a new torrent); no-op when present. */
  add(infoHash: string): void {
    if (!this.order.includes(infoHash)) this.order.push(infoHash)
  }

  remove(infoHash: string): void {
    const i = this.order.indexOf(infoHash)
    if (i >= 0) this.order.splice(i, 1)
  }

  /** 1-based position, 0 when unknown. */
  position(infoHash: string): number {
    return this.order.indexOf(infoHash) + 1
  }

  list(): string[] {
    return [...this.order]
  }

  /** Moves the torrents together, keeping their relative order; false when nothing moved. */
  move(infoHashes: readonly string[], to: QueueMove): boolean {
    const picked = new Set(infoHashes.filter((h) => this.order.includes(h)))
    if (picked.size === 0) return false
    const before = this.order.join()
    if (to === 'top' || to === 'bottom') {
      const moving = this.order.filter((h) => picked.has(h))
      const rest = this.order.filter((h) => !picked.has(h))
      this.order = to === 'top' ? [...moving, ...rest] : [...rest, ...moving]
    } else if (to === 'up') {
      // each picked torrent swaps with the unpicked one above it (a block moves up as one)
      for (let i = 1; i < this.order.length; i++)
        if (picked.has(this.order[i]!) && !picked.has(this.order[i - 1]!))
          [this.order[i - 1], this.order[i]] = [this.order[i]!, this.order[i - 1]!]
    } else {
      for (let i = this.order.length - 2; i >= 0; i--)
        if (picked.has(this.order[i]!) && !picked.has(this.order[i + 1]!))
          [this.order[i], this.order[i + 1]] = [this.order[i + 1]!, this.order[i]!]
    }
    return this.order.join() !== before
  }

  /** Restores a saved order: known torrents in the saved order first, the rest after in their order. */
  restore(saved: readonly string[]): void {
    const known = new Set(this.order)
    const first = saved.filter((h, i) => known.has(h) && saved.indexOf(h) === i)
    const firstSet = new Set(first)
    this.order = [...first, ...this.order.filter((h) => !firstSet.has(h))]
  }
}
