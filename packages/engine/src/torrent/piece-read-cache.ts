/**
 * Whole pieces read for uploading, kept in a small LRU: peers request a piece's blocks one after
 * another, so one disk (daemon) round trip per piece instead of per 16 KiB block. Concurrent
 * requests for the same piece share one read. Keyed by piece index in the engine; the daemon's data
 * plane keys one cache for all of a client's torrents by torrent and piece.
 */
export class PieceReadCache<K = number> {
  private readonly entries = new Map<K, Promise<Uint8Array>>()
  private readonly sizes = new Map<K, number>()
  private bytes = 0

  constructor(
    private readonly read: (piece: K) => Promise<Uint8Array>,
    private readonly maxBytes: number,
  ) {}

  get(piece: K): Promise<Uint8Array> {
    const hit = this.entries.get(piece)
    if (hit) {
      // refresh LRU position
      this.entries.delete(piece)
      this.entries.set(piece, hit)
      return hit
    }
    const p = this.read(piece)
    this.entries.set(piece, p)
    p.then(
      (data) => {
        if (this.entries.get(piece) !== p) return
        this.sizes.set(piece, data.length)
        this.bytes += data.length
        this.evict(piece)
      },
      () => this.drop(piece),
    )
    return p
  }

  /** Drops every entry `which` selects (a torrent whose files moved). */
  dropWhere(which: (piece: K) => boolean): void {
    for (const piece of [...this.entries.keys()]) if (which(piece)) this.drop(piece)
  }

  drop(piece: K): void {
    this.entries.delete(piece)
    const n = this.sizes.get(piece)
    if (n !== undefined) {
      this.bytes -= n
      this.sizes.delete(piece)
    }
  }

  private evict(keep: K): void {
    for (const piece of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) return
      if (piece === keep) continue
      if (this.sizes.has(piece)) this.drop(piece)
    }
  }

  get cachedBytes(): number {
    return this.bytes
  }
}
