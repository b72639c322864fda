import { describe, expect, it } from 'vitest'
import { PieceDeadlines } from '../picker/piece-deadlines.ts'
import { StreamWindow, type StreamTarget } from './stream-window.ts'

const PIECE = 256 * 1024

function target(pieceCount: number) {
  let now = 0
  const have = new Set<number>()
  const t: StreamTarget & { tick(ms: number): void; have: Set<number> } = {
    deadlines: new PieceDeadlines(),
    pieceLength: PIECE,
    pieceCount,
    has: (p) => have.has(p),
    now: () => now,
    tick: (ms) => {
      now += ms
    },
    have,
  }
  return t
}

describe('StreamWindow', () => {
  it('makes the asked pieces due now and a read-ahead window due later, and resolves when they are verified', async () => {
    const t = target(400)
    const w = new StreamWindow('s1', { offset: 0, length: 400 * PIECE }, t)
    let done = false
    const p = w.want(PIECE + 10, PIECE).then(() => {
      done = true
    })
    const order = t.deadlines.ordered()
    expect(order.slice(0, 2)).toEqual([1, 2])
    // read-ahead: default bitrate 512 KiB/s × 20 s = 10 MiB = 40 pieces after the asked bytes
    expect(order.length).toBe(2 + 40)
    expect(t.deadlines.get(30)!.due).toBeGreaterThan(t.deadlines.get(2)!.due)
    w.onVerified(1)
    await Promise.resolve()
    expect(done).toBe(false)
    w.onVerified(2)
    await p
    expect(done).toBe(true)
  })

  it('a seek moves the window: old deadlines are dropped, new ones set around the new position', () => {
    const t = target(400)
    const w = new StreamWindow('s1', { offset: 0, length: 400 * PIECE }, t)
    void w.want(0, PIECE, 1)
    void w.want(PIECE, PIECE, 2)
    expect(t.deadlines.get(5)).toBeDefined()
    // the player closes its request and asks from 80%
    w.readerGone(2)
    void w.want(320 * PIECE, PIECE, 3)
    expect(t.deadlines.get(5)).toBeUndefined()
    expect(t.deadlines.ordered()[0]).toBe(320)
    expect(t.deadlines.get(330)).toBeDefined()
  })

  it('a reader gone quiet gives way to a new one; two live readers (start and index) keep both windows', () => {
    const t = target(400)
    const w = new StreamWindow('s1', { offset: 0, length: 400 * PIECE }, t)
    void w.want(0, PIECE, 1)
    void w.want(399 * PIECE, PIECE, 2) // the container's index at the end, read at the same time
    expect(t.deadlines.get(0)).toBeDefined()
    expect(t.deadlines.get(399)).toBeDefined()
    expect(t.deadlines.get(5)).toBeDefined()
    t.tick(1500)
    void w.want(PIECE, PIECE, 3) // the first reader goes on
    void w.want(200 * PIECE, PIECE, 4) // a seek: the index reader (idle 1.5 s) gives way
    expect(t.deadlines.get(399)).toBeUndefined()
    expect(t.deadlines.get(5)).toBeDefined()
    expect(t.deadlines.get(200)).toBeDefined()
    // a third reader replaces the one idle longest
    t.tick(10)
    void w.want(300 * PIECE, PIECE, 5)
    expect(t.deadlines.get(5)).toBeUndefined()
    expect(t.deadlines.get(200)).toBeDefined()
  })

  it('sizes the read-ahead by the bitrate the reader shows', () => {
    const t = target(4000)
    const w = new StreamWindow('s1', { offset: 0, length: 4000 * PIECE }, t)
    // the reader takes 2 MiB/s for 4 s
    for (let i = 0; i < 16; i++) {
      void w.want(i * 512 * 1024, 512 * 1024)
      t.tick(250)
    }
    expect(w.observedBitrate).toBeGreaterThan(1.8 * 1024 * 1024)
    expect(w.observedBitrate).toBeLessThan(2.3 * 1024 * 1024)
    expect(w.readAheadBytes()).toBeGreaterThan(36 * 1024 * 1024)
  })

  it('a file inside a multi-file torrent maps to its own pieces; pieces we have need no wait', async () => {
    const t = target(100)
    t.have.add(50)
    const w = new StreamWindow('s1', { offset: 50 * PIECE + 100, length: 10 * PIECE }, t)
    await w.want(0, PIECE - 200) // piece 50 only
    expect(t.deadlines.get(50)).toBeUndefined()
  })

  it('closing rejects waiting readers and drops the deadlines', async () => {
    const t = target(10)
    const w = new StreamWindow('s1', { offset: 0, length: 10 * PIECE }, t)
    const p = w.want(0, PIECE)
    w.close()
    await expect(p).rejects.toThrow('stream closed')
    expect(t.deadlines.size).toBe(0)
  })
})
