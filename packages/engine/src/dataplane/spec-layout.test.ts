import { describe, expect, it } from 'vitest'
import { pieceSpans, specLayout, specProblem } from './spec-layout.ts'

describe('specLayout', () => {
  const spec = {
    root: 'r',
    pieceLength: 100,
    files: [
      { path: 'a', length: 150 },
      { path: 'pad', length: 50, padding: true },
      { path: 'b', length: 0 },
      { path: 'c', length: 30 },
    ],
  }

  it('maps a piece across files, padding marked, empty files skipped', () => {
    const layout = specLayout(spec)
    expect(layout.pieceCount).toBe(3)
    expect(pieceSpans(layout, 1)).toEqual([
      { file: 0, path: 'a', padding: false, fileOffset: 100, rangeOffset: 0, length: 50 },
      { file: 1, path: 'pad', padding: true, fileOffset: 0, rangeOffset: 50, length: 50 },
    ])
    expect(pieceSpans(layout, 2)).toEqual([
      { file: 3, path: 'c', padding: false, fileOffset: 0, rangeOffset: 0, length: 30 },
    ])
  })

  it('names what is wrong with a spec', () => {
    expect(specProblem(spec)).toBeNull()
    expect(specProblem({ ...spec, pieceLength: 0 })).toMatch(/pieceLength/)
    expect(specProblem({ ...spec, files: [] })).toMatch(/no files/)
    expect(specProblem({ ...spec, files: [{ path: 'a', length: -1 }] })).toMatch(/bad file/)
    expect(specProblem({ ...spec, files: [{ path: 'a', length: 0 }] })).toMatch(/length/)
  })
})
