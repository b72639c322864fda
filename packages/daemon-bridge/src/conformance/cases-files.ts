import { createHash } from 'node:crypto'
import { Kind, Op } from '../protocol.ts'
import { check, rejectsWith, type ConformanceCase } from './harness.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

export const pathCases: ConformanceCase[] = [
  ...(
    [
      ['PATH-001', "a '../' path", '../escape.txt'],
      ['PATH-002', "a '..' segment in the middle", 'a/../../escape.txt'],
      ['PATH-003', 'an absolute path', '/etc/passwd'],
      ['PATH-004', 'a NUL byte', 'a\u0000b.txt'],
      ['PATH-005', 'backslash separators', '..\\escape.txt'],
    ] as const
  ).map(
    ([id, what, path]): ConformanceCase => ({
      id,
      title: `${what} is refused with bad-path`,
      async run(ctx) {
        const c = await ctx.client()
        await rejectsWith(c.files.open(ctx.root, path, { create: true }), 'bad-path', 'open')
        await rejectsWith(c.files.stat(ctx.root, path), 'bad-path', 'stat')
        await rejectsWith(c.files.mkdir(ctx.root, path), 'bad-path', 'mkdir')
        await rejectsWith(c.files.list(ctx.root, path), 'bad-path', 'list')
        await rejectsWith(c.files.remove(ctx.root, path), 'bad-path', 'remove')
        await rejectsWith(c.files.sha1(ctx.root, path, 0, 0), 'bad-path', 'sha1')
      },
    }),
  ),
  {
    id: 'PATH-006',
    title: 'an unknown root and a rename target outside the root are refused with bad-path',
    async run(ctx) {
      const c = await ctx.client()
      await rejectsWith(c.files.stat('no-such-root-xyz', 'a'), 'bad-path', 'unknown root')
      await c.files.mkdir(ctx.root, ctx.dir)
      const h = await c.files.open(ctx.root, `${ctx.dir}/r.txt`, { create: true })
      await h.close()
      await rejectsWith(c.files.rename(ctx.root, `${ctx.dir}/r.txt`, '../r.txt'), 'bad-path', 'rename to ..')
    },
  },
  {
    id: 'PATH-007',
    title: 'names in Cyrillic, CJK, Arabic, emoji round trip through create, list and read',
    async run(ctx) {
      const c = await ctx.client()
      const base = `${ctx.dir}/names`
      await c.files.mkdir(ctx.root, base)
      const names = ['Привет мир.txt', '文件 日本語.txt', 'ملف عربي.txt', '🙂🚀.txt', 'Ελληνικά/हिन्दी.txt']
      for (const n of names) {
        if (n.includes('/')) await c.files.mkdir(ctx.root, `${base}/${n.split('/')[0]}`)
        const h = await c.files.open(ctx.root, `${base}/${n}`, { create: true })
        await h.write(0, enc.encode(n))
        await h.close()
        const back = await c.files.open(ctx.root, `${base}/${n}`)
        check(dec.decode(await back.read(0, 1000)) === n, `content of ${n} differs`)
        await back.close()
      }
      const listed = (await c.files.list(ctx.root, base)).map((e) => e.name).sort()
      const want = names.map((n) => n.split('/')[0]).sort()
      check(JSON.stringify(listed) === JSON.stringify(want), `list: ${JSON.stringify(listed)}`)
    },
  },
]

