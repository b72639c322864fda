import { describe, expect, it } from 'vitest'
import { Choker, chokeChanges } from './choker.ts'
import type { ChokerPeerView } from './choker.ts'

const peer = (id: string, o: Partial<ChokerPeerView> = {}): ChokerPeerView => ({
  id,
  interested: true,
  downloadRate: 0,
  uploadRate: 0,
  connectedAt: 0,
  ...o,
})

function setup(config: ConstructorParameters<typeof Choker>[0] = {}) {
  const clock = { t: 1_000_000 }
  const randoms: number[] = []
  const choker = new Choker({ now: () => clock.t, random: () => randoms.shift() ?? 0, ...config })
  return { clock, randoms, choker }
}

describe('Choker', () => {
  it('while downloading unchokes the 4 interested peers that send us the most', () => {
    const { choker } = setup()
    const peers = [
      peer('a', { downloadRate: 100 }),
      peer('b', { downloadRate: 500 }),
      peer('c', { downloadRate: 300 }),
      peer('d', { downloadRate: 900, interested: false }), // not interested: no slot
      peer('e', { downloadRate: 200 }),
      peer('f', { downloadRate: 50 }),
      peer('g', { downloadRate: 1000, snubbed: true }), // snubbed goes last
      peer('s', { downloadRate: 5000, isSeed: true }), // a seed wants nothing
    ]
    const d = choker.rechoke(peers, { seeding: false })
    expect(d.regular).toEqual(['b', 'c', 'e', 'a'])
    expect(d.optimistic).toHaveLength(1)
    expect(['f', 'g']).toContain(d.optimistic[0])
    expect([...d.unchoke].sort()).toEqual([...d.regular, ...d.optimistic].sort())
  })

  it('while seeding (fastest-upload) unchokes those we upload to fastest', () => {
    const { choker } = setup()
    const peers = ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) =>
      peer(id, { uploadRate: [5, 60, 40, 10, 30, 20][i], downloadRate: 1000 - i }),
    )
    expect(choker.rechoke(peers, { seeding: true }).regular).toEqual(['b', 'c', 'e', 'f'])
  })

  it('while seeding round-robin gives everyone a turn', () => {
    const { choker, clock } = setup({
      config: { seedingMode: 'round-robin', regularSlots: 2, optimisticSlots: 0, roundRobinTurnMs: 30_000 },
    })
    const peers = ['a', 'b', 'c', 'd', 'e'].map((id) => peer(id, { uploadRate: id === 'a' ? 1000 : 1 }))
    const turns: string[][] = []
    for (let i = 0; i < 9; i++) {
      turns.push(choker.rechoke(peers, { seeding: true }).regular)
      clock.t += 10_000
    }
    // Each holds its slot for a 30 s turn (3 rechokes), then the longest-waiting peers go next.
    expect(turns[0]).toEqual(['a', 'b'])
    expect(turns[1]).toEqual(['a', 'b'])
    expect(turns[2]).toEqual(['a', 'b'])
    expect(turns[3]).toEqual(['c', 'd'])
    expect(turns[6]).toEqual(['e', 'a'])
    const served = new Set(turns.flat())
    expect([...served].sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
  })

  it('rotates the optimistic unchoke every 30 s, not at every 10 s rechoke', () => {
    const { choker, clock, randoms } = setup({ config: { regularSlots: 1 } })
    const peers = ['r', 'x', 'y', 'z'].map((id) => peer(id, { downloadRate: id === 'r' ? 100 : 0, connectedAt: 0 }))
    clock.t = 10_000_000 // everyone is old: equal weights
    randoms.push(0.0) // picks x
    expect(choker.rechoke(peers, { seeding: false }).optimistic).toEqual(['x'])
    clock.t += 10_000
    randoms.push(0.99)
    expect(choker.rechoke(peers, { seeding: false }).optimistic).toEqual(['x']) // kept
    clock.t += 10_000
    expect(choker.rechoke(peers, { seeding: false }).optimistic).toEqual(['x'])
    clock.t += 10_000 // 30 s since x got it
    randoms.length = 0
    randoms.push(0.0) // lowest of the others: y (x is excluded when someone else can have it)
    expect(choker.rechoke(peers, { seeding: false }).optimistic).toEqual(['y'])
    clock.t += 30_000
    randoms.push(0.99)
    expect(choker.rechoke(peers, { seeding: false }).optimistic).toEqual(['z'])
  })

  it('refills the optimistic slot at once when its holder leaves or loses interest', () => {
    const { choker, clock, randoms } = setup({ config: { regularSlots: 0 } })
    let peers = ['x', 'y'].map((id) => peer(id))
    randoms.push(0)
    expect(choker.rechoke(peers, { seeding: false }).optimistic).toEqual(['x'])
    clock.t += 10_000
    peers = [peer('x', { interested: false }), peer('y')]
    expect(choker.rechoke(peers, { seeding: false }).optimistic).toEqual(['y'])
    choker.removePeer('y')
    peers = [peer('z')]
    clock.t += 10_000
    expect(choker.rechoke(peers, { seeding: false }).optimistic).toEqual(['z'])
  })

  it('makes newly connected peers three times as likely to get the optimistic slot', () => {
    const { choker, clock, randoms } = setup({ config: { regularSlots: 0, newPeerWindowMs: 60_000 } })
    clock.t = 1_000_000
    // old: connected long ago (weight 1); new: 10 s ago (weight 3). Sorted: new, old → [0,3) new, [3,4) old.
    const peers = [peer('old', { connectedAt: 0 }), peer('new', { connectedAt: clock.t - 10_000 })]
    const pick = (r: number) => {
      clock.t += 30_000
      randoms.push(r)
      peers[1].connectedAt = clock.t - 10_000
      choker.removePeer('new')
      choker.removePeer('old')
      return choker.rechoke(peers, { seeding: false }).optimistic[0]
    }
    expect(pick(0.74)).toBe('new') // 0.74 × 4 = 2.96 < 3
    expect(pick(0.76)).toBe('old') // 3.04 ≥ 3
    // Over a uniform sweep of random values, new wins 3 in 4.
    let newWins = 0
    for (let i = 0; i < 100; i++) if (pick((i + 0.5) / 100) === 'new') newWins++
    expect(newWins).toBe(75)
  })

  it('honours configured slot counts and the rechoke interval', () => {
    const { choker, clock } = setup({ config: { regularSlots: 2, optimisticSlots: 2, rechokeIntervalMs: 5_000 } })
    expect(choker.isDue()).toBe(true)
    const peers = ['a', 'b', 'c', 'd', 'e'].map((id, i) => peer(id, { downloadRate: 10 - i }))
    const d = choker.rechoke(peers, { seeding: false })
    expect(d.regular).toEqual(['a', 'b'])
    expect(d.optimistic).toHaveLength(2)
    expect(d.unchoke.size).toBe(4)
    expect(choker.isDue()).toBe(false)
    clock.t += 4_999
    expect(choker.isDue()).toBe(false)
    clock.t += 1
    expect(choker.isDue()).toBe(true)
  })

  it('reports which peers to choke and unchoke', () => {
    expect(chokeChanges(new Set(['a', 'b']), new Set(['b', 'c']))).toEqual({ toChoke: ['a'], toUnchoke: ['c'] })
  })
})
