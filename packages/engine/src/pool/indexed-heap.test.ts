import { describe, expect, it } from 'vitest'
import { IndexedHeap } from './indexed-heap.ts'

interface Item {
  key: number
  id: number
  idx: number
}

function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0
    return a / 4294967296
  }
}

const before = (a: Item, b: Item) => a.key < b.key || (a.key === b.key && a.id < b.id)
const order = (xs: Item[]) => [...xs].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0)).map((x) => x.id)

describe('IndexedHeap', () => {
  it('matches a sorted reference under random push, pop, remove and key updates', () => {
    const rand = rng(42)
    const heap = new IndexedHeap<Item>(
      before,
      (x) => x.idx,
      (x, i) => (x.idx = i),
    )
    const live = new Set<Item>()
    let nextId = 0
    for (let step = 0; step < 5000; step++) {
      const r = rand()
      if (r < 0.4 || live.size === 0) {
        const x = { key: Math.floor(rand() * 100), id: nextId++, idx: -1 }
        heap.push(x)
        live.add(x)
      } else if (r < 0.6) {
        const expected = order([...live])[0]
        const got = heap.pop()!
        expect(got.id).toBe(expected)
        expect(got.idx).toBe(-1)
        live.delete(got)
      } else if (r < 0.8) {
        const x = [...live][Math.floor(rand() * live.size)]
        expect(heap.remove(x)).toBe(true)
        expect(heap.remove(x)).toBe(false)
        live.delete(x)
      } else {
        const x = [...live][Math.floor(rand() * live.size)]
        x.key = Math.floor(rand() * 100)
        heap.update(x)
      }
      expect(heap.size).toBe(live.size)
      if (step % 250 === 0) {
        const walked: number[] = []
        heap.walk((x) => {
          walked.push(x.id)
          return true
        })
        expect(walked).toEqual(order([...live]))
        const firstFive: number[] = []
        heap.walk((x) => {
          firstFive.push(x.id)
          return firstFive.length < 5
        })
        expect(firstFive).toEqual(order([...live]).slice(0, 5))
      }
    }
  })

  it('push of a member re-positions it instead of adding it twice', () => {
    const heap = new IndexedHeap<Item>(
      before,
      (x) => x.idx,
      (x, i) => (x.idx = i),
    )
    const a = { key: 5, id: 1, idx: -1 }
    const b = { key: 3, id: 2, idx: -1 }
    heap.push(a)
    heap.push(b)
    a.key = 1
    heap.push(a)
    expect(heap.size).toBe(2)
    expect(heap.peek()).toBe(a)
    heap.clear()
    expect(heap.size).toBe(0)
    expect(a.idx).toBe(-1)
    expect(heap.has(b)).toBe(false)
  })
})
