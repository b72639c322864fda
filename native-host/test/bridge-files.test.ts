import { createHash } from 'node:crypto'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BridgeClient } from '@tidepool/daemon-bridge'
import { testDaemon, type TestDaemon } from './helpers.ts'

let d: TestDaemon
let c: BridgeClient
let outside: string
beforeAll(async () => {
  d = await testDaemon()
  c = await d.connect()
  outside = join(d.dir, '..', `outside-${process.pid}-${Date.now()}`)
  await mkdir(outside, { recursive: true })
  await writeFile(join(outside, 'secret.txt'), 'secret')
})
afterAll(async () => {
  await d.stop()
})

describe('bridge files', () => {
  it('the Node entry client (zero mask, arena reads, pooled sends) writes and reads back 5 MiB intact', async () => {
    const n = await d.connect({ node: true })
    const h = await n.files.open('scratch', 'node-entry.bin', { create: true })
    const big = Buffer.alloc(5 * 1024 * 1024 + 7)
    for (let i = 0; i < big.length; i++) big[i] = (i * 17 + (i >> 11)) & 255
    // 14 concurrent writes: more than the 8 pooled send buffers (reuse + fallback), plus one over a buffer's size.
    const writes = [h.write(0, big.subarray(0, 1_500_000))]
    for (let at = 1_500_000; at < big.length; at += 300_000)
      writes.push(h.write(at, big.subarray(at, Math.min(big.length, at + 300_000))))
    await Promise.all(writes)
    expect(Buffer.from(await h.read(0, big.length)).equals(big)).toBe(true)
    expect((await readFile(join(d.dir, 'node-entry.bin'))).equals(big)).toBe(true)
    await h.close()
  })

  it('announces its roots', () => {
    expect(c.files.roots()).toEqual(['scratch'])
  })

  it('open/write/read/stat/truncate/close round trip, reads larger than maxIoBytes split', async () => {
    const f = await c.files.open('scratch', 'a/b.bin', { create: true }).catch((e) => e)
    expect(f).toMatchObject({ code: 'not-found' }) // parent missing
    await c.files.mkdir('scratch', 'a/deep/er')
    const h = await c.files.open('scratch', 'a/b.bin', { create: true })
    const big = Buffer.alloc(5 * 1024 * 1024 + 3)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255
    await h.write(10, big)
    expect((await h.stat()).size).toBe(big.length + 10)
    const back = await h.read(10, big.length)
    expect(Buffer.from(back).equals(big)).toBe(true)
    expect((await h.read(big.length + 5, 100)).length).toBe(5) // short at EOF
    await h.truncate(100)
    expect((await c.files.stat('scratch', 'a/b.bin'))?.size).toBe(100)
    await h.truncate(1 << 20) // preallocate/extend
    expect((await h.stat()).size).toBe(1 << 20)
    await h.close()
    await expect(h.read(0, 1)).rejects.toMatchObject({ code: 'closed' })
    const ro = await c.files.open('scratch', 'a/b.bin')
    await expect(ro.write(0, new Uint8Array(1))).rejects.toMatchObject({ code: 'closed' }) // EBADF
    await ro.close()
  })

  it('stat/list/rename/remove/sha1', async () => {
    await writeFile(join(d.dir, 'x.txt'), 'hello world')
    expect(await c.files.stat('scratch', 'nope')).toBeNull()
    expect(await c.files.stat('scratch', 'x.txt')).toMatchObject({ size: 11, isDirectory: false })
    const sha = await c.files.sha1('scratch', 'x.txt', 6, 5)
    expect(Buffer.from(sha).toString('hex')).toBe(createHash('sha1').update('world').digest('hex'))
    await expect(c.files.sha1('scratch', 'x.txt', 6, 6)).rejects.toMatchObject({ code: 'invalid' })
    await c.files.rename('scratch', 'x.txt', 'y.txt')
    const names = (await c.files.list('scratch', '')).map((e) => e.name)
    expect(names).toContain('y.txt')
    expect(names).not.toContain('x.txt')
    await c.files.remove('scratch', 'y.txt')
    await expect(c.files.remove('scratch', 'y.txt')).rejects.toMatchObject({ code: 'not-found' })
    await c.files.mkdir('scratch', 'tree/sub')
    await expect(c.files.remove('scratch', 'tree')).rejects.toMatchObject({ code: 'exists' })
    await c.files.remove('scratch', 'tree', { recursive: true })
    await expect(c.files.remove('scratch', '')).rejects.toMatchObject({ code: 'bad-path' })
  })

  it('round-trips names in Cyrillic, CJK, Arabic, emoji and combining marks', async () => {
    for (const name of ['Привет мир', '文件夹/日本語.txt', 'ملف عربي', '🙂🚀 emoji', 'e\u0301te\u0301']) {
      const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : ''
      if (dir) await c.files.mkdir('scratch', dir)
      const h = await c.files.open('scratch', name, { create: true })
      await h.write(0, new TextEncoder().encode(name))
      await h.close()
      expect(await readFile(join(d.dir, name), 'utf8')).toBe(name)
      const base = name.slice(name.lastIndexOf('/') + 1)
      expect((await c.files.list('scratch', dir)).map((e) => e.name)).toContain(base)
    }
  })

  it('refuses path attacks with bad-path', async () => {
    const attacks = ['../x', 'a/../../x', '/etc/passwd', 'a\0b', 'a\\..\\x', '..', 'C:/x']
    for (const p of attacks) {
      await expect(c.files.open('scratch', p, { create: true }), p).rejects.toMatchObject({ code: 'bad-path' })
      await expect(c.files.stat('scratch', p), p).rejects.toMatchObject({ code: 'bad-path' })
    }
    await expect(c.files.stat('nope', 'x')).rejects.toMatchObject({ code: 'bad-path' })
    await expect(c.files.rename('scratch', 'x', '../x')).rejects.toMatchObject({ code: 'bad-path' })
  })

  it('refuses symlinks leading out of the root, for the file itself and for a parent', async () => {
    await symlink(join(outside, 'secret.txt'), join(d.dir, 'link-file'))
    await symlink(outside, join(d.dir, 'link-dir'))
    await symlink('.', join(d.dir, 'link-self')) // stays inside: allowed
    for (const p of ['link-file', 'link-dir/secret.txt', 'link-dir/new.txt', 'link-dir/sub/new.txt']) {
      await expect(c.files.open('scratch', p, { create: true }), p).rejects.toMatchObject({ code: 'bad-path' })
    }
    await expect(c.files.sha1('scratch', 'link-file', 0, 6)).rejects.toMatchObject({ code: 'bad-path' })
    await expect(c.files.list('scratch', 'link-dir')).rejects.toMatchObject({ code: 'bad-path' })
    await expect(c.files.mkdir('scratch', 'link-dir/evil')).rejects.toMatchObject({ code: 'bad-path' })
    await expect(c.files.remove('scratch', 'link-dir/secret.txt')).rejects.toMatchObject({ code: 'bad-path' })
    expect(await c.files.stat('scratch', 'link-self/link-self')).toMatchObject({ isDirectory: true })
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret')
  })
})