export const fileCases: ConformanceCase[] = [
  {
    id: 'FILE-001',
    title: 'open/write/read at offsets, stat and truncate on a handle',
    async run(ctx) {
      const c = await ctx.client()
      await c.files.mkdir(ctx.root, `${ctx.dir}/f`)
      const h = await c.files.open(ctx.root, `${ctx.dir}/f/a.bin`, { create: true })
      const data = new Uint8Array(300_000).map((_, i) => (i * 13) & 255)
      await h.write(1000, data)
      check((await h.stat()).size === 301_000, 'size after write')
      const back = await h.read(1000, data.length)
      check(back.length === data.length && back.every((b, i) => b === data[i]), 'read back differs')
      const hole = await h.read(0, 1000)
      check(hole.length === 1000 && hole.every((b) => b === 0), 'gap before offset is not zeros')
      check((await h.read(300_990, 100)).length === 10, 'read at EOF not short')
      await h.truncate(10)
      check((await h.stat()).size === 10, 'truncate down')
      await h.truncate(5_000_000)
      check((await c.files.stat(ctx.root, `${ctx.dir}/f/a.bin`))?.size === 5_000_000, 'truncate up (preallocate)')
      await h.close()
    },
  },
  {
    id: 'FILE-002',
    title: 'open without create of a missing file is not-found; stat of a missing path is null',
    async run(ctx) {
      const c = await ctx.client()
      await rejectsWith(c.files.open(ctx.root, `${ctx.dir}/missing.bin`), 'not-found', 'open missing')
      check((await c.files.stat(ctx.root, `${ctx.dir}/missing.bin`)) === null, 'stat missing is not null')
    },
  },
  {
    id: 'FILE-003',
    title: 'mkdir (recursive), list, rename, remove',
    async run(ctx) {
      const c = await ctx.client()
      const d = `${ctx.dir}/tree`
      await c.files.mkdir(ctx.root, `${d}/x/y/z`)
      await c.files.mkdir(ctx.root, `${d}/x/y/z`) // existing is fine
      const h = await c.files.open(ctx.root, `${d}/x/file.txt`, { create: true })
      await h.write(0, enc.encode('12345'))
      await h.close()
      const l = await c.files.list(ctx.root, `${d}/x`)
      const f = l.find((e) => e.name === 'file.txt')
      const y = l.find((e) => e.name === 'y')
      check(f?.size === 5 && f.isDirectory === false, 'file entry')
      check(y?.isDirectory === true, 'dir entry')
      await c.files.rename(ctx.root, `${d}/x/file.txt`, `${d}/moved.txt`)
      check((await c.files.stat(ctx.root, `${d}/x/file.txt`)) === null, 'old name still there')
      check((await c.files.stat(ctx.root, `${d}/moved.txt`))?.size === 5, 'new name missing')
      await c.files.remove(ctx.root, `${d}/moved.txt`)
      await rejectsWith(c.files.remove(ctx.root, `${d}/moved.txt`), 'not-found', 'remove missing')
      await c.files.remove(ctx.root, d, { recursive: true })
      check((await c.files.stat(ctx.root, d)) === null, 'recursive remove left the tree')
    },
  },
  {
    id: 'FILE-004',
    title: 'sha1 of a byte range; a range past the end is invalid',
    async run(ctx) {
      const c = await ctx.client()
      await c.files.mkdir(ctx.root, ctx.dir)
      const data = new Uint8Array(3_000_000).map((_, i) => (i * 7 + (i >> 11)) & 255)
      const h = await c.files.open(ctx.root, `${ctx.dir}/h.bin`, { create: true })
      await h.write(0, data)
      await h.close()
      const got = Buffer.from(await c.files.sha1(ctx.root, `${ctx.dir}/h.bin`, 12345, 2_000_000)).toString('hex')
      const want = createHash('sha1')
        .update(data.subarray(12345, 12345 + 2_000_000))
        .digest('hex')
      check(got === want, `sha1 ${got} != ${want}`)
      await rejectsWith(c.files.sha1(ctx.root, `${ctx.dir}/h.bin`, 2_999_999, 2), 'invalid', 'past end')
    },
  },
  {
    id: 'FILE-005',
    title: 'a read longer than maxIoBytes is too-large; a closed handle is closed',
    async run(ctx) {
      const c = await ctx.client()
      await c.files.mkdir(ctx.root, ctx.dir)
      const r = await ctx.raw({ hello: true })
      r.request(2, Op.fileOpen, { root: ctx.root, path: `${ctx.dir}/big.bin`, create: true })
      const o = await r.reply(2)
      check(o?.kind === Kind.REPLY, 'open failed')
      const handle = o!.meta.handle as number
      r.request(3, Op.fileRead, { handle, offset: 0, length: c.limits.maxIoBytes + 1 })
      const f = await r.reply(3)
      check(f?.kind === Kind.ERROR && f.meta.code === 'too-large', `expected too-large, got ${JSON.stringify(f?.meta)}`)
      r.request(4, Op.fileClose, { handle })
      await r.reply(4)
      r.request(5, Op.fileRead, { handle, offset: 0, length: 1 })
      const g = await r.reply(5)
      check(g?.kind === Kind.ERROR && g.meta.code === 'closed', `expected closed, got ${JSON.stringify(g?.meta)}`)
    },
  },
]
