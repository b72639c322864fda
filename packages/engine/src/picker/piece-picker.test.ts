import { describe, expect, it } from 'vitest'
import { PieceBits } from './piece-bits.ts'
import { BLOCK_LENGTH, PiecePicker } from './piece-picker.ts'

const B = BLOCK_LENGTH

/** Deterministic [0,1) source. */
function rng(seed = 7): () => number {
  let x = Math.imul(seed, 2654435761) | 1
  for (let i = 0; i < 8; i++) x ^= (x << 13) ^ (x >>> 17) // warm up: small seeds mix poorly
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

function bits(n: number, pieces: number[]): PieceBits {
  const b = new PieceBits(n)
  for (const p of pieces) b.set(p)
  return b
}

const all = (n: number) => PieceBits.full(n)

function picker(pieceCount: number, blocksPerPiece = 2, lastLength?: number, randomFirstPieces = 0) {
  const pieceLength = blocksPerPiece * B
  const totalLength = lastLength === undefined ? pieceCount * pieceLength : (pieceCount - 1) * pieceLength + lastLength
  return new PiecePicker({ pieceCount, pieceLength, totalLength, randomFirstPieces, random: rng() })
}

describe('PiecePicker', () => {
  it('sizes blocks; the last piece and block are shorter', () => {
    const pk = picker(2, 2, B + 100)
    pk.addPeer('a', all(2))
    const got = pk.pickBlocks('a', all(2), 10)
    expect(got).toHaveLength(4)
    expect(got.find((r) => r.piece === 1 && r.begin === B)).toEqual({ piece: 1, begin: B, length: 100 })
  })

  it('picks the rarest piece first, ties at random', () => {
    const pk = picker(6)
    pk.addPeer('a', all(6))
    pk.addPeer('b', bits(6, [0, 1, 2, 3, 5]))
    pk.addPeer('c', bits(6, [0, 1, 2, 3]))
    // availability: 0-3 → 3, 4 → 1, 5 → 2
    expect(pk.availability(4)).toBe(1)
    const got = pk.pickBlocks('a', all(6), 2)
    expect(got.map((r) => r.piece)).toEqual([4, 4])
    expect(pk.pickBlocks('a', all(6), 2).map((r) => r.piece)).toEqual([5, 5])
    // ties: over many pickers, the first of equally rare pieces varies
    const firsts = new Set<number>()
    for (let seed = 1; seed < 40; seed++) {
      const q = new PiecePicker({
        pieceCount: 8,
        pieceLength: B,
        totalLength: 8 * B,
        randomFirstPieces: 0,
        random: rng(seed),
      })
      q.addPeer('a', all(8))
      firsts.add(q.pickBlocks('a', all(8), 1)[0]!.piece)
    }
    expect(firsts.size).toBeGreaterThan(3)
  })

  it('finishes pieces in progress before starting new ones', () => {
    const pk = picker(10, 4)
    pk.addPeer('a', all(10))
    pk.addPeer('b', all(10))
    const a = pk.pickBlocks('a', all(10), 2) // half of one piece
    const b = pk.pickBlocks('b', all(10), 2)
    expect(b.map((r) => r.piece)).toEqual([a[0]!.piece, a[0]!.piece])
    expect(b.map((r) => r.begin)).toEqual([2 * B, 3 * B])
    expect(pk.isInProgress(a[0]!.piece)).toBe(true)
  })

  it('picks random pieces until the first few are complete', () => {
    const common = [...Array(40).keys()].map((i) => i + 10) // pieces 10..49 have 2 copies, 0..9 one
    let commonFirst = 0
    for (let seed = 1; seed <= 30; seed++) {
      const pk = new PiecePicker({
        pieceCount: 50,
        pieceLength: B,
        totalLength: 50 * B,
        randomFirstPieces: 1,
        random: rng(seed),
      })
      pk.addPeer('a', all(50))
      pk.addPeer('b', bits(50, common))
      const p = pk.pickBlocks('a', all(50), 1)[0]!.piece
      if (p >= 10) commonFirst++
      // after one verified piece, rarest first takes over
      pk.onBlockReceived('a', p, 0)
      pk.onPieceVerified(p)
      expect(pk.pickBlocks('a', all(50), 1)[0]!.piece).toBeLessThan(10)
    }
    // random: ~80% land on a common piece; rarest first alone would give 0
    expect(commonFirst).toBeGreaterThan(10)
  })

  it('never gives a block to two peers outside endgame, then duplicates and reports cancels', () => {
    const pk = picker(2, 2)
    pk.addPeer('a', all(2))
    pk.addPeer('b', all(2))
    const a = pk.pickBlocks('a', all(2), 3)
    expect(a).toHaveLength(3)
    expect(pk.isEndgame()).toBe(false)
    const b = pk.pickBlocks('b', all(2), 5)
    expect(b).toHaveLength(1 + 3) // the last free block, then endgame duplicates of a's blocks
    expect(pk.isEndgame()).toBe(true)
    const first = a[0]!
    expect(pk.onBlockReceived('b', first.piece, first.begin)).toEqual(['a'])
    expect(pk.requestsOf('a').some((r) => r.piece === first.piece && r.begin === first.begin)).toBe(false)
    expect(pk.onBlockReceived('a', first.piece, first.begin)).toEqual([]) // late copy
    // a slow peer gets no duplicates
    pk.addPeer('c', all(2))
    expect(pk.pickBlocks('c', all(2), 5, { peerIsFast: false })).toEqual([])
    expect(pk.pickBlocks('c', all(2), 5).length).toBeGreaterThan(0)
  })

  it('frees released, rejected and disconnected blocks for other peers', () => {
    const pk = picker(1, 3)
    pk.addPeer('a', all(1))
    pk.addPeer('b', all(1))
    const a = pk.pickBlocks('a', all(1), 3)
    expect(pk.pickBlocks('b', all(1), 3, { peerIsFast: false })).toEqual([])
    pk.releaseBlock('a', 0, a[1]!.begin) // rejected / timed out
    expect(pk.pickBlocks('b', all(1), 3, { peerIsFast: false })).toEqual([a[1]])
    pk.removePeer('a')
    expect(pk.availability(0)).toBe(1)
    expect(pk.pickBlocks('b', all(1), 3, { peerIsFast: false }).map((r) => r.begin)).toEqual([0, 2 * B])
  })

  it('returns a failed piece to the pool and completes after verification', () => {
    const pk = picker(2, 1)
    pk.addPeer('a', all(2))
    for (const r of pk.pickBlocks('a', all(2), 5)) pk.onBlockReceived('a', r.piece, r.begin)
    pk.onPieceVerified(0)
    pk.onPieceFailed(1)
    expect(pk.isComplete()).toBe(false)
    expect(pk.pickBlocks('a', all(2), 5)).toEqual([{ piece: 1, begin: 0, length: B }])
    pk.onBlockReceived('a', 1, 0)
    pk.onPieceVerified(1)
    expect(pk.isComplete()).toBe(true)
    expect(pk.pickBlocks('a', all(2), 5)).toEqual([])
  })

  it('honours priorities: skipped pieces are never picked, high ones first', () => {
    const pk = picker(4, 1)
    pk.addPeer('a', all(4))
    pk.addPeer('b', bits(4, [0, 1])) // 0, 1 are commoner than 2, 3
    pk.setPiecePriorities(new Uint8Array([3, 0, 2, 0]))
    expect(pk.pickBlocks('a', all(4), 10).map((r) => r.piece)).toEqual([0, 2])
    pk.markHave(3)
    expect(pk.have.has(3)).toBe(true)
  })

  it('when choked, requests only allowed-fast pieces', () => {
    const pk = picker(4, 1)
    pk.addPeer('a', all(4))
    expect(pk.pickBlocks('a', all(4), 4, { choked: true })).toEqual([])
    expect(pk.pickBlocks('a', all(4), 4, { choked: true, allowedFast: new Set([2]) })).toEqual([
      { piece: 2, begin: 0, length: B },
    ])
  })

  it('counts have, have-all and disconnects; ignores repeated haves', () => {
    const pk = picker(3, 1)
    pk.peerHave('a', 1)
    pk.peerHave('a', 1)
    pk.addSeed('s')
    expect([0, 1, 2].map((p) => pk.availability(p))).toEqual([1, 2, 1])
    pk.removePeer('s')
    pk.removePeer('a', bits(3, [1]))
    expect([0, 1, 2].map((p) => pk.availability(p))).toEqual([0, 0, 0])
    // a peer with only piece 1 gets only piece 1
    pk.addPeer('b', bits(3, [1]))
    expect(pk.pickBlocks('b', bits(3, [1]), 5).map((r) => r.piece)).toEqual([1])
  })

  it("ranks a sparse peer's own pieces rarest first (without scanning every piece)", () => {
    const pk = picker(200, 1)
    pk.addPeer('a', bits(200, [10, 30]))
    pk.addPeer('b', bits(200, [10, 30]))
    const x = bits(200, [10, 20, 30])
    pk.addPeer('x', x)
    const first = pk.pickBlocks('x', x, 2).map((r) => r.piece)
    expect(first[0]).toBe(20)
    expect([10, 30]).toContain(first[1])
    const rest = pk.pickBlocks('x', x, 5).map((r) => r.piece)
    expect([...first, ...rest].sort((m, n) => m - n)).toEqual([10, 20, 30])
  })

  it('keeps at most maxInProgress pieces started, putting back idle ones', () => {
    const pk = new PiecePicker({
      pieceCount: 10,
      pieceLength: 2 * B,
      totalLength: 20 * B,
      randomFirstPieces: 0,
      maxInProgress: 2,
      random: rng(),
    })
    pk.addPeer('a', all(10))
    const got = pk.pickBlocks('a', all(10), 10)
    expect(new Set(got.map((r) => r.piece)).size).toBe(2)
    expect(got).toHaveLength(4)
    // the peer chokes: its requests are freed; the started pieces are idle and may be swapped
    expect(pk.releasePeerRequests('a')).toHaveLength(4)
    expect(pk.requestsOf('a')).toEqual([])
    const only = bits(10, [9])
    pk.addPeer('b', only)
    const b = pk.pickBlocks('b', only, 10)
    expect(b.map((r) => r.piece)).toEqual([9, 9])
    expect(pk.isEndgame()).toBe(false)
  })

  it('pieces with every block received do not count against maxInProgress; canStartPiece still bounds them', () => {
    let budget = 3 // pieces storage may still hold
    const pk = new PiecePicker({
      pieceCount: 10,
      pieceLength: 2 * B,
      totalLength: 20 * B,
      randomFirstPieces: 0,
      maxInProgress: 2,
      random: rng(),
      canStartPiece: () => budget > 0,
    })
    pk.addPeer('a', all(10))
    const first = pk.pickBlocks('a', all(10), 10)
    expect(new Set(first.map((r) => r.piece)).size).toBe(2)
    expect(pk.pickBlocks('a', all(10), 10)).toEqual([]) // at the cap
    // one piece fully arrives (now being hashed): a new piece may start although it is unverified
    const done = first[0]!.piece
    for (const r of first.filter((r) => r.piece === done)) pk.onBlockReceived('a', r.piece, r.begin)
    expect(pk.downloadingCount()).toBe(1)
    const next = pk.pickBlocks('a', all(10), 10)
    expect(next).toHaveLength(2)
    expect(next[0]!.piece).not.toBe(done)
    expect(pk.isInProgress(done)).toBe(true)
    // storage is full: the next finished piece frees a picker slot, but nothing new starts
    budget = 0
    const second = first.find((r) => r.piece !== done)!.piece
    for (const r of first.filter((r) => r.piece === second)) pk.onBlockReceived('a', r.piece, r.begin)
    expect(pk.pickBlocks('a', all(10), 10)).toEqual([])
    // verification frees storage and ends the settling state
    pk.onPieceVerified(done)
    pk.onPieceVerified(second)
    budget = 3
    expect(pk.downloadingCount()).toBe(1)
    expect(pk.pickBlocks('a', all(10), 10)).toHaveLength(2)
  })

  it('a received block that storage refused becomes free again (the piece can still complete)', () => {
    const pk = new PiecePicker({
      pieceCount: 4,
      pieceLength: 2 * B,
      totalLength: 8 * B,
      randomFirstPieces: 0,
      maxInProgress: 1,
      random: rng(),
    })
    pk.addPeer('a', all(4))
    const got = pk.pickBlocks('a', all(4), 2)
    expect(got).toHaveLength(2)
    for (const r of got) pk.onBlockReceived('a', r.piece, r.begin)
    expect(pk.downloadingCount()).toBe(0)
    pk.unreceiveBlock(got[1]!.piece, got[1]!.begin)
    expect(pk.downloadingCount()).toBe(1)
    // the same block is handed out again, before any new piece (the cap of 1 is taken)
    expect(pk.pickBlocks('a', all(4), 5)).toEqual([got[1]])
    pk.unreceiveBlock(got[1]!.piece, got[1]!.begin) // requested, not received: no change
    expect(pk.requestsOf('a')).toEqual([got[1]])
  })

  it("a late bitfield replaces the counts but keeps the peer's requests", () => {
    const pk = picker(4, 1)
    pk.peerHave('a', 0)
    const got = pk.pickBlocks('a', bits(4, [0]), 1)
    pk.addPeer('a', bits(4, [0, 1]))
    pk.addPeer('a', bits(4, [0, 1]))
    expect([0, 1, 2].map((p) => pk.availability(p))).toEqual([1, 1, 0])
    expect(pk.requestsOf('a')).toEqual(got)
  })
})
