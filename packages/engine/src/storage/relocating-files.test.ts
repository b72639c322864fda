import { describe, expect, it } from 'vitest'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { RelocatingFiles } from './relocating-files.ts'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

describe('RelocatingFiles', () => {
  it('holds I/O on the file being moved until it is in place, then a handle opened before follows it', async () => {
    const port = new MemoryFilePort({ roots: ['a', 'b'] })
    port.put('a', 'x/f.bin', bytes('hello'))
    const files = new RelocatingFiles(port)
    const h = await files.open('a', 'x/f.bin', { write: true })
    let release!: () => void
    const moving = files.relocate('a', 'x/f.bin', 'b', 'y/f.bin', async () => {
      await new Promise<void>((r) => {
        release = r
      })
      await port.mkdir('b', 'y')
      await port.move('a', 'x/f.bin', 'b', 'y/f.bin')
    })
    let wrote = false
    const write = h.write(5, bytes(' world')).then(() => {
      wrote = true
    })
    await new Promise((r) => setTimeout(r, 10))
    expect(wrote).toBe(false) // waiting for the move
    release()
    await moving
    await write
    expect(text(await h.read(0, 11))).toBe('hello world')
    expect(text(port.peek('b', 'y/f.bin')!)).toBe('hello world')
    expect(port.peek('a', 'x/f.bin')).toBeNull()
    expect(await files.stat('a', 'x/f.bin')).toMatchObject({ size: 11 })
  })

  it('a failed move leaves the file where it was, served as before', async () => {
    const port = new MemoryFilePort({ roots: ['a', 'b'] })
    port.put('a', 'f', bytes('data'))
    const files = new RelocatingFiles(port)
    await expect(
      files.relocate('a', 'f', 'b', 'f', async () => {
        throw new Error('disk gone')
      }),
    ).rejects.toThrow('disk gone')
    expect(files.where('a', 'f')).toEqual({ root: 'a', path: 'f' })
    expect(text(await (await files.open('a', 'f')).read(0, 4))).toBe('data')
  })

  it('after the whole folder moved, folders and files never written map to the new place too', () => {
    const files = new RelocatingFiles(new MemoryFilePort({ roots: ['a', 'b'] }))
    files.setBase('a', 'old', 'b', 'new/place')
    expect(files.where('a', 'old/set/c.bin')).toEqual({ root: 'b', path: 'new/place/set/c.bin' })
    expect(files.where('a', 'old')).toEqual({ root: 'b', path: 'new/place' })
    expect(files.where('a', 'older/x')).toEqual({ root: 'a', path: 'older/x' })
    files.setBase('a', '', 'b', '')
    expect(files.where('a', 'set/c.bin')).toEqual({ root: 'b', path: 'set/c.bin' })
  })
})
