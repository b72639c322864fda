import { describe, expect, it } from 'vitest'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { bytesEqual } from '../util/bytes.ts'
import { IoError } from '../platform/ports.ts'
import { BLOCK_SIZE, blockCount, pieceSize } from './file-map.ts'
import { HandleCache } from './handle-cache.ts'
import { makeTorrent } from './test-layout.ts'
import type { TestTorrent } from './test-layout.ts'
import { HashJobLost } from '../platform/piece-hashers.ts'
import { TorrentStorage } from './torrent-storage.ts'

const PL = 2 * BLOCK_SIZE
/** toEqual on big typed arrays is slow; compare bytes directly. */
const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && bytesEqual(a, b)

/** Feeds every block of piece `p` (optionally corrupted) and returns the last result. */
async function feedPiece(s: TorrentStorage, t: TestTorrent, p: number, from = 'peer', corrupt = false) {
  const data = t.piece(p)
  if (corrupt) data[0]! ^= 0xff
  let last: Awaited<ReturnType<TorrentStorage['writeBlock']>> | undefined
  for (let b = 0; b < blockCount(t.layout, p); b++) {
    last = await s.writeBlock(
      p,
      b * BLOCK_SIZE,
      data.subarray(b * BLOCK_SIZE, Math.min(data.length, (b + 1) * BLOCK_SIZE)),
      from,
    )
  }
  return last
}

// A multi-file torrent: nested dirs, a non-Latin name, a 0-byte file, a padding file, files that straddle pieces.
async function multi() {
  return makeTorrent(
    [
      ['Album/01 intro.flac', 40_000],
      ['Album/空 empty.txt', 0],
      ['Album/02 ñandú.flac', PL + 5_000],
      ['.pad/1', 15_000, true],
      ['Album/sub/cover.jpg', 3 * PL + 77],
    ],
    PL,
  )
}

