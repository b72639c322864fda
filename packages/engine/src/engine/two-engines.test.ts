import { afterEach, describe, expect, it } from 'vitest'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import { overDataPlane, testDataPlane } from '../platform/data-plane-test-kit.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { createWorkerHasher } from '../platform/piece-hashers.ts'
import type { PieceHasher } from '../platform/ports.ts'
import type { Torrent } from '../torrent/torrent.ts'
import { bytesEqual } from '../util/bytes.ts'
import { sha1 } from '../util/sha1.ts'
import { BtEngine } from './bt-engine.ts'
import { testBytes as data } from '../util/test-bytes.ts'

// Whole engines talking over the in-memory network: real wire, pool, queue, picker and storage,
// no sockets. Timers are real (the engines' 1 s maintenance and 100 ms queue), each wait bounded.

// toEqual on large typed arrays is very slow; compare bytes directly.
function expectSame(got: Uint8Array | null, want: Uint8Array): void {
  expect(got, 'file missing').not.toBeNull()
  expect(got!.length).toBe(want.length)
  expect(bytesEqual(got!, want), 'bytes differ').toBe(true)
}

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})

function engine(
  net: MemoryNetwork,
  address: string,
  files = new MemoryFilePort(),
  hasher?: PieceHasher,
): { e: BtEngine; files: MemoryFilePort } {
  const e = new BtEngine({
    settings: { dhtEnabled: false },
    platform: {
      net: net.host(address),
      files,
      state: new MemoryStateStore(),
      hasher,
      now: () => Date.now(),
      ...testDataPlane(files),
    },
  })
  engines.push(e)
  return { e, files }
}

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const fileA = data(200_000, 1)
const fileB = data(123_457, 2)

async function makeTorrent(): Promise<Uint8Array> {
  return createTorrent({
    name: 'set',
    pieceLength: 32 * 1024,
    files: [
      { path: 'a.bin', data: fileA },
      { path: 'sub/b.bin', data: fileB },
    ],
  })
}

async function seeder(
  net: MemoryNetwork,
  address: string,
  torrent: Uint8Array,
  corrupt = false,
): Promise<{ e: BtEngine; t: Torrent }> {
  const { e, files } = engine(net, address)
  files.put('downloads', 'set/a.bin', fileA)
  files.put('downloads', 'set/sub/b.bin', fileB)
  await e.start()
  const t = await e.add({ torrentFile: torrent })
  await until('seeder verified', () => t.status === 'seeding')
  if (corrupt) {
    // after verification: the seed believes it has everything but serves flipped bytes
    const bad = fileA.slice()
    for (let i = 0; i < bad.length; i += 1000) bad[i] ^= 0xff
    files.put('downloads', 'set/a.bin', bad)
    const badB = fileB.slice()
    for (let i = 0; i < badB.length; i += 1000) badB[i] ^= 0xff
    files.put('downloads', 'set/sub/b.bin', badB)
  }
  return { e, t }
}

/** `b` downloads the torrent from the seed at 10.0.0.1 and has exactly its files afterwards. */
async function downloadFromSeed(
  b: { e: BtEngine; files: MemoryFilePort },
  torrent: Uint8Array,
  seedPort: number,
): Promise<Torrent> {
  await b.e.start()
  const t = await b.e.add({ torrentFile: torrent })
  t.addPeer('10.0.0.1', seedPort, 'manual')
  await until('download complete', () => t.isComplete())
  expectSame(b.files.peek('downloads', 'set/a.bin'), fileA)
  expectSame(b.files.peek('downloads', 'set/sub/b.bin'), fileB)
  return t
}

