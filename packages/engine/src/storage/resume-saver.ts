/**
 * Saves resume state every `intervalMs` while something changed, and once more on stop.
 * Saves never overlap; a failed save (e.g. a full disk) is reported and retried next time.
 */
import type { StateStore } from '../platform/ports.ts'
import type { Clock, TimerHandle } from '../util/clock.ts'
import { saveResume } from './resume-state.ts'
import type { TorrentStorage } from './torrent-storage.ts'

export class ResumeSaver {
  private timer: TimerHandle | null = null
  private lastSaved = -1
  private saving: Promise<void> | null = null
  private prioritiesKey = ''
  saves = 0

  constructor(
    private readonly storage: TorrentStorage,
    private readonly store: StateStore,
    private readonly key: string,
    private readonly clock: Clock,
    private readonly intervalMs = 30_000,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  start(): void {
    if (this.timer !== null) return
    const tick = () => {
      this.timer = this.clock.setTimeout(tick, this.intervalMs)
      if (this.dirty()) void this.saveNow().catch(this.onError)
    }
    this.timer = this.clock.setTimeout(tick, this.intervalMs)
  }

  /** Stops the timer and saves a final time (call after in-flight writes settled). */
  async stop(): Promise<void> {
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
    await this.saveNow()
  }

  dirty(): boolean {
    return this.storage.have.count() !== this.lastSaved || this.storage.filePriorities().join() !== this.prioritiesKey
  }

  async saveNow(): Promise<void> {
    while (this.saving) await this.saving
    const count = this.storage.have.count()
    const prios = this.storage.filePriorities().join()
    this.saving = saveResume(this.storage, this.store, this.key, this.clock.now())
    try {
      await this.saving
      this.lastSaved = count
      this.prioritiesKey = prios
      this.saves++
    } finally {
      this.saving = null
    }
  }
}
