import { describe, expect, it } from 'vitest'
import { MemoryStateStore } from './memory-state.ts'
import { IoError } from './ports.ts'

describe('MemoryStateStore', () => {
  it('stores copies, lists keys by prefix, deletes', async () => {
    const s = new MemoryStateStore()
    const v = new Uint8Array([1, 2])
    await s.set('resume/a', v)
    v[0] = 9
    await s.set('resume/b', new Uint8Array([3]))
    await s.set('settings', new Uint8Array([4]))
    expect(await s.get('resume/a')).toEqual(new Uint8Array([1, 2]))
    expect(await s.keys('resume/')).toEqual(['resume/a', 'resume/b'])
    await s.delete('resume/a')
    expect(await s.get('resume/a')).toBeNull()
  })

  it('can be made to fail writes', async () => {
    const s = new MemoryStateStore()
    s.failWrites = new IoError('no-space', 'full')
    await expect(s.set('k', new Uint8Array(1))).rejects.toMatchObject({ code: 'no-space' })
    expect(await s.get('k')).toBeNull()
  })
})
