import { describe, expect, it } from 'vitest'
import { PieceReadCache } from './piece-read-cache.ts'

describe('PieceReadCache', () => {
  it('shares reads, evicts least recently used beyond the cap, forgets failures', async () => {
    const reads: number[] = []
    let failNext = false
    const cache = new PieceReadCache(async (p) => {
      reads.push(p)
      if (failNext) {
        failNext = false
        throw new Error('io')
      }
      return new Uint8Array(100).fill(p)
    }, 250)
    const [a, b] = await Promise.all([cache.get(1), cache.get(1)])
    expect(a).toBe(b)
    expect(reads).toEqual([1])
    await cache.get(2)
    await cache.get(1) // 1 is now most recent
    await cache.get(3) // over 250 bytes: evicts 2
    expect(cache.cachedBytes).toBe(200)
    await cache.get(1)
    expect(reads).toEqual([1, 2, 3])
    await cache.get(2)
    expect(reads).toEqual([1, 2, 3, 2])
    failNext = true
    await expect(cache.get(9)).rejects.toThrow('io')
    await Promise.resolve()
    expect((await cache.get(9))[0]).toBe(9)
  })
})
