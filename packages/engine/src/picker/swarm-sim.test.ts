import { describe, expect, it } from 'vitest'
import { simulateSwarm } from './swarm-sim.ts'

describe('PiecePicker in a simulated swarm', () => {
  it('completes with churn, chokes and corrupt pieces; no duplicate block before endgame', () => {
    for (const seed of [1, 2, 3]) {
      const r = simulateSwarm({
        pieceCount: 400,
        blocksPerPiece: 4,
        peers: 12,
        seed,
        corruptRate: 0.02,
        chokeRate: 0.02,
        disconnectRate: 0.01,
        maxRounds: 20_000,
      })
      expect(r.complete).toBe(true)
      expect(r.duplicatesOutsideEndgame).toBe(0)
      expect(r.failedPieces).toBeGreaterThan(0)
    }
  })

  it('completes under an in-progress cap (bounded storage buffers) without stalling', () => {
    const r = simulateSwarm({
      pieceCount: 300,
      blocksPerPiece: 8,
      peers: 20,
      seed: 9,
      maxInProgress: 6,
      chokeRate: 0.05,
      disconnectRate: 0.02,
      maxRounds: 50_000,
    })
    expect(r.complete).toBe(true)
    expect(r.duplicatesOutsideEndgame).toBe(0)
  })

  it('10k pieces, 50 peers: measures the picker cost', () => {
    const r = simulateSwarm({
      pieceCount: 10_000,
      blocksPerPiece: 16,
      peers: 50,
      seed: 42,
      corruptRate: 0.001,
      chokeRate: 0.005,
      disconnectRate: 0.002,
      maxRounds: 100_000,
    })
    expect(r.complete).toBe(true)
    expect(r.duplicatesOutsideEndgame).toBe(0)
    const perPick = (r.pickMs * 1000) / r.picks
    console.log(
      `swarm-sim 10k pieces x 16 blocks, 50 peers: all picker calls ${r.pickerMs.toFixed(0)} ms (sim ${r.totalMs.toFixed(0)} ms), ` +
        `${r.picks} pickBlocks calls ${r.pickMs.toFixed(0)} ms = ${perPick.toFixed(1)} µs/pick, ${r.blocksReceived} blocks, ` +
        `endgame dups ${r.endgameDuplicates}, cancels ${r.cancels}`,
    )
  }, 60_000)
})
