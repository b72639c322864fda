import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { HashPool, hashThreadsFromEnv } from './hash-pool.ts'

const pools: HashPool[] = []
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close()
})

function piece(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, k) => (k * 31 + seed) & 255)
}

describe('HashPool', () => {
  it('hashes in worker threads: the buffer goes there (detached here) and comes back intact', async () => {
    const pool = new HashPool(2)
    pools.push(pool)
    const data = piece(256 * 1024, 7)
    const want = createHash('sha1').update(data).digest()
    const copy = data.slice()
    const pending = pool.sha1(data)
    expect(data.byteLength).toBe(0) // transferred, not copied
    const { digest, data: back } = await pending
    expect(Buffer.from(digest)).toEqual(want)
    expect(back).toEqual(copy)
  })

  it('answers in the order asked, whichever worker finishes first', async () => {
    const pool = new HashPool(2)
    pools.push(pool)
    // a large piece first, small ones after: the small ones finish first on the other worker
    const sizes = [8 * 1024 * 1024, 16 * 1024, 16 * 1024, 4 * 1024 * 1024, 16 * 1024]
    const order: number[] = []
    const jobs = sizes.map((n, i) => {
      const d = piece(n, i)
      const want = createHash('sha1').update(d).digest()
      return pool.sha1(d).then(({ digest }) => {
        order.push(i)
        expect(Buffer.from(digest)).toEqual(want)
      })
    })
    await Promise.all(jobs)
    expect(order).toEqual([0, 1, 2, 3, 4])
  })

  it('threads=0 hashes on this thread and leaves the buffer where it is', async () => {
    const pool = new HashPool(0)
    const data = piece(1000, 3)
    const { digest, data: back } = await pool.sha1(data)
    expect(back).toBe(data)
    expect(Buffer.from(digest)).toEqual(createHash('sha1').update(data).digest())
  })

  it('fails jobs once closed', async () => {
    const pool = new HashPool(1)
    await pool.sha1(piece(100, 1))
    await pool.close()
    await expect(pool.sha1(piece(100, 2))).rejects.toThrow(/closed/)
  })

  it('takes its thread count from TIDEPOOL_DAEMON_HASH_THREADS', () => {
    expect(hashThreadsFromEnv({ TIDEPOOL_DAEMON_HASH_THREADS: '0' })).toBe(0)
    expect(hashThreadsFromEnv({ TIDEPOOL_DAEMON_HASH_THREADS: '2' })).toBe(2)
    const auto = hashThreadsFromEnv({})
    expect(auto >= 1 && auto <= 2).toBe(true)
  })
})
