import { describe, expect, it } from 'vitest'
import { blockCount, checkLayout, fileAt, pieceSize, piecesOfFile, segments } from './file-map.ts'
import { piecePriorities } from './piece-priorities.ts'
import type { StorageLayout } from './file-map.ts'

function layout(lengths: number[], pieceLength: number, padding: number[] = []): StorageLayout {
  let offset = 0
  const files = lengths.map((length, i) => {
    const f = { path: `f${i}`, length, offset, padding: padding.includes(i) }
    offset += length
    return f
  })
  const pieceCount = Math.ceil(offset / pieceLength)
  return { files, pieceLength, pieceCount, length: offset, pieceHashes: new Uint8Array(pieceCount * 20) }
}

describe('file map', () => {
  // files: 10 | 0 | 25 | 0 | 5  = 40 bytes, pieces of 16: [0,16) [16,32) [32,40)
  const l = layout([10, 0, 25, 0, 5], 16)

  it('sizes pieces, the last one shorter', () => {
    checkLayout(l)
    expect([0, 1, 2].map((p) => pieceSize(l, p))).toEqual([16, 16, 8])
    expect(blockCount(l, 2)).toBe(1)
    expect(() => pieceSize(l, 3)).toThrow(RangeError)
  })

  it('finds files by offset, skipping 0-byte files', () => {
    expect(fileAt(l, 0)).toBe(0)
    expect(fileAt(l, 9)).toBe(0)
    expect(fileAt(l, 10)).toBe(2)
    expect(fileAt(l, 35)).toBe(4)
  })

  it('splits pieces that span file boundaries', () => {
    expect(segments(l, 0)).toEqual([
      { file: 0, fileOffset: 0, rangeOffset: 0, length: 10 },
      { file: 2, fileOffset: 0, rangeOffset: 10, length: 6 },
    ])
    expect(segments(l, 1)).toEqual([{ file: 2, fileOffset: 6, rangeOffset: 0, length: 16 }])
    expect(segments(l, 2)).toEqual([
      { file: 2, fileOffset: 22, rangeOffset: 0, length: 3 },
      { file: 4, fileOffset: 0, rangeOffset: 3, length: 5 },
    ])
    expect(segments(l, 0, 8, 4)).toEqual([
      { file: 0, fileOffset: 8, rangeOffset: 0, length: 2 },
      { file: 2, fileOffset: 0, rangeOffset: 2, length: 2 },
    ])
    expect(() => segments(l, 2, 4, 8)).toThrow(RangeError)
  })

  it('knows which pieces a file touches', () => {
    expect(piecesOfFile(l, 0)).toEqual([0, 0])
    expect(piecesOfFile(l, 1)).toBeNull()
    expect(piecesOfFile(l, 2)).toEqual([0, 2])
    expect(piecesOfFile(l, 4)).toEqual([2, 2])
  })

  it('rejects inconsistent layouts', () => {
    expect(() => checkLayout({ ...l, pieceCount: 4 })).toThrow(/piece count/)
    expect(() => checkLayout({ ...l, length: 41 })).toThrow(/add up/)
    expect(() => checkLayout({ ...l, pieceHashes: new Uint8Array(20) })).toThrow(/hashes/)
  })

  it('derives piece priorities from file priorities; padding files do not count', () => {
    const pl = layout([20, 12, 16], 16, [1]) // pieces: [0,16) f0 ; [16,32) f0+pad ; [32,48) f2
    expect([...piecePriorities(pl, ['normal', 'high', 'skip'])]).toEqual([2, 2, 0])
    expect([...piecePriorities(pl, ['skip', 'normal', 'high'])]).toEqual([0, 0, 3])
    expect([...piecePriorities(l, ['low', 'skip', 'skip', 'skip', 'high'])]).toEqual([1, 0, 3])
  })
})
