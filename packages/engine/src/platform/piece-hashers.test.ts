import { describe, expect, it } from 'vitest'
import { sha1 } from '../util/sha1.ts'
import { createWorkerHasher, HashJobLost, type HashJob, type HashResult } from './piece-hashers.ts'

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('')

/** Workers as plain objects: each answers asynchronously, like a real one, and can be killed. */
function fakeWorkers() {
  const posted: number[] = []
  const kills: Array<(e: Error) => void> = []
  const spawn = (index: number, onResult: (r: HashResult) => void, onFailure: (e: Error) => void) => {
    kills.push(onFailure)
    return {
      post(job: HashJob, transfer: ArrayBuffer[]) {
        expect(transfer).toEqual([job.buffer])
        posted.push(index)
        const copy = job.buffer.slice(0) // what the other side receives
        setTimeout(
          () => void sha1(new Uint8Array(copy)).then((digest) => onResult({ id: job.id, buffer: copy, digest })),
          0,
        )
      },
      terminate() {},
    }
  }
  return { spawn, posted, kill: (i: number) => kills[i]!(new Error('worker died')) }
}

describe('createWorkerHasher', () => {
  it('spreads jobs over its workers and returns each digest with its data', async () => {
    const f = fakeWorkers()
    const h = createWorkerHasher(f.spawn, 2)
    const pieces = Array.from({ length: 5 }, (_, i) => new Uint8Array(1000 + i).map((_, j) => (j * 7 + i) & 255))
    const want = await Promise.all(pieces.map(async (p) => ({ digest: hex(await sha1(p)), bytes: [...p] })))
    const got = await Promise.all(pieces.map((p) => h.sha1(p)))
    expect(f.posted).toEqual([0, 1, 0, 1, 0])
    got.forEach((r, i) => {
      expect(hex(r.digest)).toBe(want[i]!.digest)
      expect([...r.data]).toEqual(want[i]!.bytes)
    })
  })

  it('sends a copy of a view it cannot transfer', async () => {
    const f = fakeWorkers()
    const h = createWorkerHasher(f.spawn, 1)
    const whole = new Uint8Array(100).map((_, i) => i)
    const r = await h.sha1(whole.subarray(10, 20))
    expect(hex(r.digest)).toBe(hex(await sha1(whole.subarray(10, 20))))
    expect(whole.length).toBe(100)
  })

  it('a dead worker loses the jobs in flight (HashJobLost) and, without a fallback, fails every later one; close rejects too', async () => {
    const f = fakeWorkers()
    const h = createWorkerHasher(f.spawn, 1)
    const pending = h.sha1(new Uint8Array(10))
    f.kill(0)
    await expect(pending).rejects.toBeInstanceOf(HashJobLost)
    await expect(pending).rejects.toThrow('worker died')
    await expect(h.sha1(new Uint8Array(10))).rejects.toThrow('worker died')
    const h2 = createWorkerHasher(fakeWorkers().spawn, 1)
    await h2.close()
    await expect(h2.sha1(new Uint8Array(1))).rejects.toThrow(/closed/)
  })

  it('with a fallback, jobs after a worker died are hashed by the fallback', async () => {
    const f = fakeWorkers()
    let fallbackJobs = 0
    const fallback = {
      async sha1(data: Uint8Array) {
        fallbackJobs++
        return { digest: await sha1(data), data }
      },
    }
    const h = createWorkerHasher(f.spawn, 2, { fallback })
    const lost = h.sha1(new Uint8Array(10).fill(1))
    f.kill(1)
    await expect(lost).rejects.toBeInstanceOf(HashJobLost)
    const piece = new Uint8Array(1000).map((_, i) => i & 255)
    const r = await h.sha1(piece)
    expect(hex(r.digest)).toBe(hex(await sha1(piece)))
    expect(fallbackJobs).toBe(1)
    await h.close()
    await expect(h.sha1(new Uint8Array(1))).rejects.toThrow(/closed/) // closed is closed, fallback or not
    expect(fallbackJobs).toBe(1)
  })
})
