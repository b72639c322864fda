import { describe, expect, it } from 'vitest'
import { DEFAULT_CONDUCT_POLICY, describeConductDrop, PeerConduct } from './peer-conduct.ts'

const P = DEFAULT_CONDUCT_POLICY

describe('PeerConduct', () => {
  it('any reject pauses requests for a moment, so a rejected block is never asked for again at once', () => {
    const c = new PeerConduct()
    expect(c.mayRequest(0)).toBe(true)
    expect(c.onReject(1000, true)).toBe('none')
    expect(c.mayRequest(1000)).toBe(false)
    expect(c.mayRequest(1000 + P.rejectPauseMs - 1)).toBe(false)
    expect(c.mayRequest(1000 + P.rejectPauseMs)).toBe(true)
    // a reject that follows a choke pauses too, but is not charged
    expect(c.onReject(5000, false)).toBe('none')
    expect(c.mayRequest(5000)).toBe(false)
    expect(c.rejects).toBe(1)
  })

  it('rejects within the allowance of what the peer delivered only pause', () => {
    const c = new PeerConduct()
    for (let i = 0; i < 10; i++) c.onBlock()
    for (let i = 0; i < 10 + P.rejectAllowance; i++) expect(c.onReject(i * 2000, true)).toBe('none')
    expect(c.holdOffs).toBe(0)
    expect(c.onReject(100_000, true)).toBe('hold-off')
  })

  it('rejects following a choke never count, however many', () => {
    const c = new PeerConduct()
    for (let i = 0; i < 1000; i++) expect(c.onReject(i * 2000, false)).toBe('none')
    expect(c.rejects).toBe(0)
    expect(c.mayRequest(2_000_000)).toBe(true)
  })

  it('a peer that only rejects is held off 10 s, then 20 s, then dropped', () => {
    const c = new PeerConduct()
    let now = 0
    for (let i = 0; i < P.rejectAllowance; i++) expect(c.onReject(now, true)).toBe('none')
    expect(c.onReject(now, true)).toBe('hold-off')
    expect(c.mayRequest(now + 9_999)).toBe(false)
    // more answers to requests sent before the hold-off: no further strike
    expect(c.onReject(now + 50, true)).toBe('none')
    expect(c.mayRequest(now + 10_000)).toBe(true)
    now += 10_000
    expect(c.onReject(now, true)).toBe('hold-off')
    expect(c.mayRequest(now + 19_999)).toBe(false)
    expect(c.mayRequest(now + 20_000)).toBe(true)
    now += 20_000
    expect(c.onReject(now, true)).toBe('drop')
    expect(c.mayRequest(now + 1_000_000)).toBe(false)
    expect(c.onReject(now + 1, true)).toBe('none') // dropped once only
    expect(c.dropReason()).toEqual({ kind: 'rejects', rejects: P.rejectAllowance + 4, delivered: 0 })
    expect(describeConductDrop(c.dropReason())).toBe(`rejected ${P.rejectAllowance + 4} requests, delivered 0 blocks`)
  })

  it('deliveries between hold-offs keep a peer that mostly delivers', () => {
    const c = new PeerConduct()
    for (let i = 0; i <= P.rejectAllowance; i++) c.onReject(0, true)
    expect(c.holdOffs).toBe(1)
    for (let i = 0; i < 100; i++) c.onBlock()
    for (let i = 0; i < 50; i++) expect(c.onReject(20_000 + i * 1000, true)).toBe('none')
    expect(c.holdOffs).toBe(1)
  })

  it('stray messages past the limit drop the peer, with each kind counted', () => {
    const c = new PeerConduct()
    for (let i = 0; i < P.maxStrays; i++) {
      expect(c.onStray(i % 2 ? 'unrequested-reject' : 'unadvertised-request')).toBe('none')
    }
    expect(c.mayRequest(0)).toBe(true)
    expect(c.onStray('unrequested-block')).toBe('drop')
    expect(c.mayRequest(0)).toBe(false)
    const why = c.dropReason()
    expect(why).toEqual({
      kind: 'strays',
      unrequestedBlocks: 1,
      unrequestedRejects: P.maxStrays / 2,
      unadvertisedRequests: P.maxStrays / 2,
      chokedRequests: 0,
    })
    expect(describeConductDrop(why)).toBe(
      'sent 1 unrequested blocks, 8 rejects of nothing we asked for, 8 requests for pieces we never advertised',
    )
  })

  it('requests while we choke the peer count with the other strays', () => {
    const c = new PeerConduct()
    for (let i = 0; i < P.maxStrays; i++) expect(c.onStray('choked-request')).toBe('none')
    expect(c.onStray('unadvertised-request')).toBe('drop')
    const why = c.dropReason()
    expect(why).toMatchObject({ kind: 'strays', chokedRequests: P.maxStrays, unadvertisedRequests: 1 })
    expect(describeConductDrop(why)).toBe(
      'sent 1 requests for pieces we never advertised, 16 requests while we choked it',
    )
  })

  it('a protocol violation is described as its close reason is', () => {
    expect(describeConductDrop({ kind: 'protocol-violation', detail: 'bad bitfield' })).toBe(
      'protocol violation: bad bitfield',
    )
  })

  it('takes its numbers from the policy it is given', () => {
    const c = new PeerConduct({ ...P, rejectAllowance: 0, maxHoldOffs: 0 })
    expect(() => c.dropReason()).toThrow()
    expect(c.onReject(0, true)).toBe('drop')
    expect(c.dropReason()).toEqual({ kind: 'rejects', rejects: 1, delivered: 0 })
  })
})
