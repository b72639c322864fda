import { describe, expect, it } from 'vitest'
import type { FileRow } from '@tidepool/engine'
import { allFolders, initialExpanded, treeRows } from './file-tree.ts'

const f = (
  index: number,
  path: string,
  size: number,
  priority: FileRow['priority'] = 'normal',
  downloaded = 0,
): FileRow => ({ index, path, size, downloaded, progress: size ? downloaded / size : 1, priority })

const files = [
  f(0, 'album/cd1/01.flac', 100, 'normal', 100),
  f(1, 'album/cd1/02.flac', 100, 'skip'),
  f(2, 'album/cd2/01.flac', 200, 'normal', 50),
  f(3, 'album/cover.jpg', 10, 'high', 10),
]

describe('the Files tree', () => {
  it('folders carry totals and a mixed priority; collapsed folders hide their files', () => {
    const rows = treeRows(files, initialExpanded(files))
    expect(rows.map((r) => [r.key, r.depth, r.name, r.size, r.priority])).toEqual([
      ['d:album', 0, 'album', 410, 'mixed'],
      ['d:album/cd1', 1, 'cd1', 200, 'mixed'],
      ['d:album/cd2', 1, 'cd2', 200, 'normal'],
      ['f:3', 1, 'cover.jpg', 10, 'high'],
    ])
    expect(rows[0]!.files.sort()).toEqual([0, 1, 2, 3])
    expect(rows[1]!.progress).toBe(0.5)
    expect(rows.map((r) => r.wanted)).toEqual(['some', 'some', 'all', 'all'])
  })
  it('opening a folder lists its files; 10,000 files stay a handful of rows until opened', () => {
    const open = treeRows(files, new Set(['d:album', 'd:album/cd1']))
    expect(open.map((r) => r.key)).toEqual(['d:album', 'd:album/cd1', 'f:0', 'f:1', 'd:album/cd2', 'f:3'])
    const many = Array.from({ length: 10_000 }, (_, i) => f(i, `big/part${i % 10}/file${i}.bin`, 1))
    const t0 = performance.now()
    const rows = treeRows(many, initialExpanded(many))
    expect(rows).toHaveLength(11)
    expect(rows[1]!.files).toHaveLength(1000)
    expect(performance.now() - t0).toBeLessThan(500)
  })
  it('"Open all folders" lists every folder and file', () => {
    expect([...allFolders(files)].sort()).toEqual(['d:album', 'd:album/cd1', 'd:album/cd2'])
    const rows = treeRows(files, allFolders(files))
    expect(rows.map((r) => r.key)).toEqual(['d:album', 'd:album/cd1', 'f:0', 'f:1', 'd:album/cd2', 'f:2', 'f:3'])
    expect(allFolders([f(0, 'single.iso', 1)]).size).toBe(0)
  })
  it('a folder of 200,000 files opens (no call-stack overflow collecting its indices)', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => f(i, `huge/d${i % 7}/f${i}`, 1))
    const rows = treeRows(many, new Set(['d:huge']))
    expect(rows).toHaveLength(8)
    expect(rows[0]!.files).toHaveLength(200_000)
  })
})
