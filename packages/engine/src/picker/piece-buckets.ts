/**
 * Pieces not yet started, grouped in buckets by (priority, availability) so that the rarest pieces of
 * the highest priority come first without sorting. Moving a piece between buckets is O(1) (swap with
 * the last element); insertion swaps the piece to a random slot of its bucket, which gives the random
 * tie-break among equally rare pieces for free.
 */

/** Availability above this is treated as equal (order among very common pieces does not matter). */
const AVAIL_SLOTS = 256

export class PieceBuckets {
  private readonly buckets: number[][]
  /** Bucket of each piece, -1 when not in a bucket. */
  private readonly keys: Int32Array
  private readonly posOf: Int32Array
  private count = 0

  constructor(
    pieceCount: number,
    private readonly random: () => number,
  ) {
    this.buckets = Array.from({ length: 3 * AVAIL_SLOTS }, () => [])
    this.keys = new Int32Array(pieceCount).fill(-1)
    this.posOf = new Int32Array(pieceCount)
  }

  get size(): number {
    return this.count
  }

  has(piece: number): boolean {
    return this.keys[piece] !== -1
  }

  /** Bucket key of a piece (lower is better), -1 when not in a bucket. */
  keyOf(piece: number): number {
    return this.keys[piece]!
  }

  /** priority 1 (low) .. 3 (high); availability >= 0. */
  static key(priority: number, availability: number): number {
    return (3 - priority) * AVAIL_SLOTS + Math.min(availability, AVAIL_SLOTS - 1)
  }

  insert(piece: number, priority: number, availability: number): void {
    if (this.keys[piece] !== -1) this.remove(piece)
    const k = PieceBuckets.key(priority, availability)
    const b = this.buckets[k]!
    b.push(piece)
    const j = Math.floor(this.random() * b.length)
    const last = b.length - 1
    if (j !== last) {
      const other = b[j]!
      b[j] = piece
      b[last] = other
      this.posOf[other] = last
    }
    this.posOf[piece] = j
    this.keys[piece] = k
    this.count++
  }

  remove(piece: number): void {
    const k = this.keys[piece]!
    if (k === -1) return
    const b = this.buckets[k]!
    const i = this.posOf[piece]!
    const last = b.pop()!
    if (last !== piece) {
      b[i] = last
      this.posOf[last] = i
    }
    this.keys[piece] = -1
    this.count--
  }

  /** Re-files a piece whose priority or availability changed (no-op if it is not in a bucket). */
  update(piece: number, priority: number, availability: number): void {
    if (this.keys[piece] === -1) return
    if (this.keys[piece] === PieceBuckets.key(priority, availability)) return
    this.remove(piece)
    this.insert(piece, priority, availability)
  }

  /**
   * Visits pieces best first. `visit` returns true to take the piece (it is removed from its bucket),
   * and the scan stops once `done()` says so.
   */
  scan(visit: (piece: number) => boolean, done: () => boolean): void {
    for (let k = 0; k < this.buckets.length; k++) {
      const b = this.buckets[k]!
      for (let i = 0; i < b.length; ) {
        const p = b[i]!
        if (visit(p)) {
          this.remove(p) // the last element moved into slot i: look at i again
          if (done()) return
        } else i++
      }
    }
  }
}
