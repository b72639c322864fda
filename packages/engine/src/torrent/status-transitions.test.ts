import { afterEach, describe, expect, it } from 'vitest'
import { BtEngine } from '../engine/bt-engine.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { fakeHttpServer } from '../tracker/test-http-server.ts'
import { bytesEqual } from '../util/bytes.ts'
import { ManualClock } from '../util/clock.ts'

// A torrent's status and what follows it (the pool's idea of whether we seed), through the one
// transition: selecting a skipped file on a seeding torrent must make it a downloader again in
// every respect, with real engines over the in-memory network.

const fileA = new Uint8Array(64 * 1024).map((_, i) => (i * 7) & 0xff) // two whole pieces
const fileB = new Uint8Array(40_000).map((_, i) => (i * 13 + 1) & 0xff)

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})

function engine(net: MemoryNetwork, address: string, files: MemoryFilePort): BtEngine {
  const e = new BtEngine({
    settings: { dhtEnabled: false },
    platform: { net: net.host(address), files, state: new MemoryStateStore(), now: () => Date.now() },
  })
  engines.push(e)
  return e
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('status transitions', () => {
  it('un-skipping a file on a seeding torrent resumes downloading and the pool ranks seeds high again', async () => {
    const net = new MemoryNetwork()
    const torrent = await createTorrent({
      name: 'pair',
      pieceLength: 32 * 1024,
      files: [
        { path: 'a.bin', data: fileA },
        { path: 'b.bin', data: fileB },
      ],
    })
    const seedFiles = new MemoryFilePort()
    seedFiles.put('downloads', 'pair/a.bin', fileA)
    seedFiles.put('downloads', 'pair/b.bin', fileB)
    const seed = engine(net, '10.0.0.1', seedFiles)
    await seed.start()
    await seed.add({ torrentFile: torrent })

    // We have a.bin and want only it: a seed of our selection.
    const ourFiles = new MemoryFilePort()
    ourFiles.put('downloads', 'pair/a.bin', fileA)
    const ours = engine(net, '10.0.0.2', ourFiles)
    await ours.start()
    const t = await ours.add({ torrentFile: torrent, selectedFiles: [0] })
    await until('our selection verified', () => t.status === 'seeding')
    t.addPeer('10.0.0.1', seed.listenPort)
    const other = () => t.pool.findPeer('10.0.0.1', seed.listenPort)!
    await until('the other seed is known as one', () => other().seed)
    expect(other().rank).toBeLessThan(0) // a seed is of no use to a seed

    await t.setFilePriority(1, 'normal')
    expect(t.status).toBe('downloading')
    expect(other().rank).toBeGreaterThan(0) // ... and the best peer there is to a downloader
    await until('b.bin downloaded', () => t.isComplete())
    expect(t.status).toBe('seeding')
    expect(bytesEqual(ourFiles.peek('downloads', 'pair/b.bin')!, fileB)).toBe(true)
  })

  it('skipping the last missing file of a download makes it a seed', async () => {
    const net = new MemoryNetwork()
    const torrent = await createTorrent({
      name: 'pair',
      pieceLength: 32 * 1024,
      files: [
        { path: 'a.bin', data: fileA },
        { path: 'b.bin', data: fileB },
      ],
    })
    const files = new MemoryFilePort()
    files.put('downloads', 'pair/a.bin', fileA)
    const ours = engine(net, '10.0.0.2', files)
    await ours.start()
    const t = await ours.add({ torrentFile: torrent })
    await until('checked', () => t.status === 'downloading')
    await t.setFilePriority(1, 'skip')
    expect(t.status).toBe('seeding')
    expect(t.isComplete()).toBe(true)
  })

  it('a seed that wants a file again tells its tracker soon (many trackers list no seeds to a seed)', async () => {
    const clock = new ManualClock(1_000_000)
    const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
    const tracker = await fakeHttpServer(net.host('10.0.0.5'), 80, () => ({
      pieces: ['HTTP/1.1 200 OK\r\n\r\n', 'd8:intervali1800e5:peers0:e'],
    }))
    const torrent = await createTorrent({
      name: 'pair',
      pieceLength: 32 * 1024,
      files: [
        { path: 'a.bin', data: fileA },
        { path: 'b.bin', data: fileB },
      ],
      announce: 'http://10.0.0.5:80/announce',
    })
    const files = new MemoryFilePort()
    files.put('downloads', 'pair/a.bin', fileA)
    const e = new BtEngine({
      settings: { dhtEnabled: false },
      platform: { net: net.host('10.0.0.2'), files, state: new MemoryStateStore(), now: () => clock.now() },
      clock,
    })
    engines.push(e)
    await e.start()
    const t = await e.add({ torrentFile: torrent, selectedFiles: [0] })
    const announces = () =>
      tracker.requests
        .filter((r) => r.target.startsWith('/announce')) // not its scrapes
        .map((r) => new URLSearchParams(r.target.split('?')[1]))
    const advance = async (ms: number) => {
      for (let waited = 0; waited < ms; waited += 500) {
        clock.advance(500)
        for (let i = 0; i < 50; i++) await Promise.resolve()
      }
    }
    await advance(1000)
    expect(t.status).toBe('seeding')
    // BEP 3's left is what the whole torrent lacks: the skipped file counts, so we are not listed as a seed
    expect(announces().map((q) => [q.get('event'), q.get('left')])).toEqual([['started', String(fileB.length)]])

    await t.setFilePriority(1, 'normal')
    await advance(31_000) // the tracker's minimum interval (30 s) since the last announce
    expect(announces().map((q) => [q.get('event'), q.get('left')])).toEqual([
      ['started', String(fileB.length)],
      [null, String(fileB.length)],
    ])
    tracker.close()
  })
})