describe('TorrentStorage', () => {
  it('writes verified pieces across file boundaries and produces the exact files', async () => {
    const t = await multi()
    const fp = new MemoryFilePort()
    const s = new TorrentStorage(fp, t.layout, { root: 'downloads', baseDir: 'dl' })
    await s.prepare()
    expect(fp.peek('downloads', 'dl/Album/空 empty.txt')).toEqual(new Uint8Array(0))
    // out of order, blocks of two pieces interleaved
    const order = [...Array(t.layout.pieceCount).keys()].reverse()
    for (const p of order) {
      const r = await feedPiece(s, t, p, `peer${p}`)
      expect(r).toEqual({ status: 'verified', piece: p, contributors: [`peer${p}`] })
    }
    expect(s.isComplete()).toBe(true)
    for (const i of [0, 2, 4])
      expect(same(fp.peek('downloads', `dl/${t.layout.files[i]!.path}`), t.fileData(i))).toBe(true)
    expect(fp.peek('downloads', 'dl/.pad/1')).toBeNull()
    expect(s.bufferedBytes).toBe(0)
    // reads for uploading, including a range crossing a file boundary and padding
    const p1 = t.piece(1)
    expect(same(await s.readBlock(1, 0, p1.length), p1)).toBe(true)
    const last = t.layout.pieceCount - 1
    expect(same(await s.readBlock(last, 0, pieceSize(t.layout, last)), t.piece(last))).toBe(true)
    await s.close()
    expect(fp.openHandles).toBe(0)
  })

  it('writes each piece with one write per file segment', async () => {
    const t = await makeTorrent([['one.bin', 8 * PL]], PL)
    const fp = new MemoryFilePort()
    const s = new TorrentStorage(fp, t.layout, { root: 'downloads' })
    for (let p = 0; p < 8; p++) await feedPiece(s, t, p)
    expect(fp.ops.write).toBe(8)
    expect(fp.ops.open).toBe(1)
  })

  it("opens a piece's files when its first block arrives, so the write does not wait for them", async () => {
    const t = await makeTorrent(
      [
        ['d/a', PL + 100],
        ['e/b', 2 * PL],
      ],
      PL,
    ) // piece 1 spans a and b
    const fp = new MemoryFilePort()
    const s = new TorrentStorage(fp, t.layout, { root: 'downloads' })
    expect(await s.writeBlock(1, 0, t.piece(1).subarray(0, BLOCK_SIZE))).toEqual({ status: 'buffered' })
    await new Promise((r) => setTimeout(r, 0)) // the opens run in the background
    expect(fp.ops.open).toBe(2) // both files of piece 1, before the piece is complete
    expect(fp.ops.write).toBe(0)
    expect(s.openFiles).toBe(2)
    expect(await fp.stat('downloads', 'e/b')).toMatchObject({ isDirectory: false, size: 0 })
    // the write then uses those handles: no further opens
    expect(await s.writeBlock(1, BLOCK_SIZE, t.piece(1).subarray(BLOCK_SIZE))).toMatchObject({ status: 'verified' })
    expect(fp.ops.open).toBe(2)
    expect(fp.ops.write).toBe(2)
    // a piece started just before close: its files are not opened after the handles were closed
    const d = await makeTorrent([['f/c', PL]], PL)
    const fp2 = new MemoryFilePort()
    const s2 = new TorrentStorage(fp2, d.layout, { root: 'downloads' })
    const buffered = s2.writeBlock(0, 0, d.piece(0).subarray(0, BLOCK_SIZE)) // its folder is being made…
    const closed = s2.close() // …when the torrent stops
    expect(await buffered).toEqual({ status: 'buffered' })
    await closed
    await new Promise((r) => setTimeout(r, 0))
    expect(fp2.ops.open).toBe(0)
    expect(s2.openFiles).toBe(0)
  })

  it('reports a corrupt piece with its contributors, writes nothing, and accepts it again', async () => {
    const t = await makeTorrent([['a', 3 * PL]], PL)
    const fp = new MemoryFilePort()
    const s = new TorrentStorage(fp, t.layout, { root: 'downloads' })
    const data = t.piece(1)
    await s.writeBlock(1, 0, data.subarray(0, BLOCK_SIZE), 'good')
    const bad = data.slice(BLOCK_SIZE)
    bad[5]! ^= 1
    expect(await s.writeBlock(1, BLOCK_SIZE, bad, 'evil')).toEqual({
      status: 'failed',
      piece: 1,
      contributors: ['good', 'evil'],
    })
    expect(s.have.has(1)).toBe(false)
    expect(fp.ops.write).toBe(0)
    expect(s.bufferedBytes).toBe(0)
    expect(await feedPiece(s, t, 1, 'good')).toMatchObject({ status: 'verified' })
  })

  it('ignores duplicate blocks and blocks of verified pieces, refuses bad ranges', async () => {
    const t = await makeTorrent([['a', 2 * PL + 100]], PL)
    const s = new TorrentStorage(new MemoryFilePort(), t.layout, { root: 'downloads' })
    const blk = t.piece(0).subarray(0, BLOCK_SIZE)
    expect(await s.writeBlock(0, 0, blk)).toEqual({ status: 'buffered' })
    expect(await s.writeBlock(0, 0, blk)).toEqual({ status: 'ignored', reason: 'duplicate' })
    await feedPiece(s, t, 0)
    expect(await s.writeBlock(0, 0, blk)).toEqual({ status: 'ignored', reason: 'have' })
    await expect(s.writeBlock(0, 5, blk)).rejects.toMatchObject({ code: 'invalid' })
    await expect(s.writeBlock(2, 0, new Uint8Array(BLOCK_SIZE))).rejects.toMatchObject({ code: 'invalid' })
    expect(await feedPiece(s, t, 2)).toMatchObject({ status: 'verified' }) // last piece: 100 bytes
  })

  it('caps the bytes buffered for in-flight pieces', async () => {
    const t = await makeTorrent([['a', 4 * PL]], PL)
    const s = new TorrentStorage(new MemoryFilePort(), t.layout, { root: 'downloads', maxBufferedBytes: 2 * PL })
    const first = (p: number) => t.piece(p).subarray(0, BLOCK_SIZE)
    await s.writeBlock(0, 0, first(0))
    await s.writeBlock(1, 0, first(1))
    expect(s.bufferedBytes).toBe(2 * PL)
    await expect(s.writeBlock(2, 0, first(2))).rejects.toMatchObject({ code: 'busy' })
    s.discardPiece(1)
    expect(await s.writeBlock(2, 0, first(2))).toEqual({ status: 'buffered' })
  })

  it('turns a full disk into an error state and keeps verified data', async () => {
    const t = await makeTorrent([['a', 4 * PL]], PL)
    const fp = new MemoryFilePort({ quotaBytes: 2 * PL + 10 })
    const s = new TorrentStorage(fp, t.layout, { root: 'downloads' })
    await feedPiece(s, t, 0)
    await feedPiece(s, t, 1)
    await expect(feedPiece(s, t, 2)).rejects.toMatchObject({ code: 'no-space' })
    expect(s.error?.code).toBe('no-space')
    expect(s.have.count()).toBe(2)
    await expect(s.writeBlock(3, 0, t.piece(3).subarray(0, BLOCK_SIZE))).rejects.toBeInstanceOf(IoError)
    expect(same(fp.peek('downloads', 'a')!.subarray(0, 2 * PL), t.data.subarray(0, 2 * PL))).toBe(true)
    fp.quotaBytes = Infinity
    s.clearError()
    expect(await feedPiece(s, t, 2)).toMatchObject({ status: 'verified' })
  })

  it('does not create skipped files unless a wanted piece straddles into them', async () => {
    // pieces: [0,PL) a | [PL,2PL) a+b | [2PL,..) b ... c alone later
    const t = await makeTorrent(
      [
        ['x/a', PL + 100],
        ['y/b', 3 * PL],
        ['z/c', PL],
      ],
      PL,
    )
    const fp = new MemoryFilePort()
    const s = new TorrentStorage(fp, t.layout, { root: 'downloads', priorities: ['normal', 'skip', 'skip'] })
    await s.prepare()
    expect(await fp.stat('downloads', 'y')).toBeNull()
    expect([...s.piecePriorities()]).toEqual([2, 2, 0, 0, 0, 0])
    await feedPiece(s, t, 0)
    await feedPiece(s, t, 1)
    expect(s.isComplete()).toBe(true)
    expect(same(fp.peek('downloads', 'x/a'), t.fileData(0))).toBe(true)
    expect(fp.peek('downloads', 'y/b')!.length).toBe(PL - 100) // only the straddling part
    expect(await fp.stat('downloads', 'z/c')).toBeNull()
    await s.setFilePriorities(['normal', 'skip', 'high'])
    expect(await fp.stat('downloads', 'z')).toMatchObject({ isDirectory: true })
    expect(s.isComplete()).toBe(false)
  })

  it('reuses piece buffers and writes what the hasher hands back (a hasher may move the data)', async () => {
    const t = await multi()
    const fp = new MemoryFilePort()
    const handed: Uint8Array[] = []
    const returned = new Set<ArrayBufferLike>()
    // Like a worker hasher: hashes a copy, hands back a different buffer, and wipes the one it was given.
    const hasher = {
      async sha1(data: Uint8Array) {
        handed.push(data)
        const moved = data.slice()
        data.fill(0xee)
        const { sha1 } = await import('../util/sha1.ts')
        returned.add(moved.buffer)
        return { digest: await sha1(moved), data: moved }
      },
    }
    const s = new TorrentStorage(fp, t.layout, { root: 'downloads', hasher })
    await s.prepare()
    // a corrupt piece first (its buffer is recycled), then every piece in order: the reused buffers
    // still hold the previous piece's bytes when the next piece starts
    expect(await feedPiece(s, t, 0, 'bad', true)).toMatchObject({ status: 'failed', piece: 0 })
    for (let p = 0; p < t.layout.pieceCount; p++)
      expect(await feedPiece(s, t, p)).toMatchObject({ status: 'verified', piece: p })
    for (const i of [0, 2, 4]) expect(same(fp.peek('downloads', t.layout.files[i]!.path), t.fileData(i))).toBe(true)
    const reused = handed.filter((d) => d.length === PL && returned.has(d.buffer))
    expect(reused.length, 'full-size buffers handed back were used for later pieces').toBeGreaterThan(0)
  })
})

