import { describe, expect, it } from 'vitest'
import { PieceBits } from './piece-bits.ts'
import { BLOCK_LENGTH, PiecePicker } from './piece-picker.ts'

const B = BLOCK_LENGTH
const all = (n: number) => PieceBits.full(n)

function bits(n: number, pieces: number[]): PieceBits {
  const b = new PieceBits(n)
  for (const p of pieces) b.set(p)
  return b
}

function picker(pieceCount: number, now = () => 0, blocksPerPiece = 1) {
  let x = 12345
  const random = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    return x / 2 ** 32
  }
  const pieceLength = blocksPerPiece * B
  return new PiecePicker({
    pieceCount,
    pieceLength,
    totalLength: pieceCount * pieceLength,
    randomFirstPieces: 0,
    random,
    now,
  })
}

const pieces = (got: Array<{ piece: number }>) => got.map((r) => r.piece)

describe('PiecePicker: sequential, first/last and deadlines', () => {
  it('picks deadline pieces before rarest-first ones, earliest deadline first', () => {
    const pk = picker(20)
    pk.addPeer('a', all(20))
    pk.addPeer('b', bits(20, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]))
    // rarest is piece 19 (one copy); without deadlines it would come first
    pk.deadlines.set(12, 500, 's', 0)
    pk.deadlines.set(7, 100, 's', 0)
    pk.deadlines.set(9, 300, 's', 0)
    expect(pieces(pk.pickBlocks('a', all(20), 4))).toEqual([7, 9, 12, 19])
  })

  it('a verified piece loses its deadline; the rest keeps rarest first', () => {
    const pk = picker(6)
    pk.addPeer('a', all(6))
    pk.addPeer('b', bits(6, [0, 1, 2, 3, 4]))
    pk.deadlines.set(2, 10, 's', 0)
    expect(pieces(pk.pickBlocks('a', all(6), 1))).toEqual([2])
    pk.onBlockReceived('a', 2, 0)
    pk.onPieceVerified(2)
    expect(pk.deadlines.size).toBe(0)
    expect(pieces(pk.pickBlocks('a', all(6), 1))).toEqual([5])
  })

  it('a seek (clearing one owner) moves the window: the old deadlines are no longer urgent', () => {
    const pk = picker(100)
    pk.addPeer('a', all(100))
    pk.addPeer('b', bits(100, [...Array(99).keys()])) // piece 99 is rarest
    for (let p = 10; p < 14; p++) pk.deadlines.set(p, p, 'stream-1', 0)
    expect(pieces(pk.pickBlocks('a', all(100), 1))).toEqual([10])
    pk.deadlines.clearOwner('stream-1')
    for (let p = 80; p < 84; p++) pk.deadlines.set(p, p, 'stream-1', 0)
    expect(pieces(pk.pickBlocks('a', all(100), 4))).toEqual([80, 81, 82, 83])
    // the old window's pieces are now ordinary: rarest first
    expect(pieces(pk.pickBlocks('a', all(100), 1))).toEqual([99])
  })

  it('sequential order holds across peers and a failed piece is taken again first', () => {
    const pk = picker(12)
    pk.setSequential(true)
    pk.addPeer('a', all(12))
    pk.addPeer('b', bits(12, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
    expect(pieces(pk.pickBlocks('a', all(12), 3))).toEqual([0, 1, 2])
    expect(pieces(pk.pickBlocks('b', bits(12, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 2))).toEqual([3, 4])
    for (const p of [0, 1, 2]) pk.onBlockReceived('a', p, 0)
    pk.onPieceVerified(0)
    pk.onPieceVerified(2)
    pk.onPieceFailed(1)
    expect(pieces(pk.pickBlocks('a', all(12), 3))).toEqual([1, 5, 6])
    // a peer without piece 7 skips it, the order goes on after it
    expect(pieces(pk.pickBlocks('c', bits(12, [9, 11]), 2))).toEqual([9, 11])
    expect(pieces(pk.pickBlocks('a', all(12), 3))).toEqual([7, 8, 10])
  })

  it('first and last pieces of a file come before everything else (deadlines aside)', () => {
    const pk = picker(10)
    pk.addPeer('a', all(10))
    pk.setPreferredPieces([0, 9])
    expect(pieces(pk.pickBlocks('a', all(10), 2))).toEqual([0, 9])
  })

  it('a slow peer leaves fresh deadline pieces to fast peers, then takes them', () => {
    let now = 0
    const pk = picker(10, () => now)
    pk.addPeer('fast', all(10))
    pk.addPeer('slow', all(10))
    pk.deadlines.set(4, 2000, 's', now)
    expect(pieces(pk.pickBlocks('slow', all(10), 1, { peerIsFast: false }))).not.toContain(4)
    now = 600
    pk.deadlines.set(5, 2000, 's', now)
    expect(pieces(pk.pickBlocks('slow', all(10), 1, { peerIsFast: false }))).toEqual([4])
  })

  it('a late deadline block is requested again from a second fast peer, and the copy is cancelled', () => {
    let now = 0
    const pk = picker(10, () => now)
    pk.addPeer('a', all(10))
    pk.addPeer('b', all(10))
    pk.deadlines.set(3, 1000, 's', now)
    expect(pieces(pk.pickBlocks('a', all(10), 1))).toEqual([3])
    // not late yet: b gets something else
    expect(pieces(pk.pickBlocks('b', all(10), 1))).not.toEqual([3])
    now = 1500
    expect(pieces(pk.pickBlocks('b', all(10), 1))).toEqual([3])
    // never a third copy
    pk.addPeer('c', all(10))
    expect(pieces(pk.pickBlocks('c', all(10), 1))).not.toEqual([3])
    expect(pk.onBlockReceived('b', 3, 0)).toEqual(['a'])
  })
})
