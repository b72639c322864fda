import { describe, expect, it } from 'vitest'
import { Bitfield } from './bitfield.ts'
import { RateMeter } from './rate-meter.ts'
import { RequestQueue } from './request-queue.ts'
import { UploadQueue } from './upload-queue.ts'

describe('Bitfield', () => {
  it('sets, clears and counts; full() leaves spare bits clear', () => {
    const b = new Bitfield(10)
    expect(b.bytes.length).toBe(2)
    expect(b.set(0)).toBe(true)
    expect(b.set(0)).toBe(false)
    expect(b.set(9)).toBe(true)
    expect(b.count()).toBe(2)
    expect([...b.bytes]).toEqual([0x80, 0x40])
    expect(b.clear(0)).toBe(true)
    expect(b.has(0)).toBe(false)
    expect(b.has(99)).toBe(false)
    expect(() => b.set(10)).toThrow(RangeError)
    const f = Bitfield.full(10)
    expect([...f.bytes]).toEqual([0xff, 0xc0])
    expect(f.isFull()).toBe(true)
    expect(new Bitfield(0).isFull()).toBe(true)
  })

  it('fromBytes validates length and spare bits and counts with popcount', () => {
    expect(Bitfield.fromBytes(10, new Uint8Array([0xff]))).toBeNull()
    expect(Bitfield.fromBytes(10, new Uint8Array([0xff, 0xe0]))).toBeNull()
    const b = Bitfield.fromBytes(10, new Uint8Array([0xf0, 0x40]))!
    expect(b.count()).toBe(5)
    expect(b.has(9)).toBe(true)
    expect(Bitfield.fromBytes(16, new Uint8Array([0xff, 0xff]))!.isFull()).toBe(true)
  })
})

describe('RateMeter', () => {
  it('averages over the window with 1 s buckets and forgets old seconds', () => {
    let t = 10_000
    const m = new RateMeter(() => t, 5)
    m.add(1000)
    t += 500
    expect(m.rate()).toBe(2000) // young: 1000 bytes over 0.5 s
    for (let s = 0; s < 5; s++) {
      t += 1000
      m.add(1000)
    }
    expect(m.total).toBe(6000)
    expect(m.rate()).toBeCloseTo(5000 / 4.5, 0) // last 5 buckets over 4.5 s
    t += 10_000
    expect(m.rate()).toBe(0)
    expect(m.rate(2)).toBe(0)
  })
})

describe('RequestQueue', () => {
  it('tracks outstanding requests, times them out oldest first, remembers given-up ones', () => {
    const q = new RequestQueue(2)
    expect(q.add(0, 0, 16384, 100)).toBe(true)
    expect(q.add(0, 0, 16384, 100)).toBe(false)
    q.add(0, 16384, 16384, 200)
    q.add(1, 0, 16384, 300)
    expect(q.size).toBe(3)
    expect(q.giveUpOlderThan(200).map((r) => r.begin)).toEqual([0, 16384])
    expect(q.size).toBe(1)
    expect(q.consumeLate(0, 0)).toBe(true)
    expect(q.consumeLate(0, 0)).toBe(false)
    expect(q.take(1, 0)?.sentAt).toBe(300)
    expect(q.take(1, 0)).toBeUndefined()
    // memory is bounded: the oldest given-up key is forgotten first
    q.add(5, 0, 1, 0)
    q.add(6, 0, 1, 0)
    q.add(7, 0, 1, 0)
    expect(q.giveUpAll().length).toBe(3)
    expect(q.consumeLate(5, 0)).toBe(false)
    expect(q.consumeLate(7, 0)).toBe(true)
  })
})

describe('UploadQueue', () => {
  it('bounds queued requests and reads in flight, and skips removed ones', () => {
    const u = new UploadQueue(3, 2)
    expect(u.add({ index: 0, begin: 0, length: 1 })).toBe('ok')
    expect(u.add({ index: 0, begin: 0, length: 1 })).toBe('duplicate')
    u.add({ index: 0, begin: 1, length: 1 })
    u.add({ index: 0, begin: 2, length: 1 })
    expect(u.add({ index: 0, begin: 3, length: 1 })).toBe('full')
    expect(u.nextToRead()?.begin).toBe(0)
    u.remove(0, 1) // cancelled before being read
    expect(u.nextToRead()?.begin).toBe(2)
    expect(u.nextToRead()).toBeUndefined() // two reads in flight
    expect(u.inFlight).toBe(2)
    u.remove(0, 0)
    expect(u.inFlight).toBe(1)
    expect(u.nextToRead()).toBeUndefined() // nothing left waiting
    expect(u.removeWhere(() => true).length).toBe(1)
    expect(u.size).toBe(0)
    expect(u.inFlight).toBe(0)
  })
})
