import { describe, expect, it } from 'vitest'
import { MemoryDataPlane } from '../platform/memory-data-plane.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { IoError } from '../platform/ports.ts'
import { bytesEqual } from '../util/bytes.ts'
import { BLOCK_SIZE, blockCount } from './file-map.ts'
import { RemotePieces, dataPlaneSpec } from './remote-pieces.ts'
import { makeTorrent, type TestTorrent } from './test-layout.ts'
import { TorrentStorage } from './torrent-storage.ts'

const PL = 2 * BLOCK_SIZE

/** Files that straddle pieces, a padding file, a nested folder. */
async function torrent(): Promise<TestTorrent> {
  return makeTorrent(
    [
      ['set/a.bin', 40_000],
      ['set/.pad/0', 9_152, true],
      ['set/sub/b.bin', PL + 777],
    ],
    PL,
  )
}

async function setup(files = new MemoryFilePort()) {
  const t = await torrent()
  const storage = new TorrentStorage(files, t.layout, { root: 'downloads' })
  await storage.prepare()
  const dp = new MemoryDataPlane(files)
  const dpt = await dp.openTorrent(dataPlaneSpec(storage))
  return { t, files, storage, dp, dpt, remote: new RemotePieces(dpt, storage) }
}

function block(t: TestTorrent, p: number, b: number): Uint8Array {
  const data = t.piece(p)
  return data.subarray(b * BLOCK_SIZE, Math.min(data.length, (b + 1) * BLOCK_SIZE))
}

describe('RemotePieces (pieces kept by a data plane)', () => {
  it('STORED and put blocks complete a piece the platform checks and writes; the engine marks it verified', async () => {
    const { t, files, storage, dpt, remote } = await setup()
    const p = 1
    remote.beforeRequest(p)
    // block 0 came framed: the platform kept it (as a framed socket's FramedReader would)
    expect(dpt.keep(p, 0, block(t, p, 0))).toBe(true)
    expect(await remote.markStored(p, 0, BLOCK_SIZE, 'peer-a')).toEqual({ status: 'buffered' })
    // block 1 came with its bytes (a web seed): the engine puts it there
    const r = await remote.writeBlock(p, BLOCK_SIZE, block(t, p, 1), 'webseed')
    expect(r).toEqual({ status: 'verified', piece: p, contributors: ['peer-a', 'webseed'] })
    expect(storage.have.has(p)).toBe(true)
    expect(storage.bufferedBytes).toBe(0)
    // written across the files, the padding file never created
    const b = files.peek('downloads', 'set/sub/b.bin')!
    expect(bytesEqual(b.subarray(0, 2 * PL - 49_152), t.fileData(2).subarray(0, 2 * PL - 49_152))).toBe(true)
    expect(files.peek('downloads', 'set/.pad/0')).toBeNull()
    expect(await remote.markStored(p, 0, BLOCK_SIZE)).toEqual({ status: 'ignored', reason: 'have' })
  })

  it('a hash mismatch fails the piece with every contributor and stray sender; a duplicate block is ignored', async () => {
    const { t, remote, storage } = await setup()
    const bad = block(t, 0, 0).slice()
    bad[5]! ^= 1
    remote.beforeRequest(0)
    expect(await remote.writeBlock(0, 0, bad, 'x')).toEqual({ status: 'buffered' })
    expect(await remote.writeBlock(0, 0, block(t, 0, 0), 'y')).toEqual({ status: 'ignored', reason: 'duplicate' })
    // a peer whose unasked block the platform kept shares the blame
    remote.suspect(0, 'stray')
    expect(await remote.writeBlock(0, BLOCK_SIZE, block(t, 0, 1), 'z')).toEqual({
      status: 'failed',
      piece: 0,
      contributors: ['x', 'stray', 'z'],
    })
    expect(storage.have.has(0)).toBe(false)
    // fetched again from scratch
    remote.beforeRequest(0)
    await remote.writeBlock(0, 0, block(t, 0, 0), 'y')
    expect(await remote.writeBlock(0, BLOCK_SIZE, block(t, 0, 1), 'y')).toMatchObject({ status: 'verified' })
  })

  it('a block the platform does not have (a STORED it dropped) makes the piece lost, not failed', async () => {
    const { t, remote, dpt } = await setup()
    remote.beforeRequest(2)
    await remote.markStored(2, 0, BLOCK_SIZE, 'a') // nothing was kept for it
    const last = block(t, 2, 1) // the torrent's short last block
    expect(dpt.keep(2, BLOCK_SIZE, last)).toBe(true)
    expect(await remote.markStored(2, BLOCK_SIZE, last.length, 'a')).toEqual({ status: 'lost', piece: 2 })
  })

  it('a write error (disk full) rejects with it, keeps it as the storage error and refuses later blocks', async () => {
    const files = new MemoryFilePort({ quotaBytes: 1000 })
    const { t, remote, storage } = await setup(files)
    remote.beforeRequest(0)
    await remote.writeBlock(0, 0, block(t, 0, 0))
    await expect(remote.writeBlock(0, BLOCK_SIZE, block(t, 0, 1))).rejects.toMatchObject({ code: 'no-space' })
    expect(storage.error).toBeInstanceOf(IoError)
    await expect(remote.writeBlock(1, 0, block(t, 1, 0))).rejects.toMatchObject({ code: 'no-space' })
    expect(storage.have.has(0)).toBe(false)
  })

  it('refuses blocks off the grid; an abandoned piece is dropped from the platform', async () => {
    const { t, remote, dpt } = await setup()
    await expect(remote.markStored(0, 100, BLOCK_SIZE)).rejects.toMatchObject({ code: 'invalid' })
    await expect(remote.markStored(99, 0, BLOCK_SIZE)).rejects.toMatchObject({ code: 'invalid' })
    remote.beforeRequest(0)
    expect(dpt.keep(0, 0, block(t, 0, 0))).toBe(true)
    remote.discardPiece(0)
    // the platform forgot it: a block for it is no longer kept
    expect(dpt.keep(0, BLOCK_SIZE, block(t, 0, 1))).toBe(false)
    expect(blockCount(t.layout, 0)).toBe(2)
  })
})
