/**
 * An array-backed binary min-heap ordered by `before(a, b)` (true = a comes first) that tracks
 * each element's position, so an element can be removed or re-positioned in O(log n) when its
 * key changes. Positions are stored on the elements through `getIndex`/`setIndex` (-1 = absent).
 */
export class IndexedHeap<T> {
  private items: T[] = []
  constructor(
    private readonly before: (a: T, b: T) => boolean,
    private readonly getIndex: (x: T) => number,
    private readonly setIndex: (x: T, i: number) => void,
  ) {}

  get size(): number {
    return this.items.length
  }

  has(x: T): boolean {
    const i = this.getIndex(x)
    return i >= 0 && this.items[i] === x
  }

  push(x: T): void {
    if (this.has(x)) {
      this.update(x)
      return
    }
    this.items.push(x)
    this.setIndex(x, this.items.length - 1)
    this.siftUp(this.items.length - 1)
  }

  peek(): T | undefined {
    return this.items[0]
  }

  pop(): T | undefined {
    const top = this.items[0]
    if (top !== undefined) this.removeAt(0)
    return top
  }

  remove(x: T): boolean {
    if (!this.has(x)) return false
    this.removeAt(this.getIndex(x))
    return true
  }

  /** Restores order after x's key changed. */
  update(x: T): void {
    if (!this.has(x)) return
    const i = this.getIndex(x)
    this.siftUp(i)
    this.siftDown(this.getIndex(x))
  }

  /**
   * Visits elements best first without changing the heap, until `visit` returns false.
   * Costs O(k log k) for k visited elements.
   */
  walk(visit: (x: T) => boolean): void {
    const a = this.items
    if (a.length === 0) return
    const frontier: number[] = [0]
    // A tiny heap of array positions, ordered by the elements they point at.
    const less = (i: number, j: number) => this.before(a[frontier[i]], a[frontier[j]])
    while (frontier.length > 0) {
      const i = frontier[0]
      const last = frontier.pop() as number
      if (frontier.length > 0) {
        frontier[0] = last
        siftDownPlain(frontier, 0, less)
      }
      if (!visit(a[i])) return
      for (const c of [2 * i + 1, 2 * i + 2]) {
        if (c >= a.length) continue
        frontier.push(c)
        siftUpPlain(frontier, frontier.length - 1, less)
      }
    }
  }

  /** The elements in no particular order (a copy). */
  toArray(): T[] {
    return this.items.slice()
  }

  /** Removes every element (their positions are reset to -1). */
  clear(): void {
    for (const x of this.items) this.setIndex(x, -1)
    this.items = []
  }

  private removeAt(i: number): void {
    const a = this.items
    const x = a[i]
    const last = a.pop() as T
    this.setIndex(x, -1)
    if (i < a.length) {
      a[i] = last
      this.setIndex(last, i)
      this.siftUp(i)
      this.siftDown(this.getIndex(last))
    }
  }

  private siftUp(i: number): void {
    const a = this.items
    const x = a[i]
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.before(x, a[p])) break
      a[i] = a[p]
      this.setIndex(a[i], i)
      i = p
    }
    a[i] = x
    this.setIndex(x, i)
  }

  private siftDown(i: number): void {
    const a = this.items
    const n = a.length
    const x = a[i]
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const m = r < n && this.before(a[r], a[l]) ? r : l
      if (!this.before(a[m], x)) break
      a[i] = a[m]
      this.setIndex(a[i], i)
      i = m
    }
    a[i] = x
    this.setIndex(x, i)
  }
}

function siftUpPlain(a: number[], i: number, less: (i: number, j: number) => boolean): void {
  while (i > 0) {
    const p = (i - 1) >> 1
    if (!less(i, p)) return
    ;[a[i], a[p]] = [a[p], a[i]]
    i = p
  }
}

function siftDownPlain(a: number[], i: number, less: (i: number, j: number) => boolean): void {
  for (;;) {
    const l = 2 * i + 1
    const r = l + 1
    let m = i
    if (l < a.length && less(l, m)) m = l
    if (r < a.length && less(r, m)) m = r
    if (m === i) return
    ;[a[i], a[m]] = [a[m], a[i]]
    i = m
  }
}
