import { describe, expect, it } from 'vitest'
import { sha1 } from '../util/sha1.ts'
import { DATA_PLANE_BLOCK, PieceBufferPool, PieceStore, StoreBudget } from './piece-store.ts'

const B = DATA_PLANE_BLOCK

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, k) => (k * 13 + seed) & 255)
}

/** A store over a torrent of `length` bytes whose writes land in a map (piece -> bytes). */
function makeStore(length: number, pieceLength: number, budget = new StoreBudget(), failWrite?: Error) {
  const written = new Map<number, Uint8Array>()
  const store = new PieceStore({ length, pieceLength }, budget, {
    sha1: async (d) => ({ digest: await sha1(d), data: d }),
    write: async (piece, d) => {
      if (failWrite) throw failWrite
      written.set(piece, d.slice())
    },
  })
  return { store, written, budget }
}

describe('PieceStore', () => {
  it('verifies a complete piece, writes it, then forgets it', async () => {
    const { store, written, budget } = makeStore(3 * B + 100, 2 * B)
    const data = bytes(2 * B, 1)
    expect(store.open(0)).toBe(true)
    expect(budget.used).toBe(2 * B)
    expect(store.keep(0, B, data.subarray(B))).toBe(true)
    expect(await store.verify(0, await sha1(data))).toBe('incomplete')
    expect(store.isOpen(0)).toBe(true)
    expect(store.keep(0, 0, data.subarray(0, B))).toBe(true)
    expect(await store.verify(0, await sha1(data))).toBe('verified')
    expect(written.get(0)).toEqual(data)
    expect(store.isOpen(0)).toBe(false)
    expect(budget.used).toBe(0)
  })

  it('the last piece takes its short tail block', async () => {
    const { store, written } = makeStore(3 * B + 100, 2 * B)
    const data = bytes(B + 100, 2)
    expect(store.pieceSize(1)).toBe(B + 100)
    store.open(1)
    expect(store.keep(1, B, data.subarray(B, B + 99))).toBe(false) // not the whole tail
    expect(store.keep(1, B, data.subarray(B))).toBe(true)
    expect(store.keep(1, 0, data.subarray(0, B))).toBe(true)
    expect(await store.verify(1, await sha1(data))).toBe('verified')
    expect(written.get(1)).toEqual(data)
  })

  it('a wrong hash writes nothing and drops the piece', async () => {
    const { store, written, budget } = makeStore(2 * B, 2 * B)
    const data = bytes(2 * B, 3)
    store.open(0)
    store.keep(0, 0, data.subarray(0, B))
    store.keep(0, B, data.subarray(B))
    expect(await store.verify(0, new Uint8Array(20))).toBe('hash-failed')
    expect(written.size).toBe(0)
    expect(store.isOpen(0)).toBe(false)
    expect(budget.used).toBe(0)
  })

  it('a write error rejects, and the piece is gone', async () => {
    const { store, budget } = makeStore(B, B, new StoreBudget(), new Error('no space'))
    const data = bytes(B, 4)
    store.open(0)
    store.keep(0, 0, data)
    await expect(store.verify(0, await sha1(data))).rejects.toThrow('no space')
    expect(store.isOpen(0)).toBe(false)
    expect(budget.used).toBe(0)
  })

  it('keeps only blocks of open pieces that fit the block grid', () => {
    const { store } = makeStore(4 * B, 2 * B)
    expect(store.keep(0, 0, bytes(B, 0))).toBe(false) // closed piece
    store.open(0)
    expect(store.keep(0, 1, bytes(B, 0))).toBe(false) // off the grid
    expect(store.keep(0, B, bytes(2 * B, 0))).toBe(false) // past the piece
    expect(store.keep(0, 0, bytes(100, 0))).toBe(false) // short block that is not the tail
    expect(store.keep(0, 0, new Uint8Array(0))).toBe(false)
    expect(store.keep(0, 0, bytes(2 * B, 0))).toBe(true) // two blocks at once
    expect(store.open(9)).toBe(false) // no such piece
  })

  it('duplicate blocks overwrite; a block kept is a copy', async () => {
    const { store, written } = makeStore(B, B)
    const good = bytes(B, 5)
    store.open(0)
    const view = bytes(B, 6)
    store.keep(0, 0, view)
    view.fill(0) // the caller reuses its buffer
    store.keep(0, 0, good)
    expect(await store.verify(0, await sha1(good))).toBe('verified')
    expect(written.get(0)).toEqual(good)
  })

  it('shares one cap across torrents: open refuses past it, put may go to the hard cap', () => {
    const budget = new StoreBudget(4 * B)
    const a = makeStore(8 * B, 2 * B, budget).store
    const b = makeStore(8 * B, 2 * B, budget).store
    expect(a.open(0)).toBe(true)
    expect(a.open(0)).toBe(true) // already open: no second reservation
    expect(b.open(0)).toBe(true)
    expect(budget.used).toBe(4 * B)
    expect(b.open(1)).toBe(false)
    expect(b.put(1, 0, bytes(B, 1))).toBe('kept') // past the soft cap
    expect(b.put(2, 0, bytes(B, 1))).toBe('kept') // at the hard cap (2x)
    expect(budget.used).toBe(8 * B)
    expect(b.put(3, 0, bytes(B, 1))).toBe('busy')
    expect(b.put(3, 1, bytes(B, 1))).toBe('invalid')
    a.drop(0)
    expect(budget.used).toBe(6 * B)
    b.close()
    expect(budget.used).toBe(0)
    expect(b.open(0)).toBe(false) // closed
    expect(a.open(1)).toBe(true)
  })

  it('put into an open piece completes it with the stored blocks', async () => {
    const { store } = makeStore(2 * B, 2 * B)
    const data = bytes(2 * B, 7)
    store.open(0)
    store.keep(0, 0, data.subarray(0, B))
    expect(store.put(0, B, data.subarray(B))).toBe('kept')
    expect(await store.verify(0, await sha1(data))).toBe('verified')
  })
})

