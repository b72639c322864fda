import { describe, expect, it } from 'vitest'
import type { TradingPeer } from './peer-handle.ts'
import { RequestShare } from './request-share.ts'

function peer(o: { choking?: boolean; interested?: boolean; requests?: number }): TradingPeer {
  return {
    peerChoking: o.choking ?? false,
    canRequest: () => o.interested ?? true,
    requestCount: () => o.requests ?? 0,
    allowedFastSet: () => null,
  } as unknown as TradingPeer
}

describe('RequestShare', () => {
  it('splits the budget among the peers that can be asked now, never below the minimum', () => {
    let t = 0
    const peers = [peer({}), peer({}), peer({ choking: true }), peer({ interested: false }), peer({ requests: 100 })]
    const share = new RequestShare({ budgetBlocks: () => 1024, sessions: () => peers, now: () => t, minBlocks: 8 })
    // three askable peers: 341 each; the one holding 100 may add 241
    expect(share.room(peers[0]!)).toBe(341)
    expect(share.room(peers[4]!)).toBe(241)
    const many = Array.from({ length: 500 }, () => peer({}))
    const crowded = new RequestShare({ budgetBlocks: () => 1024, sessions: () => many, now: () => t, minBlocks: 8 })
    expect(crowded.room(many[0]!)).toBe(8)
    // recomputed after a while, not on every call
    peers.push(peer({}))
    expect(share.room(peers[0]!)).toBe(341)
    t += 100
    expect(share.room(peers[0]!)).toBe(256)
  })
  it('reports how many peers it counted, and a budget that grows with them is split after counting', () => {
    const t = 0
    const peers = [peer({}), peer({}), peer({ choking: true })]
    let share: RequestShare | null = null
    // the downloader's data-plane budget: 96 blocks per askable peer
    share = new RequestShare({
      budgetBlocks: () => 96 * share!.askable,
      sessions: () => peers,
      now: () => t,
      minBlocks: 8,
    })
    expect(share.askable).toBe(0)
    expect(share.room(peers[0]!)).toBe(96)
    expect(share.askable).toBe(2)
  })
})
