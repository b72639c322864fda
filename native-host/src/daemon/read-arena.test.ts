import { describe, expect, it } from 'vitest'
import { HEADER_BYTES } from '@tidepool/daemon-bridge'
import { ReadArena } from './read-arena.ts'

/** Plays Node's onread loop: `next` for a region, fill `n` bytes, then the callback. */
function read(arena: ReadArena, fill: number, n: number): Buffer {
  const region = arena.next()
  region.fill(fill, 0, n)
  let got: Buffer | null = null
  arena.attach(1, (frame) => {
    got = frame
  })
  arena.activate()
  arena.onRead(n, region)
  return got!
}

describe('ReadArena', () => {
  it('gives each read a new region unless the last one was recycled', () => {
    const arena = new ReadArena(64 * 1024)
    const a = read(arena, 1, 1000)
    const b = read(arena, 2, 1000)
    expect(b.byteOffset).toBe(a.byteOffset + a.length) // after a: a's bytes stay intact
    expect(a[HEADER_BYTES]).toBe(1)
    arena.recycle(b)
    const c = read(arena, 3, 500)
    expect(c.byteOffset).toBe(b.byteOffset) // b's region again
    expect(a[HEADER_BYTES]).toBe(1)
  })

  it('recycles only the latest read (an older frame may still be referenced past it)', () => {
    const arena = new ReadArena(64 * 1024)
    const a = read(arena, 1, 1000)
    const b = read(arena, 2, 1000)
    arena.recycle(a) // not the latest: ignored
    const c = read(arena, 3, 1000)
    expect(c.byteOffset).toBe(b.byteOffset + b.length)
    expect(b[HEADER_BYTES]).toBe(2)
  })
})
