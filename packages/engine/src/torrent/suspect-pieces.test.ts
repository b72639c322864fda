import { describe, expect, it } from 'vitest'
import { SuspectPieces } from './suspect-pieces.ts'

describe('SuspectPieces', () => {
  it('a lone contributor of a bad piece is to blame at once', () => {
    const s = new SuspectPieces()
    expect(s.onFailed(3, ['bad'])).toEqual({ alone: ['bad'], shared: [] })
    expect(s.isSuspect(3)).toBe(false)
  })

  it('a shared failure is retried from one peer; a good retry convicts the other', () => {
    const s = new SuspectPieces()
    expect(s.onFailed(7, ['good', 'bad'])).toEqual({ alone: [], shared: [] })
    expect(s.allow(7, 'good')).toBe(true) // first asked owns the retry
    expect(s.allow(7, 'bad')).toBe(false)
    expect(s.allow(8, 'bad')).toBe(true) // other pieces unaffected
    expect(s.onVerified(7, ['good'])).toEqual({ alone: ['bad'], shared: [] })
    expect(s.isSuspect(7)).toBe(false)
  })

  it('a failing retry has a single contributor', () => {
    const s = new SuspectPieces()
    s.onFailed(1, ['a', 'b'])
    expect(s.allow(1, 'b')).toBe(true)
    expect(s.onFailed(1, ['b'])).toEqual({ alone: ['b'], shared: [] })
  })

  it('several remaining suspects share the blame; a departed owner hands over', () => {
    const s = new SuspectPieces()
    s.onFailed(2, ['a', 'b', 'c'])
    expect(s.allow(2, 'c')).toBe(true)
    s.onPeerGone('c')
    expect(s.allow(2, 'a')).toBe(true)
    expect(s.onVerified(2, ['a'])).toEqual({ alone: [], shared: ['b', 'c'] })
    expect(s.onVerified(9, ['x'])).toEqual({ alone: [], shared: [] })
  })
})
