import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DirStateStore, type StateFileOps } from './dir-state-store.ts'

const dirs: string[] = []
async function fresh(ops?: StateFileOps): Promise<DirStateStore> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-state-'))
  dirs.push(dir)
  return new DirStateStore(join(dir, 'nested', '.tidepool'), ops)
}

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

describe('DirStateStore', () => {
  it('round-trips values and lists keys by prefix', async () => {
    const s = await fresh()
    expect(await s.get('missing')).toBeNull()
    expect(await s.keys('')).toEqual([])
    await s.set('resume/abc', new Uint8Array([1, 2, 3]))
    await s.set('resume/def', new Uint8Array([4]))
    await s.set('settings', new Uint8Array([9]))
    await s.set('../escape:..', new Uint8Array([7]))
    expect(Array.from((await s.get('resume/abc'))!)).toEqual([1, 2, 3])
    expect(await s.keys('resume/')).toEqual(['resume/abc', 'resume/def'])
    expect(Array.from((await s.get('../escape:..'))!)).toEqual([7])
    // every key lives inside the store directory as a single file, no temp files left over
    const files = await readdir(s.dir)
    expect(files.length).toBe(4)
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false)
    await s.delete('resume/abc')
    expect(await s.get('resume/abc')).toBeNull()
    expect(await s.keys('resume/')).toEqual(['resume/def'])
    await s.delete('never-set')
  })

  it('overwrites a value', async () => {
    const s = await fresh()
    await s.set('k', new Uint8Array([1]))
    await s.set('k', new Uint8Array([2, 2]))
    expect(Array.from((await s.get('k'))!)).toEqual([2, 2])
  })

  it('a write that fails on a full disk leaves no temp file and keeps the old value', async () => {
    let full = false
    // As a full disk does: the temp file is created (and partly written), then the write fails.
    const s = await fresh({
      writeFile: async (path, data) => {
        if (!full) return writeFile(path, data)
        await writeFile(path, data.subarray(0, 1))
        throw enospc()
      },
      rename,
    })
    await s.set('resume/a', new Uint8Array([1, 2, 3]))
    full = true
    await expect(s.set('resume/a', new Uint8Array([4, 5, 6]))).rejects.toMatchObject({ code: 'ENOSPC' })
    await expect(s.set('resume/b', new Uint8Array([7]))).rejects.toMatchObject({ code: 'ENOSPC' })
    expect(await readdir(s.dir)).toEqual(['resume%2Fa.bin'])
    expect(Array.from((await s.get('resume/a'))!)).toEqual([1, 2, 3])
  })

  it('a rename that fails removes the temp file too', async () => {
    const s = await fresh({ writeFile, rename: async () => Promise.reject(enospc()) })
    await expect(s.set('k', new Uint8Array([1]))).rejects.toMatchObject({ code: 'ENOSPC' })
    expect(await readdir(s.dir)).toEqual([])
  })

  it("sweeps temp files left by a writer that died, and keeps a live writer's", async () => {
    const s = await fresh()
    await s.set('k', new Uint8Array([1]))
    const again = new DirStateStore(s.dir)
    // a pid far above pid_max (4194304) is never alive; our own parent is
    const dead = join(s.dir, 'resume%2Fa.bin.99999999.3.tmp')
    const live = join(s.dir, `resume%2Fb.bin.${process.ppid}.1.tmp`)
    const stray = join(s.dir, 'notes.tmp')
    for (const f of [dead, live, stray]) await writeFile(f, 'x')
    expect(Array.from((await again.get('k'))!)).toEqual([1]) // a read does not sweep
    await again.set('k2', new Uint8Array([2]))
    expect((await readdir(s.dir)).sort()).toEqual(
      ['k.bin', 'k2.bin', 'notes.tmp', `resume%2Fb.bin.${process.ppid}.1.tmp`].sort(),
    )
  })
})