describe('two engines in memory', () => {
  it('engine B downloads a torrent that engine A seeds, byte for byte', async () => {
    const net = new MemoryNetwork()
    const torrent = await makeTorrent()
    const a = await seeder(net, '10.0.0.1', torrent)
    const t = await downloadFromSeed(engine(net, '10.0.0.2'), torrent, a.e.listenPort)
    const s = t.summary()
    expect(s.progress).toBe(1)
    expect(s.status).toBe('seeding')
    expect(a.t.summary().uploadedTotal).toBeGreaterThanOrEqual(fileA.length + fileB.length)
  })

  // the engine's hasher hashes nothing when the platform's data plane keeps the pieces
  it.skipIf(overDataPlane())(
    'pieces a dying hash worker took with it are downloaded again, nobody blamed',
    async () => {
      const net = new MemoryNetwork()
      const torrent = await makeTorrent()
      const a = await seeder(net, '10.0.0.1', torrent)
      // worker hasher whose only worker dies with the 3rd piece; later pieces go to the fallback
      let jobs = 0
      let fallbackJobs = 0
      const hasher = createWorkerHasher(
        (_, onResult, onFailure) => ({
          post(job) {
            if (++jobs === 3) return void setTimeout(() => onFailure(new Error('worker died')), 0)
            void sha1(new Uint8Array(job.buffer)).then((digest) => onResult({ id: job.id, buffer: job.buffer, digest }))
          },
          terminate() {},
        }),
        1,
        { fallback: { sha1: async (d) => (fallbackJobs++, { digest: await sha1(d), data: d }) } },
      )
      const t = await downloadFromSeed(engine(net, '10.0.0.2', undefined, hasher), torrent, a.e.listenPort)
      expect(t.summary().status).toBe('seeding')
      expect(jobs).toBeGreaterThanOrEqual(3) // the 3rd and any posted before the death was noticed were lost
      expect(fallbackJobs).toBeGreaterThan(0)
      expect(t.hashFailures).toBe(0)
      expect(t.bannedPeers()).toEqual([])
    },
  )

  it('a magnet link: metadata from the peer, then the data', async () => {
    const net = new MemoryNetwork()
    const torrent = await makeTorrent()
    const meta = await parseMetainfo(torrent)
    const a = await seeder(net, '10.0.0.1', torrent)
    const { e: b, files } = engine(net, '10.0.0.2')
    await b.start()
    const t = await b.add({ magnet: `magnet:?xt=urn:btih:${meta.infoHash}&dn=set&x.pe=10.0.0.1:${a.e.listenPort}` })
    expect(t.status).toBe('fetching-metadata')
    await until('magnet download complete', () => t.isComplete())
    expect(t.name).toBe('set')
    expectSame(files.peek('downloads', 'set/a.bin'), fileA)
    expectSame(files.peek('downloads', 'set/sub/b.bin'), fileB)
  })

  it('a corrupt seed next to a good one is banned and the download completes', async () => {
    const net = new MemoryNetwork()
    const torrent = await makeTorrent()
    const good = await seeder(net, '10.0.0.1', torrent)
    const bad = await seeder(net, '10.0.0.3', torrent, true)
    const { e: b, files } = engine(net, '10.0.0.2')
    await b.start()
    const t = await b.add({ torrentFile: torrent })
    t.addPeer('10.0.0.3', bad.e.listenPort, 'manual')
    t.addPeer('10.0.0.1', good.e.listenPort, 'manual')
    await until('download complete', () => t.isComplete(), 20_000)
    expectSame(files.peek('downloads', 'set/a.bin'), fileA)
    expectSame(files.peek('downloads', 'set/sub/b.bin'), fileB)
    expect(t.hashFailures).toBeGreaterThan(0)
    expect(t.bannedPeers()).toContain(`10.0.0.3:${bad.e.listenPort}`)
    expect(t.bannedPeers()).not.toContain(`10.0.0.1:${good.e.listenPort}`)
    // the torrent's log says what happened, without any debug setting
    const log = await b.torrentLog(t.infoHash)
    expect(
      log.some((l) => l.level === 'warn' && l.component === 'storage' && /failed verification/.test(l.message)),
    ).toBe(true)
    expect(log.some((l) => l.component === 'pool' && l.message.startsWith(`banned 10.0.0.3:${bad.e.listenPort}`))).toBe(
      true,
    )
  })
})

describe('engine restart', () => {
  it('restores its torrents and verified data from the StateStore without downloading again', async () => {
    const net = new MemoryNetwork()
    const torrent = await makeTorrent()
    const a = await seeder(net, '10.0.0.1', torrent)
    const files = new MemoryFilePort()
    const state = new MemoryStateStore()
    const mk = () =>
      new BtEngine({
        platform: { net: net.host('10.0.0.2'), files, state, now: () => Date.now(), ...testDataPlane(files) },
        settings: { dhtEnabled: false, maxPeersPerTorrent: 9 },
      })
    const first = mk()
    await first.start()
    const t1 = await first.add({ torrentFile: torrent })
    t1.addPeer('10.0.0.1', a.e.listenPort)
    await until('download complete', () => t1.isComplete())
    await first.setSettings({ uploadRateLimit: 12345 })
    await first.stop()
    await a.e.stop()
    const reads = files.ops.read
    const second = mk()
    engines.push(second)
    await second.start()
    const t2 = second.getTorrent(t1.infoHash)
    expect(t2, 'torrent restored').toBeDefined()
    expect(t2!.isComplete()).toBe(true)
    // the transfer totals of the last run are kept (the share ratio does not reset)
    expect(t2!.summary()).toMatchObject({ status: 'seeding', progress: 1, downloadedTotal: t1.downloadedTotal })
    expect(t1.downloadedTotal).toBeGreaterThan(0)
    expect(files.ops.read - reads, 'resume trusted: no piece re-read').toBe(0)
    expect(second.getSettings().uploadRateLimit).toBe(12345)
  })
})

