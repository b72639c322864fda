import { createHash } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectBridge, type BridgeClient } from '@tidepool/daemon-bridge'
import { startDaemon, type RunningDaemon } from '../src/index.ts'
import { copyVerified, PART_SUFFIX } from '../src/daemon/move-ops.ts'
import { writeGrant } from '../src/daemon/root-grants.ts'
import { TOKEN, WS } from './helpers.ts'

// /dev/shm is a tmpfs: a move between it and the temp directory's disk is a real copy (EXDEV).
const SHM = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev ? '/dev/shm' : null

let base: string
let shmBase: string | null = null
let daemon: RunningDaemon
let c: BridgeClient
let grantsFile: string
const dirs: Record<string, string> = {}

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = (i * seed + (i >> 9)) & 255
  return b
}
const sha = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'tp-roots-'))
  for (const n of ['downloads', 'music', 'other']) {
    dirs[n] = join(base, n)
    await mkdir(dirs[n]!)
  }
  if (SHM) {
    shmBase = await mkdtemp(join(SHM, 'tp-roots-'))
    dirs.fast = shmBase
  }
  grantsFile = join(base, 'config.json')
  await writeGrant(grantsFile, 'music', dirs.music!)
  daemon = await startDaemon({ token: TOKEN, roots: { downloads: dirs.downloads! }, grantsFile })
  c = await connectBridge({ url: daemon.url, token: TOKEN, WebSocketImpl: WS })
})
afterAll(async () => {
  c?.close()
  await daemon?.close()
  await rm(base, { recursive: true, force: true })
  if (shmBase) await rm(shmBase, { recursive: true, force: true })
})

describe('granted roots', () => {
  it('serves the command-line root and the granted ones, and announces both capabilities', () => {
    expect(c.files.roots().sort()).toEqual(['downloads', 'music'])
    expect(c.capabilities.has('root-grants')).toBe(true)
    expect(c.capabilities.has('fs-move')).toBe(true)
  })

  it('a root granted in the file (outside the protocol) appears on roots.list; a revoked one goes', async () => {
    await writeGrant(grantsFile, 'other', dirs.other!)
    await c.files.refreshRoots!()
    expect(c.files.roots().sort()).toEqual(['downloads', 'music', 'other'])
    expect(c.files.rootPath('other')).toBe(dirs.other)
    await c.files.revokeRoot!('other')
    expect(c.files.roots().sort()).toEqual(['downloads', 'music'])
    expect(JSON.parse(await readFile(grantsFile, 'utf8')).roots).toEqual({ music: dirs.music })
    await expect(c.files.stat('other', '')).rejects.toMatchObject({ code: 'bad-path' })
  })

  it('a client cannot revoke the command-line root, nor grant itself anything', async () => {
    await expect(c.files.revokeRoot!('downloads')).rejects.toMatchObject({ code: 'invalid' })
    // roots.list takes no arguments: a folder named in the request is ignored
    await c.request(46, { roots: { mine: '/etc' } })
    expect(c.files.roots()).not.toContain('mine')
  })

  it('a file open under a root that is revoked meanwhile refuses further reads and writes', async () => {
    await writeGrant(grantsFile, 'other', dirs.other!)
    await c.files.refreshRoots!()
    await writeFile(join(dirs.other!, 'open.bin'), 'hello')
    const h = await c.files.open('other', 'open.bin', { write: true })
    expect(Buffer.from(await h.read(0, 5)).toString()).toBe('hello')
    await writeGrant(grantsFile, 'other', null) // the owner withdraws it from the terminal
    await c.files.refreshRoots!()
    await expect(h.read(0, 5)).rejects.toMatchObject({ code: 'bad-path' })
    await expect(h.write(0, Buffer.from('x'))).rejects.toMatchObject({ code: 'closed' }) // closed by the refusal
    expect(await readFile(join(dirs.other!, 'open.bin'), 'utf8')).toBe('hello')
  })
})

