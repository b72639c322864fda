/**
 * Blocks a peer asked us for. Requests wait in arrival order; at most `maxReads` are handed to the
 * torrent at once (each is a disk read through the daemon), so memory stays bounded however deep
 * the peer pipelines. A cancelled or choked-away request disappears; a late sendPiece for it is dropped.
 */
import { blockKey } from './request-queue.ts'
import type { BlockRef } from './wire-codec.ts'

interface UploadEntry extends BlockRef {
  dispatched: boolean
}

export class UploadQueue {
  private readonly entries = new Map<number, UploadEntry>()
  private waiting: number[] = [] // keys not yet dispatched; stale keys are skipped lazily
  private waitHead = 0
  private reading = 0

  constructor(
    readonly maxQueued: number,
    readonly maxReads: number,
  ) {}

  get size(): number {
    return this.entries.size
  }

  get inFlight(): number {
    return this.reading
  }

  has(index: number, begin: number): boolean {
    return this.entries.has(blockKey(index, begin))
  }

  /** 'full' when our reqq is reached, 'duplicate' for a request already queued. */
  add(req: BlockRef): 'ok' | 'full' | 'duplicate' {
    const key = blockKey(req.index, req.begin)
    if (this.entries.has(key)) return 'duplicate'
    if (this.entries.size >= this.maxQueued) return 'full'
    this.entries.set(key, { index: req.index, begin: req.begin, length: req.length, dispatched: false })
    this.waiting.push(key)
    return 'ok'
  }

  /** The next request to read, if a read slot is free. */
  nextToRead(): BlockRef | undefined {
    if (this.reading >= this.maxReads) return undefined
    while (this.waitHead < this.waiting.length) {
      const key = this.waiting[this.waitHead++]!
      const e = this.entries.get(key)
      if (e && !e.dispatched) {
        e.dispatched = true
        this.reading++
        this.compact()
        return e
      }
    }
    this.compact()
    return undefined
  }

  /** Removes a request (served, cancelled, rejected). Returns it if it was queued. */
  remove(index: number, begin: number): BlockRef | undefined {
    const key = blockKey(index, begin)
    const e = this.entries.get(key)
    if (!e) return undefined
    this.entries.delete(key)
    if (e.dispatched) this.reading--
    return e
  }

  /** Removes every request for which `keep` is false; returns them. */
  removeWhere(drop: (r: BlockRef) => boolean): BlockRef[] {
    const out: BlockRef[] = []
    for (const [key, e] of this.entries) {
      if (!drop(e)) continue
      this.entries.delete(key)
      if (e.dispatched) this.reading--
      out.push(e)
    }
    return out
  }

  clear(): void {
    this.entries.clear()
    this.waiting = []
    this.waitHead = 0
    this.reading = 0
  }

  private compact(): void {
    if (this.waitHead > 256 && this.waitHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitHead)
      this.waitHead = 0
    }
  }
}
