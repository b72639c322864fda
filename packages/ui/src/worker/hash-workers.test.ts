import { describe, expect, it } from 'vitest'
import { sha1 } from '@tidepool/engine'
import { startHashWorkers } from './hash-workers.ts'

describe('startHashWorkers', () => {
  it('hashes in place where no Worker can be started (here: no Worker global)', async () => {
    expect(typeof Worker).toBe('undefined')
    const h = startHashWorkers()
    expect(h.mode).toBe('in-place')
    const data = new Uint8Array(5000).map((_, i) => i & 255)
    const r = await h.sha1(data)
    expect(r.digest).toEqual(await sha1(data))
    expect(r.data).toBe(data) // nothing moved
    await h.close()
  })
})