describe('fs.move', () => {
  it('moves a directory tree to another root on the same filesystem (rename)', async () => {
    await mkdir(join(dirs.downloads!, 'Album/cd1'), { recursive: true })
    const a = bytes(300_000, 7)
    await writeFile(join(dirs.downloads!, 'Album/cd1/a.bin'), a)
    await writeFile(join(dirs.downloads!, 'Album/b.txt'), 'bee')
    const seen: number[] = []
    await c.files.move!('downloads', 'Album', 'music', 'sub/Album', (d) => seen.push(d))
    expect(existsSync(join(dirs.downloads!, 'Album'))).toBe(false)
    expect(sha(await readFile(join(dirs.music!, 'sub/Album/cd1/a.bin')))).toBe(sha(a))
    expect(await readFile(join(dirs.music!, 'sub/Album/b.txt'), 'utf8')).toBe('bee')
  })

  it.skipIf(!SHM)('copies, verifies and removes across filesystems, with progress and the mtime kept', async () => {
    await writeGrant(grantsFile, 'fast', dirs.fast!)
    await c.files.refreshRoots!()
    const big = bytes(5 * 1024 * 1024 + 11, 13)
    await mkdir(join(dirs.music!, 'Big'))
    await writeFile(join(dirs.music!, 'Big/big.bin'), big)
    const mtime = statSync(join(dirs.music!, 'Big/big.bin')).mtimeMs
    const seen: Array<[number, number]> = []
    await c.files.move!('music', 'Big', 'fast', 'in/Big', (d, t) => seen.push([d, t]))
    expect(existsSync(join(dirs.music!, 'Big'))).toBe(false)
    expect(sha(await readFile(join(dirs.fast!, 'in/Big/big.bin')))).toBe(sha(big))
    expect(Math.round(statSync(join(dirs.fast!, 'in/Big/big.bin')).mtimeMs)).toBe(Math.round(mtime))
    expect(seen.at(-1)).toEqual([big.length, big.length])
    expect((await readdir(join(dirs.fast!, 'in/Big'))).some((n) => n.endsWith(PART_SUFFIX))).toBe(false)
  })

  it('refuses a target outside every root, a source outside its root, and an existing target', async () => {
    await writeFile(join(dirs.downloads!, 'f.txt'), 'f')
    await expect(c.files.move!('downloads', 'f.txt', 'music', '../escape.txt')).rejects.toMatchObject({
      code: 'bad-path',
    })
    await expect(c.files.move!('downloads', 'f.txt', 'nowhere', 'x')).rejects.toMatchObject({ code: 'bad-path' })
    await expect(c.files.move!('downloads', '../config.json', 'music', 'stolen.json')).rejects.toMatchObject({
      code: 'bad-path',
    })
    await symlink(join(base, 'config.json'), join(dirs.downloads!, 'link.json'))
    await expect(c.files.move!('downloads', 'link.json', 'music', 'link.json')).rejects.toMatchObject({
      code: 'bad-path',
    })
    await writeFile(join(dirs.music!, 'f.txt'), 'there')
    await expect(c.files.move!('downloads', 'f.txt', 'music', 'f.txt')).rejects.toMatchObject({ code: 'exists' })
    await expect(c.files.move!('downloads', '', 'music', 'all')).rejects.toMatchObject({ code: 'bad-path' })
    expect(await readFile(join(dirs.downloads!, 'f.txt'), 'utf8')).toBe('f')
    expect(existsSync(join(base, 'escape.txt'))).toBe(false)
  })

  it('a copy that fails half-way removes what it placed and leaves every source file whole', async () => {
    const src = join(base, 'copy-src')
    const dst = join(base, 'copy-dst')
    await mkdir(src)
    const files = [0, 1, 2].map((i) => ({ name: `f${i}`, data: bytes(200_000 + i, 3 + i) }))
    for (const f of files) await writeFile(join(src, f.name), f.data)
    let copied = 0
    const list = files.map((f) => {
      const st = statSync(join(src, f.name))
      return { from: join(src, f.name), to: join(dst, f.name), size: f.data.length, mtime: st.mtime, atime: st.atime }
    })
    // cancelled once the second file is under way: the first was already renamed into place
    const control = {
      get cancelled() {
        return copied > 250_000
      },
      progress(n: number) {
        copied += n
      },
    }
    await expect(copyVerified(list, dst, control)).rejects.toMatchObject({ code: 'closed' })
    expect(await readdir(dst).catch(() => [])).toEqual([])
    for (const f of files) expect(sha(await readFile(join(src, f.name)))).toBe(sha(f.data))
  })

  it('a daemon without the capability offers no move to the engine', async () => {
    const d2 = await startDaemon({ token: TOKEN, roots: { downloads: dirs.downloads! }, fsMove: false })
    const c2 = await connectBridge({ url: d2.url, token: TOKEN, WebSocketImpl: WS })
    try {
      expect(c2.files.move).toBeUndefined()
      expect(c2.files.refreshRoots).toBeUndefined()
      await expect(
        c2.request(48, { fromRoot: 'downloads', from: 'f.txt', toRoot: 'downloads', to: 'g' }),
      ).rejects.toMatchObject({
        code: 'unsupported',
      })
    } finally {
      c2.close()
      await d2.close()
    }
  })
})
