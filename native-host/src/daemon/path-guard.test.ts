import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'

// realpath that lets the test create a directory right after a realpath miss: the window in which a
// concurrent sibling mkdir makes the name appear between realpath and lstat.
const afterMiss = new Map<string, () => void>()
vi.mock('node:fs/promises', async (orig) => {
  const real = await orig<typeof import('node:fs/promises')>()
  return {
    ...real,
    realpath: async (p: string) => {
      try {
        return await real.realpath(p)
      } catch (e) {
        afterMiss.get(p)?.()
        afterMiss.delete(p)
        throw e
      }
    },
  }
})
const { PathGuard } = await import('./path-guard.ts')

const dir = mkdtempSync(join(tmpdir(), 'tp-guard-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('PathGuard dangling-symlink check', () => {
  it('a directory created concurrently between realpath and lstat is not taken for a dangling symlink', async () => {
    const g = new PathGuard({ r: dir })
    // biome-ignore lint/complexity/useLiteralKeys: the test reads a private field
    const root = g['roots'].get('r') as string
    afterMiss.set(join(root, 'a'), () => mkdirSync(join(root, 'a')))
    await expect(g.resolve('r', 'a/b/c')).resolves.toBe(join(root, 'a', 'b', 'c'))
  })
  it('a dangling symlink anywhere on the path is bad-path', async () => {
    symlinkSync(join(dir, '..', `nowhere-${process.pid}`), join(dir, 'dl'))
    const g = new PathGuard({ r: dir })
    await expect(g.resolve('r', 'dl')).rejects.toMatchObject({ code: 'bad-path' })
    await expect(g.resolve('r', 'dl/x/y')).rejects.toMatchObject({ code: 'bad-path' })
  })
})
