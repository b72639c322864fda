/**
 * Our outstanding block requests to one peer, in send order (a Map keeps insertion order), plus a
 * bounded memory of requests we gave up on, so a block that arrives after a cancel, a choke or a
 * timeout is recognised as late rather than unrequested.
 */
import type { BlockRef } from './wire-codec.ts'

export interface PendingRequest extends BlockRef {
  sentAt: number
}

/** index and begin as one number: safe while index < 2^21 (pieces) and begin < 2^32. */
export const blockKey = (index: number, begin: number): number => index * 0x100000000 + begin

export class RequestQueue {
  private readonly pending = new Map<number, PendingRequest>()
  private readonly gaveUp = new Set<number>()

  constructor(private readonly memory = 1024) {}

  get size(): number {
    return this.pending.size
  }

  has(index: number, begin: number): boolean {
    return this.pending.has(blockKey(index, begin))
  }

  /** False when an identical request is already outstanding. */
  add(index: number, begin: number, length: number, now: number): boolean {
    const key = blockKey(index, begin)
    if (this.pending.has(key)) return false
    this.gaveUp.delete(key)
    this.pending.set(key, { index, begin, length, sentAt: now })
    return true
  }

  /** Removes and returns the request a block answers, if any. */
  take(index: number, begin: number): PendingRequest | undefined {
    const key = blockKey(index, begin)
    const r = this.pending.get(key)
    if (r) this.pending.delete(key)
    return r
  }

  /** Removes a request we no longer wait for, remembering it as given up. */
  giveUp(index: number, begin: number): PendingRequest | undefined {
    const r = this.take(index, begin)
    if (r) this.remember(blockKey(index, begin))
    return r
  }

  /** Gives up every request (choke without fast extension, snub, close). */
  giveUpAll(): PendingRequest[] {
    const all = [...this.pending.values()]
    for (const key of this.pending.keys()) this.remember(key)
    this.pending.clear()
    return all
  }

  /** Gives up requests sent at or before `cutoff`, oldest first. */
  giveUpOlderThan(cutoff: number): PendingRequest[] {
    const out: PendingRequest[] = []
    for (const [key, r] of this.pending) {
      if (r.sentAt > cutoff) break // later entries were sent later
      out.push(r)
      this.pending.delete(key)
      this.remember(key)
    }
    return out
  }

  /** True once for a block we had given up on (a late arrival). */
  consumeLate(index: number, begin: number): boolean {
    return this.gaveUp.delete(blockKey(index, begin))
  }

  oldest(): PendingRequest | undefined {
    for (const r of this.pending.values()) return r
    return undefined
  }

  list(): PendingRequest[] {
    return [...this.pending.values()]
  }

  private remember(key: number): void {
    this.gaveUp.add(key)
    if (this.gaveUp.size > this.memory) {
      const first = this.gaveUp.values().next().value
      if (first !== undefined) this.gaveUp.delete(first)
    }
  }
}
