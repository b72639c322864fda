import { describe, expect, it } from 'vitest'
import { IpVoter } from './ip-voter.ts'

describe('external address vote', () => {
  it('believes an address once 3 distinct voters name it; one voter repeating itself counts once', () => {
    const v = new IpVoter(3)
    expect(v.vote('10.0.0.1', '203.0.113.5')).toBe(false)
    for (let i = 0; i < 10; i++) expect(v.vote('10.0.0.1', '203.0.113.5')).toBe(false)
    expect(v.vote('10.0.0.2', '203.0.113.5')).toBe(false)
    expect(v.address).toBeUndefined()
    expect(v.vote('10.0.0.3', '203.0.113.5')).toBe(true)
    expect(v.address).toBe('203.0.113.5')
    expect(v.votesFor('203.0.113.5')).toBe(3)
  })

  it('switches only when more voters name the new address than the believed one', () => {
    const v = new IpVoter(3)
    for (const voter of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) v.vote(voter, '203.0.113.5')
    for (const voter of ['10.0.1.1', '10.0.1.2', '10.0.1.3']) expect(v.vote(voter, '198.51.100.7')).toBe(false)
    expect(v.address).toBe('203.0.113.5') // a tie keeps what we had
    expect(v.vote('10.0.1.4', '198.51.100.7')).toBe(true)
    expect(v.address).toBe('198.51.100.7')
  })

  it('a voter that changes its mind moves its one vote', () => {
    const v = new IpVoter(2)
    v.vote('10.0.0.1', '203.0.113.5')
    v.vote('10.0.0.1', '198.51.100.7')
    expect(v.votesFor('203.0.113.5')).toBe(0)
    expect(v.vote('10.0.0.2', '203.0.113.5')).toBe(false) // only one voter names it now
    expect(v.vote('10.0.0.2', '198.51.100.7')).toBe(true)
  })

  it('starts from a saved address, remembers a bounded number of voters and forgets the oldest', () => {
    const v = new IpVoter(2, 3, '203.0.113.5')
    expect(v.address).toBe('203.0.113.5')
    v.vote('10.0.0.1', '198.51.100.7')
    v.vote('10.0.0.2', '203.0.113.5')
    v.vote('10.0.0.3', '203.0.113.5')
    v.vote('10.0.0.4', '192.0.2.1') // the fourth voter pushes out the first
    expect(v.votesFor('198.51.100.7')).toBe(0)
    expect(v.votesFor('203.0.113.5') + v.votesFor('192.0.2.1')).toBe(3)
    expect(v.address).toBe('203.0.113.5')
  })
})
