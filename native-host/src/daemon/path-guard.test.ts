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

describe('PathGuard with several roots', () => {
  const a = mkdtempSync(join(tmpdir(), 'tp-guard-a-'))
  const b = mkdtempSync(join(tmpdir(), 'tp-guard-b-'))
  afterAll(() => {
    rmSync(a, { recursive: true, force: true })
    rmSync(b, { recursive: true, force: true })
  })

  it('a symlink in one root pointing into another granted root is still out of its root', async () => {
    mkdirSync(join(b, 'inside'))
    symlinkSync(join(b, 'inside'), join(a, 'to-b'))
    const g = new PathGuard({ a, b })
    await expect(g.resolve('a', 'to-b/file')).rejects.toMatchObject({ code: 'bad-path' })
    await expect(g.resolve('b', 'inside/file')).resolves.toBe(join(g.realRoot('b')!, 'inside', 'file'))
  })

  it("'..' never crosses from one root to its sibling, whatever the depth", async () => {
    const g = new PathGuard({ a, b })
    const sib = b.slice(b.lastIndexOf('/') + 1)
    await expect(g.resolve('a', `../${sib}/x`)).rejects.toMatchObject({ code: 'bad-path' })
    await expect(g.resolve('a', `x/../../${sib}`)).rejects.toMatchObject({ code: 'bad-path' })
  })

  it('a granted root serves at once; a revoked one is an unknown root', async () => {
    const g = new PathGuard({ a })
    await expect(g.resolve('b', 'x')).rejects.toMatchObject({ code: 'bad-path' })
    g.grant('b', b)
    await expect(g.resolve('b', 'x')).resolves.toBe(join(g.realRoot('b')!, 'x'))
    const real = g.realRoot('b')!
    expect(g.stillGranted('b', real)).toBe(true)
    expect(g.revoke('b')).toBe(true)
    expect(g.stillGranted('b', real)).toBe(false)
    await expect(g.resolve('b', 'x')).rejects.toMatchObject({ code: 'bad-path' })
  })

  it('a root granted again at another folder does not keep handles of the old one alive', () => {
    const g = new PathGuard({ a })
    const old = g.realRoot('a')!
    g.grant('a', b)
    expect(g.stillGranted('a', old)).toBe(false)
  })
})
