import { describe, expect, it } from 'vitest'
import { FastPeers } from './fast-peers.ts'

const peer = (rate: number) => ({ downloadRate: () => rate })

describe('FastPeers', () => {
  it('a peer is fast at half the best rate or more; alone or idle, everyone is fast', () => {
    let now = 0
    const f = new FastPeers(() => now)
    const a = peer(1000)
    const b = peer(400)
    const c = peer(600)
    expect(f.isFast(a, [a, b, c])).toBe(true)
    expect(f.isFast(c, [a, b, c])).toBe(true)
    expect(f.isFast(b, [a, b, c])).toBe(false)
    now += 1000
    const idle = [peer(0), peer(0)]
    expect(f.isFast(idle[0]!, idle)).toBe(true)
  })
})