describe('TorrentStorage with a hasher that loses a piece', () => {
  it('reports the piece lost (to be fetched again, nobody blamed); other hasher errors still fail the write', async () => {
    const t = await multi()
    const fp = new MemoryFilePort()
    const { sha1 } = await import('../util/sha1.ts')
    let mode: 'lose' | 'ok' | 'broken' = 'lose'
    const hasher = {
      async sha1(data: Uint8Array) {
        if (mode === 'lose') {
          data.fill(0) // as a transfer would: the buffer is gone from this side
          throw new HashJobLost('hash worker failed with the piece: worker died')
        }
        if (mode === 'broken') throw new Error('no SHA-1 here')
        return { digest: await sha1(data), data }
      },
    }
    const s = new TorrentStorage(fp, t.layout, { root: 'downloads', hasher })
    await s.prepare()
    expect(await feedPiece(s, t, 1)).toEqual({ status: 'lost', piece: 1 })
    expect(s.have.has(1)).toBe(false)
    const written = t.layout.files.filter((f) => fp.peek('downloads', f.path)?.some((b) => b !== 0))
    expect(written).toEqual([]) // nothing of the lost piece reached the disk
    mode = 'ok'
    expect(await feedPiece(s, t, 1)).toMatchObject({ status: 'verified', piece: 1 }) // the same piece, again
    mode = 'broken'
    await expect(feedPiece(s, t, 0)).rejects.toThrow('no SHA-1 here')
  })
})

describe('HandleCache', () => {
  it('keeps at most maxOpen idle handles, evicting the least recently used', async () => {
    const fp = new MemoryFilePort()
    const c = new HandleCache(fp, 'downloads', 2)
    for (const n of ['a', 'b', 'a', 'c', 'a']) await c.use(n, true, async (h) => h.write(0, new Uint8Array([1])))
    expect(c.openCount).toBe(2)
    expect(fp.ops.open).toBe(3) // a, b, c; 'a' stayed open
    await c.closeAll()
    expect(fp.openHandles).toBe(0)
  })

  it('never closes a handle that is in use and forgets failed opens', async () => {
    const fp = new MemoryFilePort()
    const c = new HandleCache(fp, 'downloads', 1)
    let release!: () => void
    const held = c.use('a', true, (h) =>
      new Promise<void>((r) => (release = r)).then(() => h.write(0, new Uint8Array(1))),
    )
    await c.use('b', true, async () => {})
    await new Promise((r) => setTimeout(r, 0))
    release()
    await held // would throw 'closed' if evicted while in use
    await expect(c.use('missing', false, async () => {})).rejects.toMatchObject({ code: 'not-found' })
    expect(c.openCount).toBeLessThanOrEqual(1)
  })
})
