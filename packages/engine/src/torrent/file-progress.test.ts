import { describe, expect, it } from 'vitest'
import { fileVerifiedBytes } from './file-progress.ts'

describe('fileVerifiedBytes', () => {
  it('splits pieces that straddle files', () => {
    // files: a=10, b=0, c=15 ; piece length 8 → pieces [0,8) [8,16) [16,24) [24,25)
    const layout = {
      pieceLength: 8,
      pieceCount: 4,
      length: 25,
      pieceHashes: new Uint8Array(80),
      files: [
        { path: 'a', length: 10, offset: 0 },
        { path: 'b', length: 0, offset: 10 },
        { path: 'c', length: 15, offset: 10 },
      ],
    }
    const have = new Set([1, 3])
    expect(fileVerifiedBytes(layout, { has: (p) => have.has(p) })).toEqual([2, 0, 6 + 1])
    expect(fileVerifiedBytes(layout, { has: () => true })).toEqual([10, 0, 15])
  })
})
