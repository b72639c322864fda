import { describe, expect, it } from 'vitest'
import { ConnectGate } from './connect-gate.ts'

describe('ConnectGate', () => {
  it('grants maxInFlight at once, queues up to maxPending, refuses beyond with busy', async () => {
    const g = new ConnectGate(2, 3)
    const a = await g.acquire().granted
    await g.acquire().granted
    const third = g.acquire()
    let got = false
    void third.granted.then(() => (got = true))
    await expect(g.acquire().granted).rejects.toMatchObject({ code: 'busy' })
    expect(g.busyCount).toBe(1)
    await Promise.resolve()
    expect(got).toBe(false)
    a()
    a() // double release is a no-op
    await third.granted
    expect(got).toBe(true)
    expect([g.inFlight, g.waiting]).toEqual([2, 0])
  })

  it('a cancelled waiter frees its pending place and is skipped', async () => {
    const g = new ConnectGate(1, 2)
    const rel = await g.acquire().granted
    const t = g.acquire()
    t.cancel()
    expect(g.waiting).toBe(0)
    const u = g.acquire()
    rel()
    const relU = await u.granted
    expect(g.inFlight).toBe(1)
    relU()
    expect(g.inFlight).toBe(0)
  })
})
