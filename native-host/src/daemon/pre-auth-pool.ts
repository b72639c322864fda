/** One unauthenticated connection in the pool. */
export interface PreAuthEntry {
  /** It authenticated or closed: it no longer counts. Safe to call more than once. */
  leave(): void
}

/**
 * Upgraded connections that have not authenticated yet, oldest first. Refusing new upgrades when the
 * pool is full would let any local process lock every client out by holding unauthenticated
 * connections open; instead a new upgrade drops the oldest one. A client that sends its hello as soon
 * as it is connected is then only dropped if `max` newer upgrades are completed before its hello is
 * read, and the daemon completes upgrades one at a time on one thread.
 */
export class PreAuthPool {
  private readonly entries = new Set<{ drop: () => void }>()
  /** Connections dropped to make room for a newer one. */
  evicted = 0

  private readonly max: number

  constructor(max: number) {
    this.max = Math.max(1, max)
  }

  get size(): number {
    return this.entries.size
  }

  /** Admits a connection (dropping the oldest when full); `drop` ends it if it is evicted later. */
  admit(drop: () => void): PreAuthEntry {
    while (this.entries.size >= this.max) {
      const oldest = this.entries.values().next().value!
      this.entries.delete(oldest)
      this.evicted++
      oldest.drop()
    }
    const e = { drop }
    this.entries.add(e)
    return { leave: () => void this.entries.delete(e) }
  }
}