describe('PieceBufferPool', () => {
  it('reuses a written piece buffer for the next piece; its old bytes never reach a later piece', async () => {
    const pool = new PieceBufferPool(4 * B)
    const { store, written } = makeStore(4 * B, 2 * B, new StoreBudget(undefined, pool))
    const first = bytes(2 * B, 5)
    const second = bytes(2 * B, 6)
    let buffer: Uint8Array | null = null
    store.open(0)
    store.keep(0, 0, first.subarray(0, B))
    store.keep(0, B, first.subarray(B))
    expect(await store.verify(0, await sha1(first))).toBe('verified')
    expect(pool.bytes).toBe(2 * B) // handed back once written
    store.open(1)
    store.keep(1, B, second.subarray(B)) // takes the pooled (dirty) buffer
    expect(pool.bytes).toBe(0)
    expect(await store.verify(1, await sha1(second))).toBe('incomplete') // half of it is piece 0's bytes
    store.keep(1, 0, second.subarray(0, B))
    expect(await store.verify(1, await sha1(second))).toBe('verified')
    expect(written.get(0)).toEqual(first)
    expect(written.get(1)).toEqual(second)
    buffer = pool.take(2 * B)
    expect(buffer.length).toBe(2 * B)
  })

  it('takes back buffers after a wrong hash and a drop; keeps at most maxBytes; ignores views and other sizes', async () => {
    const pool = new PieceBufferPool(2 * B)
    const { store } = makeStore(4 * B, 2 * B, new StoreBudget(undefined, pool))
    store.open(0)
    store.keep(0, 0, bytes(B, 1))
    store.keep(0, B, bytes(B, 2))
    expect(await store.verify(0, new Uint8Array(20))).toBe('hash-failed')
    expect(pool.bytes).toBe(2 * B)
    store.open(1)
    store.keep(1, 0, bytes(B, 3)) // from the pool
    const extra = new Uint8Array(2 * B)
    pool.give(extra) // pool has room again
    expect(pool.bytes).toBe(2 * B)
    store.drop(1) // over maxBytes: left to the GC
    expect(pool.bytes).toBe(2 * B)
    pool.give(new Uint8Array(4 * B).subarray(0, 2 * B)) // a view: never pooled
    pool.give(new Uint8Array(0))
    expect(pool.bytes).toBe(2 * B)
    expect(pool.take(2 * B)).toBe(extra)
    expect(pool.take(B).length).toBe(B) // no buffer of that size: a new one
  })
})
