/**
 * A simulated swarm driving a PiecePicker through a whole download: peers with partial bitfields
 * that grow with `have`s, seeds (have-all), pipelines refilled after every block, choke/reject
 * losses, disconnects, corrupt pieces, endgame. Used by tests (invariants) and to measure the
 * picker's cost. Deterministic for a given seed.
 */
import { PieceBits } from './piece-bits.ts'
import { PiecePicker } from './piece-picker.ts'
import type { BlockRequest } from './piece-picker.ts'

export interface SwarmSimOptions {
  pieceCount: number
  blocksPerPiece: number
  peers: number
  /** Share of peers that are seeds (have-all). */
  seedShare?: number
  /** Requests kept outstanding per peer. */
  pipeline?: number
  /** Chance per piece that its hash fails once. */
  corruptRate?: number
  /** Chance per delivery round that a peer drops all its requests (choke) or disconnects. */
  chokeRate?: number
  disconnectRate?: number
  seed?: number
  /** Passed to the picker (storage buffer cap in pieces). */
  maxInProgress?: number
  /** Safety bound on rounds. */
  maxRounds?: number
}

export interface SwarmSimResult {
  complete: boolean
  rounds: number
  picks: number
  blocksRequested: number
  blocksReceived: number
  /** Blocks received twice while not in endgame (must be 0). */
  duplicatesOutsideEndgame: number
  endgameDuplicates: number
  cancels: number
  failedPieces: number
  /** ms spent inside picker calls (all of them), and inside pickBlocks alone. */
  pickerMs: number
  pickMs: number
  totalMs: number
}

function xorshift(seed: number): () => number {
  let x = Math.imul(seed | 1, 2654435761) | 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

interface SimPeer {
  key: string
  bits: PieceBits
  seed: boolean
  outstanding: BlockRequest[]
}

export function simulateSwarm(o: SwarmSimOptions): SwarmSimResult {
  const t0 = performance.now()
  const rnd = xorshift(o.seed ?? 1)
  const B = 16 * 1024
  const picker = new PiecePicker({
    pieceCount: o.pieceCount,
    pieceLength: o.blocksPerPiece * B,
    totalLength: o.pieceCount * o.blocksPerPiece * B,
    random: rnd,
    ...(o.maxInProgress ? { maxInProgress: o.maxInProgress } : {}),
  })
  const pipeline = o.pipeline ?? 32
  const corrupt = new Set<number>()
  for (let p = 0; p < o.pieceCount; p++) if (rnd() < (o.corruptRate ?? 0)) corrupt.add(p)
  const received = new Map<number, Set<number>>() // piece -> blocks received (for duplicate counting)
  const r: SwarmSimResult = {
    complete: false,
    rounds: 0,
    picks: 0,
    blocksRequested: 0,
    blocksReceived: 0,
    duplicatesOutsideEndgame: 0,
    endgameDuplicates: 0,
    cancels: 0,
    failedPieces: 0,
    pickerMs: 0,
    pickMs: 0,
    totalMs: 0,
  }
  let pickerMs = 0
  const timed = <T>(fn: () => T): T => {
    const s = performance.now()
    const v = fn()
    pickerMs += performance.now() - s
    return v
  }

  const makePeer = (i: number, gen: number): SimPeer => {
    const seed = rnd() < (o.seedShare ?? 0.1)
    const bits = seed ? PieceBits.full(o.pieceCount) : new PieceBits(o.pieceCount)
    if (!seed) for (let p = 0; p < o.pieceCount; p++) if (rnd() < 0.3) bits.set(p)
    const peer = { key: `p${i}.${gen}`, bits, seed, outstanding: [] }
    timed(() => (seed ? picker.addSeed(peer.key) : picker.addPeer(peer.key, bits)))
    return peer
  }
  const peers = Array.from({ length: o.peers }, (_, i) => makePeer(i, 0))
  const gens = new Array<number>(o.peers).fill(0)

  const maxRounds = o.maxRounds ?? 1_000_000
  while (!picker.isComplete() && r.rounds < maxRounds) {
    r.rounds++
    let progressed = false
    for (let i = 0; i < peers.length; i++) {
      let peer = peers[i]!
      if (rnd() < (o.disconnectRate ?? 0)) {
        timed(() => picker.removePeer(peer.key))
        peer = peers[i] = makePeer(i, ++gens[i]!)
      } else if (rnd() < (o.chokeRate ?? 0)) {
        for (const b of peer.outstanding) timed(() => picker.releaseBlock(peer.key, b.piece, b.begin))
        peer.outstanding = []
      }
      // deliver a few blocks, in order
      const n = Math.min(peer.outstanding.length, 1 + Math.floor(rnd() * 4))
      for (const b of peer.outstanding.splice(0, n)) {
        progressed = true
        r.blocksReceived++
        const endgame = picker.isEndgame()
        const got = received.get(b.piece) ?? new Set<number>()
        received.set(b.piece, got)
        if (got.has(b.begin)) {
          if (endgame) r.endgameDuplicates++
          else r.duplicatesOutsideEndgame++
        }
        got.add(b.begin)
        const cancels = timed(() => picker.onBlockReceived(peer.key, b.piece, b.begin))
        r.cancels += cancels.length
        for (const c of cancels) {
          const other = peers.find((q) => q.key === c)
          if (other) other.outstanding = other.outstanding.filter((x) => x.piece !== b.piece || x.begin !== b.begin)
        }
        if (got.size === picker.blockCount(b.piece) && !picker.have.has(b.piece)) {
          received.delete(b.piece)
          if (corrupt.delete(b.piece)) {
            r.failedPieces++
            timed(() => picker.onPieceFailed(b.piece))
          } else {
            timed(() => picker.onPieceVerified(b.piece))
            // we now have it; a random other peer learns... and peers gain pieces over time
            const q = peers[Math.floor(rnd() * peers.length)]!
            if (!q.seed && q.bits.set(b.piece)) timed(() => picker.peerHave(q.key, b.piece))
          }
        }
      }
      const want = pipeline - peer.outstanding.length
      if (want > 0) {
        const ps = performance.now()
        const picked = timed(() => picker.pickBlocks(peer.key, peer.bits, want))
        r.pickMs += performance.now() - ps
        r.picks++
        r.blocksRequested += picked.length
        peer.outstanding.push(...picked)
        if (picked.length > 0) progressed = true
      }
    }
    // pieces nobody has: let a random peer announce one so the sim cannot stall
    if (!progressed) {
      for (let p = 0; p < o.pieceCount; p++) {
        if (!picker.have.has(p) && picker.availability(p) === 0) {
          const q = peers[Math.floor(rnd() * peers.length)]!
          if (!q.seed && q.bits.set(p)) timed(() => picker.peerHave(q.key, p))
          break
        }
      }
    }
  }
  r.complete = picker.isComplete()
  r.pickerMs = pickerMs
  r.totalMs = performance.now() - t0
  return r
}
