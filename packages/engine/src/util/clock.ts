/** Time and timers, injectable so tests advance time instead of sleeping. */
export type TimerHandle = unknown

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

/** A clock for tests: time moves only when `advance` is called; due timers fire in order. */
export class ManualClock implements Clock {
  private t: number
  private seq = 0
  private timers = new Map<number, { at: number; fn: () => void }>()

  constructor(start = 0) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn })
    return id
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number)
  }

  pending(): number {
    return this.timers.size
  }

  /** Moves time forward by `ms`, firing every timer that falls due (including ones set meanwhile). */
  advance(ms: number): void {
    const end = this.t + ms
    for (let guard = 0; guard < 1_000_000; guard++) {
      let nextId = -1
      let nextAt = Infinity
      for (const [id, tm] of this.timers)
        if (tm.at < nextAt || (tm.at === nextAt && id < nextId)) [nextId, nextAt] = [id, tm.at]
      if (nextId < 0 || nextAt > end) break
      const tm = this.timers.get(nextId)!
      this.timers.delete(nextId)
      this.t = Math.max(this.t, tm.at)
      tm.fn()
    }
    this.t = end
  }
}
