import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { outFolder } from './out-folder.ts'

const base = mkdtempSync(join(tmpdir(), 'tp-out-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))

describe('--out among the daemon roots', () => {
  const a = join(base, 'a')
  const nested = join(base, 'a', 'inner')
  mkdirSync(nested, { recursive: true })
  const files = {
    roots: () => ['a', 'inner', 'nopath'],
    rootPath: (r: string) => ({ a, inner: nested })[r],
  }

  it('picks the deepest root holding the folder and the path below it, created or not', () => {
    expect(outFolder(a, files)).toEqual({ root: 'a', dir: '' })
    expect(outFolder(join(a, 'x', 'y'), files)).toEqual({ root: 'a', dir: 'x/y' })
    expect(outFolder(join(nested, 'z'), files)).toEqual({ root: 'inner', dir: 'z' })
  })

  it('is null outside every root, also for a sibling whose name starts like a root', () => {
    expect(outFolder(join(base, 'b'), files)).toBeNull()
    expect(outFolder(`${a}bc`, files)).toBeNull()
  })

  it('follows a symlink to the folder it names', () => {
    symlinkSync(a, join(base, 'link'))
    expect(outFolder(join(base, 'link'), files)).toEqual({ root: 'a', dir: '' })
  })
})
