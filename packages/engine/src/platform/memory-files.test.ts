import { describe, expect, it } from 'vitest'
import { MemoryFilePort } from './memory-files.ts'
import { IoError } from './ports.ts'

const bytes = (...xs: number[]) => new Uint8Array(xs)

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'ok'
  } catch (e) {
    return e instanceof IoError ? e.code : 'not-ioerror'
  }
}

describe('MemoryFilePort', () => {
  it('creates, writes at offsets (sparse gaps read as zeros), reads back and stats', async () => {
    let t = 1000
    const fp = new MemoryFilePort({ now: () => t })
    await fp.mkdir('downloads', 'a/b')
    const h = await fp.open('downloads', 'a/b/f.bin', { write: true, create: true })
    await h.write(4, bytes(1, 2, 3))
    t = 2000
    await h.write(0, bytes(9))
    expect(await h.read(0, 100)).toEqual(bytes(9, 0, 0, 0, 1, 2, 3))
    expect(await h.stat()).toEqual({ size: 7, isDirectory: false, mtimeMs: 2000 })
    expect(await fp.stat('downloads', 'a')).toMatchObject({ isDirectory: true })
    expect(await fp.stat('downloads', 'nope')).toBeNull()
    await h.truncate(2)
    expect(fp.peek('downloads', 'a/b/f.bin')).toEqual(bytes(9, 0))
    await h.close()
    expect(await code(h.read(0, 1))).toBe('closed')
    expect(fp.openHandles).toBe(0)
  })

  it('refuses bad paths, unknown roots, missing parents and missing files', async () => {
    const fp = new MemoryFilePort()
    for (const p of ['/abs', '../x', 'a/../b', 'a//b', 'a\0b', 'C:/x', 'a\\b']) {
      expect(await code(fp.open('downloads', p, { create: true }))).toBe('bad-path')
    }
    expect(await code(fp.stat('other', 'x'))).toBe('bad-path')
    expect(await code(fp.open('downloads', 'no/parent.txt', { create: true }))).toBe('not-found')
    expect(await code(fp.open('downloads', 'missing.txt'))).toBe('not-found')
    const r = await fp.open('downloads', 'ro.txt', { create: true })
    await r.close()
    const ro = await fp.open('downloads', 'ro.txt')
    expect(await code(ro.write(0, bytes(1)))).toBe('access')
  })

  it('enforces a byte quota with no-space and leaves earlier data intact', async () => {
    const fp = new MemoryFilePort({ quotaBytes: 10 })
    const h = await fp.open('downloads', 'f', { create: true })
    await h.write(0, new Uint8Array(8).fill(7))
    expect(await code(h.write(8, new Uint8Array(4)))).toBe('no-space')
    expect(fp.peek('downloads', 'f')).toEqual(new Uint8Array(8).fill(7))
    await h.write(2, bytes(1, 1)) // overwriting inside the file needs no space
    expect(fp.usedBytes()).toBe(8)
  })

  it('injects faults per operation', async () => {
    const fp = new MemoryFilePort({ fault: (op, _r, path) => (op === 'write' && path === 'bad' ? 'io' : null) })
    const h = await fp.open('downloads', 'bad', { create: true })
    expect(await code(h.write(0, bytes(1)))).toBe('io')
    const g = await fp.open('downloads', 'good', { create: true })
    expect(await code(g.write(0, bytes(1)))).toBe('ok')
  })

  it('lists, renames, removes and hashes ranges with SHA-1', async () => {
    const fp = new MemoryFilePort()
    fp.put('downloads', 'd/x.txt', new TextEncoder().encode('hello world'))
    fp.put('downloads', 'd/sub/y', bytes(1))
    expect(await fp.list('downloads', 'd')).toEqual([
      { name: 'sub', isDirectory: true, size: 0 },
      { name: 'x.txt', isDirectory: false, size: 11 },
    ])
    const digest = await fp.sha1('downloads', 'd/x.txt', 0, 5)
    // sha1("hello")
    expect([...digest].map((b) => b.toString(16).padStart(2, '0')).join('')).toBe(
      'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d',
    )
    expect(await code(fp.sha1('downloads', 'd/x.txt', 8, 5))).toBe('invalid')
    await fp.rename('downloads', 'd/x.txt', 'd/z.txt')
    expect(await fp.stat('downloads', 'd/x.txt')).toBeNull()
    expect(await code(fp.remove('downloads', 'd'))).toBe('invalid')
    await fp.remove('downloads', 'd', { recursive: true })
    expect(await fp.stat('downloads', 'd/sub/y')).toBeNull()
    expect(await fp.list('downloads', '')).toEqual([])
  })
})
