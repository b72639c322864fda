import { afterEach, describe, expect, it } from 'vitest'
import { BtEngine } from '../engine/bt-engine.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { CreateJobStatus } from '../api/create-types.ts'
import { bytesEqual } from '../util/bytes.ts'
import { testBytes as data } from '../util/test-bytes.ts'

// A torrent created by one engine is seeded at once from the data in place (no re-hash) and another
// engine downloads it over the in-memory network. Real timers, every wait bounded.

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})

function engine(net: MemoryNetwork, address: string, files: MemoryFilePort): BtEngine {
  const e = new BtEngine({
    settings: { dhtEnabled: false, localPeerDiscovery: false },
    platform: { net: net.host(address), files, state: new MemoryStateStore(), now: () => Date.now() },
  })
  engines.push(e)
  return e
}

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('create then seed', () => {
  it('seeds a created folder without re-reading it, and another engine downloads it byte for byte', async () => {
    const net = new MemoryNetwork()
    const files = new MemoryFilePort()
    const a = data(150_000, 1)
    const b = data(33_333, 2)
    files.put('downloads', 'album/a.bin', a)
    files.put('downloads', 'album/disc 2/b.bin', b)
    const seeder = engine(net, '10.0.0.1', files)
    await seeder.start()
    const id = seeder.creator.start({ root: 'downloads', path: 'album', pieceLength: 16 * 1024, seed: true })
    let status: CreateJobStatus | null = null
    await until('created', () => {
      status = seeder.creator.status(id)
      return status?.state !== 'hashing'
    })
    const done = status as unknown as CreateJobStatus
    expect(done.state).toBe('done')
    expect(done.hashedBytes).toBe(a.length + b.length)
    expect(done.result?.seeding).toBe(true)
    const t = seeder.summaries().find((s) => s.infoHash === done.result!.infoHash)
    await until(
      'seeding',
      () => seeder.summaries().find((s) => s.infoHash === done.result!.infoHash)?.status === 'seeding',
    )
    expect(t).toBeDefined()

    const meta = await parseMetainfo(done.result!.torrentFile)
    expect(meta.createdBy).toMatch(/^Tidepool/)
    const leechFiles = new MemoryFilePort()
    const leecher = engine(net, '10.0.0.2', leechFiles)
    await leecher.start()
    const lt = await leecher.add({ torrentFile: done.result!.torrentFile })
    lt.addPeer('10.0.0.1', seeder.listenPort, 'manual')
    await until('downloaded', () => lt.isComplete())
    expect(bytesEqual(leechFiles.peek('downloads', 'album/a.bin')!, a)).toBe(true)
    expect(bytesEqual(leechFiles.peek('downloads', 'album/disc 2/b.bin')!, b)).toBe(true)
  })

  it('trusts the creation hashes: adding reads no piece back (a stat per file only)', async () => {
    const net = new MemoryNetwork()
    let reads = 0
    let hashing = true
    const files = new MemoryFilePort({
      fault: (op) => {
        if (!hashing && (op === 'read' || op === 'sha1')) reads++
        return null
      },
    })
    files.put('downloads', 'one.bin', data(300_000, 3))
    const e = engine(net, '10.0.0.1', files)
    await e.start()
    const created = await e.creator.create({ root: 'downloads', path: 'one.bin' })
    hashing = false
    await e.creator.seed(created, 'downloads', 'one.bin')
    await until('seeding', () => e.summaries()[0]?.status === 'seeding')
    expect(e.summaries()[0]!.progress).toBe(1)
    expect(reads).toBe(0)
    // creating it again and seeding: it is listed already, nothing is overwritten
    await expect(e.creator.seed(created, 'downloads', 'one.bin')).rejects.toThrow(/in the list already/)
    expect(e.summaries()).toHaveLength(1)
  })

  it('rechecks what changed between creating and seeding', async () => {
    const net = new MemoryNetwork()
    const files = new MemoryFilePort()
    files.put('downloads', 'one.bin', data(300_000, 3), 1000)
    const e = engine(net, '10.0.0.1', files)
    await e.start()
    const created = await e.creator.create({ root: 'downloads', path: 'one.bin', pieceLength: 16 * 1024 })
    const changed = data(300_000, 3)
    changed[0]! ^= 0xff
    files.put('downloads', 'one.bin', changed, 2000)
    await e.creator.seed(created, 'downloads', 'one.bin')
    await until('checked', () => ['downloading', 'seeding'].includes(e.summaries()[0]?.status ?? ''))
    expect(e.summaries()[0]!.status).toBe('downloading')
    expect(e.summaries()[0]!.progress).toBeLessThan(1)
  })

  it('cancels a job, then seeds data from deep inside a folder where it lies (its folder is the saveDir)', async () => {
    const net = new MemoryNetwork()
    const files = new MemoryFilePort()
    files.put('downloads', 'deep/inside/x.bin', data(4 * 1024 * 1024, 4))
    const e = engine(net, '10.0.0.1', files)
    await e.start()
    const id = e.creator.start({ root: 'downloads', path: 'deep/inside/x.bin', pieceLength: 16 * 1024, seed: true })
    e.creator.cancel(id)
    await until('ended', () => e.creator.status(id)?.state !== 'hashing')
    expect(e.creator.status(id)?.state).toBe('cancelled')
    const again = e.creator.start({ root: 'downloads', path: 'deep/inside/x.bin', seed: true })
    await until('ended', () => e.creator.status(again)?.state !== 'hashing')
    const s = e.creator.status(again)!
    expect(s.state).toBe('done')
    expect(s.result?.seedError).toBeUndefined()
    expect(s.result?.seeding).toBe(true)
    const [row] = e.summaries()
    expect(row).toMatchObject({ savePath: 'downloads', saveDir: 'deep/inside' })
    await until('verified in place', () => e.summaries()[0]?.status === 'seeding')
    expect(files.peek('downloads', 'deep/inside/x.bin')?.length).toBe(4 * 1024 * 1024) // nothing copied or moved
  })
})