describe('engine restart with a magnet', () => {
  it('keeps the magnet’s trackers and link after its metadata was fetched', async () => {
    const net = new MemoryNetwork()
    const torrent = await makeTorrent()
    const meta = await parseMetainfo(torrent)
    const a = await seeder(net, '10.0.0.1', torrent)
    const state = new MemoryStateStore()
    const files = new MemoryFilePort()
    const mk = () =>
      new BtEngine({
        settings: { dhtEnabled: false },
        platform: { net: net.host('10.0.0.2'), files, state, now: () => Date.now(), ...testDataPlane(files) },
      })
    const tracker = 'udp://tracker.invalid:6969/announce'
    const first = mk()
    await first.start()
    const link = `magnet:?xt=urn:btih:${meta.infoHash}&dn=set&tr=${encodeURIComponent(tracker)}&x.pe=10.0.0.1:${a.e.listenPort}`
    const t1 = await first.add({ magnet: link })
    await until('metadata fetched', () => t1.info !== null)
    await first.stop()
    const second = mk()
    engines.push(second)
    await second.start()
    const t2 = second.getTorrent(meta.infoHash)
    expect(t2, 'torrent restored').toBeDefined()
    expect(t2!.info, 'metadata restored, not fetched again').not.toBeNull()
    expect(t2!.trackers.rows().map((r) => r.url)).toEqual([tracker])
    await second.stop()
    const entries = JSON.parse(new TextDecoder().decode((await state.get('session/torrents'))!)) as Array<{
      magnet?: string
    }>
    expect(entries[0]!.magnet, 'the link is still saved after a second restart').toBe(link)
    // a damaged saved link does not lose the torrent: it comes back from its saved info dictionary
    await state.set(
      'session/torrents',
      new TextEncoder().encode(JSON.stringify([{ ...entries[0], magnet: 'magnet:?xt=urn:btih:zz' }])),
    )
    const third = mk()
    engines.push(third)
    await third.start()
    expect(third.getTorrent(meta.infoHash)?.info, 'restored from the info dictionary').toBeTruthy()
  })
})

describe('recheck', () => {
  it('finds a damaged piece on disk, running or stopped', async () => {
    const net = new MemoryNetwork()
    const torrent = await makeTorrent()
    const a = await seeder(net, '10.0.0.1', torrent)
    expect(a.t.summary().progress).toBe(1)
    const files = a.e.platform.files as MemoryFilePort
    const bad = fileA.slice()
    bad[40_000] ^= 1 // piece 1 (32 KiB pieces)
    files.put('downloads', 'set/a.bin', bad)
    await a.e.recheckTorrent(a.t.infoHash)
    expect(a.t.status).toBe('downloading')
    const lost = a.t.summary()
    expect(lost.totalSize - lost.downloaded).toBe(32 * 1024)
    await a.e.stopTorrent(a.t.infoHash)
    files.put('downloads', 'set/a.bin', fileA)
    await a.e.recheckTorrent(a.t.infoHash)
    expect(a.t.status).toBe('paused')
    expect(a.t.summary().progress).toBe(1)
  })
})

describe('disk full', () => {
  it('puts the torrent in an error state naming no-space and keeps what was verified', async () => {
    const net = new MemoryNetwork()
    const torrent = await makeTorrent()
    const a = await seeder(net, '10.0.0.1', torrent)
    const { e: b, files } = engine(net, '10.0.0.2', new MemoryFilePort({ quotaBytes: 100_000 }))
    await b.start()
    const t = await b.add({ torrentFile: torrent })
    t.addPeer('10.0.0.1', a.e.listenPort)
    await until('error state', () => t.status === 'error')
    expect(t.summary().error).toMatch(/^no-space/)
    expect(t.getDisplayPeers()).toEqual([]) // connections dropped
    expect(files.usedBytes()).toBeLessThanOrEqual(100_000)
  })

  it('an errored torrent stops its activity, and Start after space is freed resumes and finishes', async () => {
    const net = new MemoryNetwork()
    const torrent = await makeTorrent()
    const a = await seeder(net, '10.0.0.1', torrent)
    const { e: b, files } = engine(net, '10.0.0.2', new MemoryFilePort({ quotaBytes: 100_000 }))
    await b.start()
    const t = await b.add({ torrentFile: torrent })
    t.addPeer('10.0.0.1', a.e.listenPort)
    await until('error state', () => t.status === 'error')
    expect(t.isActive()).toBe(false)
    files.quotaBytes = Number.POSITIVE_INFINITY // the user frees space
    await t.start() // was a no-op: the failed torrent still counted as running
    await until('complete after Start', () => t.status === 'seeding')
    expect(t.summary().error).toBeUndefined()
    expect(t.summary().progress).toBe(1)
  })
})
