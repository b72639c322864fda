import { describe, expect, it } from 'vitest'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { ManualClock } from '../util/clock.ts'
import { BLOCK_SIZE } from './file-map.ts'
import { recheck } from './recheck.ts'
import { ResumeSaver } from './resume-saver.ts'
import { decodeResume, encodeResume, loadResume, resumeKey, saveResume } from './resume-state.ts'
import { makeTorrent } from './test-layout.ts'
import type { TestTorrent } from './test-layout.ts'
import { TorrentStorage } from './torrent-storage.ts'

const PL = BLOCK_SIZE
const KEY = resumeKey('AB'.repeat(20))

async function feed(s: TorrentStorage, t: TestTorrent, p: number) {
  return s.writeBlock(p, 0, t.piece(p))
}

/** a: pieces 0..2 (last straddles into b), b: pieces 2..5, c: pieces 5..7 */
async function setup() {
  let now = 1_000
  const t = await makeTorrent(
    [
      ['d/a', 2 * PL + 500],
      ['d/b', 3 * PL],
      ['d/c', 2 * PL],
    ],
    PL,
  )
  const fp = new MemoryFilePort({ now: () => now })
  const store = new MemoryStateStore()
  const open = () => new TorrentStorage(fp, t.layout, { root: 'downloads', maxOpenFiles: 2 })
  return { t, fp, store, open, tick: () => (now += 1000) }
}

describe('recheck', () => {
  it('finds verified data on disk, by size first, with progress', async () => {
    const { t, fp, open } = await setup()
    const s1 = open()
    for (const p of [0, 1, 3, 6]) await feed(s1, t, p)
    await s1.close()
    const s2 = open()
    const progress: number[] = []
    const r = await recheck(s2, { concurrency: 3, onProgress: (d, n) => progress.push(d / n) })
    expect([...Array(t.layout.pieceCount).keys()].filter((p) => s2.have.has(p))).toEqual([0, 1, 3, 6])
    // pieces 2, 4, 5 and 7 reach past the end of short files: decided by size alone, never hashed
    expect(r).toEqual({ hashed: 4, verified: 4, missing: 4, aborted: false })
    expect(progress.at(-1)).toBe(1)
    // pieces inside one file are hashed by the port, not read
    expect(fp.ops.sha1).toBeGreaterThan(0)
  })

  it('treats a missing file as missing pieces without reading', async () => {
    const { t, fp, open } = await setup()
    const s = open()
    const r = await recheck(s)
    expect(r).toEqual({ hashed: 0, verified: 0, missing: t.layout.pieceCount, aborted: false })
    expect(fp.ops.read + fp.ops.sha1).toBe(0)
  })
})

describe('resume state', () => {
  it('round-trips and rejects state that does not fit', async () => {
    const st = {
      version: 1 as const,
      pieceCount: 10,
      have: new Uint8Array([0x81, 0x40]),
      files: [{ size: 5, mtimeMs: 1.5 }, null],
      priorities: ['high' as const, 'skip' as const],
      savedAt: 7,
    }
    expect(decodeResume(encodeResume(st), 10, 2)).toEqual(st)
    expect(decodeResume(encodeResume(st), 11, 2)).toBeNull()
    expect(decodeResume(encodeResume(st), 10, 3)).toBeNull()
    expect(decodeResume(new TextEncoder().encode('{garbage'), 10, 2)).toBeNull()
  })

  it('trusts the saved bitfield when files are unchanged (no hashing)', async () => {
    const { t, fp, store, open } = await setup()
    const s1 = open()
    await s1.setFilePriorities(['normal', 'normal', 'skip'])
    for (const p of [0, 1, 2, 4]) await feed(s1, t, p)
    await saveResume(s1, store, KEY, 5)
    await s1.close()
    const hashOps = fp.ops.sha1 + fp.ops.read
    const s2 = open()
    const r = await loadResume(s2, store, KEY)
    expect(r).toEqual({ source: 'trusted', trusted: 4, recheck: null })
    expect(s2.filePriorities()).toEqual(['normal', 'normal', 'skip'])
    expect(fp.ops.sha1 + fp.ops.read).toBe(hashOps)
  })

  it('rechecks only pieces touching files that changed after the save', async () => {
    const { t, fp, store, open, tick } = await setup()
    const s1 = open()
    for (const p of [0, 1, 6]) await feed(s1, t, p)
    await saveResume(s1, store, KEY, 5)
    tick()
    await feed(s1, t, 3) // written after the save: b changed; the crash loses nothing verified
    await s1.close()
    const s2 = open()
    const r = await loadResume(s2, store, KEY)
    expect(r.source).toBe('partial')
    expect(r.trusted).toBe(3) // 0, 1 (a unchanged) and 6 (c unchanged)
    expect(r.recheck?.verified).toBe(1) // piece 3 found on disk
    expect([...Array(t.layout.pieceCount).keys()].filter((p) => s2.have.has(p))).toEqual([0, 1, 3, 6])
    // a file truncated behind our back: its pieces are rechecked and dropped
    const h = await fp.open('downloads', 'd/a', { write: true })
    await h.truncate(100)
    await h.close()
    const s3 = open()
    const r3 = await loadResume(s3, store, KEY)
    expect(s3.have.has(0)).toBe(false)
    expect(s3.have.has(6)).toBe(true)
    expect(r3.source).toBe('partial')
  })

  it('falls back to a full recheck without saved state', async () => {
    const { t, store, open } = await setup()
    const s1 = open()
    await feed(s1, t, 5)
    await s1.close()
    const r = await loadResume(open(), store, KEY)
    expect(r.source).toBe('none')
    expect(r.recheck?.verified).toBe(1)
  })

  it('ResumeSaver saves periodically when dirty and on stop', async () => {
    const { t, store, open } = await setup()
    const s = open()
    const clock = new ManualClock(0)
    const saver = new ResumeSaver(s, store, KEY, clock, 1000)
    saver.start()
    clock.advance(1000)
    await new Promise((r) => setTimeout(r, 0))
    await saver.saveNow() // waits for the tick's save; one more (nothing changed, but explicit)
    const before = saver.saves
    clock.advance(1000) // not dirty: no save
    await feed(s, t, 0)
    expect(saver.saves).toBe(before)
    expect(saver.dirty()).toBe(true)
    await saver.stop()
    expect(clock.pending()).toBe(0)
    const back = decodeResume((await store.get(KEY))!, t.layout.pieceCount, 3)!
    expect(back.have[0]).toBe(0x80)
  })
})
