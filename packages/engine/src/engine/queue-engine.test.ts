import { afterEach, describe, expect, it } from 'vitest'
import type { EngineSettings } from '../api/types.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { Torrent } from '../torrent/torrent.ts'
import { fakeHttpServer } from '../tracker/test-http-server.ts'
import { ManualClock } from '../util/clock.ts'
import { BtEngine } from './bt-engine.ts'
import { testBytes as bytes } from '../util/test-bytes.ts'

// The queue and the seeding limits on whole engines over the in-memory platform, on an injected clock:
// time moves only when the test says, so "a minute later" takes no minute.

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})

interface World {
  clock: ManualClock
  net: MemoryNetwork
  /** Moves time in 500 ms steps, letting promises (and WebCrypto hashing) settle between. */
  advance(ms: number): Promise<void>
}

function world(): World {
  const clock = new ManualClock(1_700_000_000_000)
  const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
  return {
    clock,
    net,
    async advance(ms) {
      for (let done = 0; done < ms; done += 500) {
        clock.advance(Math.min(500, ms - done))
        for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0))
      }
    },
  }
}

async function engine(
  w: World,
  settings: Partial<EngineSettings>,
  opts: { address?: string; files?: MemoryFilePort; state?: MemoryStateStore } = {},
) {
  const files = opts.files ?? new MemoryFilePort()
  const state = opts.state ?? new MemoryStateStore()
  const e = new BtEngine({
    platform: { net: w.net.host(opts.address ?? '10.0.0.1'), files, state, now: () => w.clock.now() },
    clock: w.clock,
    settings: { dhtEnabled: false, localPeerDiscovery: false, portMapping: false, ...settings },
  })
  engines.push(e)
  await e.start()
  return { e, files, state }
}

/** A single-file torrent of `size` bytes; its data, to put on disk for a seed. */
async function torrentOf(name: string, size: number, seed: number) {
  const data = bytes(size, seed)
  return { file: await createTorrent({ name, pieceLength: 16 * 1024, files: [{ path: name, data }] }), data }
}

const status = (e: BtEngine) => Object.fromEntries(e.summaries().map((s) => [s.name, s.status]))
const positions = (e: BtEngine) => Object.fromEntries(e.summaries().map((s) => [s.name, s.queuePosition]))

describe('torrent queue', () => {
  it('runs two downloads, queues the rest in order, and follows moves, force start and pause', async () => {
    const w = world()
    const { e } = await engine(w, { maxActiveDownloads: 2, dontCountSlowTorrents: false })
    const t: Torrent[] = []
    for (let i = 0; i < 5; i++) t.push(await e.add({ torrentFile: (await torrentOf(`t${i}`, 40_000, i + 1)).file }))
    await w.advance(1000)
    expect(status(e)).toEqual({ t0: 'downloading', t1: 'downloading', t2: 'queued', t3: 'queued', t4: 'queued' })
    expect(positions(e)).toEqual({ t0: 1, t1: 2, t2: 3, t3: 4, t4: 5 })
    // queued before its storage ever opened: its size is known all the same, nothing verified yet
    expect(e.summaries().find((s) => s.name === 't4')).toMatchObject({ totalSize: 40_000, downloaded: 0, progress: 0 })

    // t4 to the top: it runs, and t1 (now third) waits
    await e.moveInQueue([t[4]!.infoHash], 'top')
    await w.advance(1000)
    expect(positions(e)).toEqual({ t4: 1, t0: 2, t1: 3, t2: 4, t3: 5 })
    expect(status(e)).toEqual({ t0: 'downloading', t1: 'queued', t2: 'queued', t3: 'queued', t4: 'downloading' })

    // force start bypasses the queue and takes no place
    await e.setForceStart(t[3]!.infoHash, true)
    await w.advance(1000)
    expect(status(e)).toMatchObject({ t1: 'queued', t3: 'downloading' })
    expect(e.summaries().find((s) => s.name === 't3')?.forced).toBe(true)

    // pausing a queued torrent shows it paused; Start puts it back in the queue
    await e.stopTorrent(t[2]!.infoHash)
    expect(status(e)).toMatchObject({ t2: 'paused' })
    await e.startTorrent(t[2]!.infoHash)
    expect(status(e)).toMatchObject({ t2: 'queued' })

    // pausing a running download lets the next in order (t1) run
    await e.stopTorrent(t[0]!.infoHash)
    await w.advance(1000)
    expect(status(e)).toEqual({ t0: 'paused', t1: 'downloading', t2: 'queued', t3: 'downloading', t4: 'downloading' })

    // a download that finishes (here: its only file skipped) becomes a seed and frees its place
    await e.setFilePriorities(t[4]!.infoHash, [0], 'skip')
    await w.advance(1000)
    expect(status(e)).toEqual({ t0: 'paused', t1: 'downloading', t2: 'downloading', t3: 'downloading', t4: 'seeding' })

    // force start off: t3 goes back under the limits (t1 and t2 hold the two places before it)
    await e.setForceStart(t[3]!.infoHash, false)
    await w.advance(1000)
    expect(status(e)).toMatchObject({ t1: 'downloading', t2: 'downloading', t3: 'queued' })
  })

  it('keeps the queue order across a restart', async () => {
    const w = world()
    const state = new MemoryStateStore()
    const first = await engine(w, { maxActiveDownloads: 1 }, { state })
    const t: Torrent[] = []
    for (let i = 0; i < 3; i++)
      t.push(await first.e.add({ torrentFile: (await torrentOf(`r${i}`, 20_000, 10 + i)).file }))
    await first.e.moveInQueue([t[2]!.infoHash], 'top')
    await w.advance(1000)
    expect(status(first.e)).toEqual({ r0: 'queued', r1: 'queued', r2: 'downloading' })
    await first.e.stop()
    const second = await engine(w, { maxActiveDownloads: 1 }, { state })
    await w.advance(1000)
    expect(positions(second.e)).toEqual({ r2: 1, r0: 2, r1: 3 })
    expect(status(second.e)).toEqual({ r0: 'queued', r1: 'queued', r2: 'downloading' })
  })

  it('after a restart, paused and queued torrents show their size and progress from the resume record', async () => {
    const w = world()
    const state = new MemoryStateStore()
    const files = new MemoryFilePort()
    const first = await engine(w, { maxActiveDownloads: 10, maxActiveTorrents: 10 }, { state, files })
    const lead = await torrentOf('lead.bin', 20_000, 30)
    const half = await torrentOf('half.bin', 100_000, 31) // 7 pieces of 16 KiB, the last 1,696 bytes
    const whole = await torrentOf('whole.bin', 50_000, 32)
    // the first three pieces of half.bin are on disk, the rest is missing
    files.put('downloads', 'lead.bin', lead.data)
    files.put('downloads', 'half.bin', half.data.slice(0, 3 * 16 * 1024))
    files.put('downloads', 'whole.bin', whole.data)
    await first.e.add({ torrentFile: lead.file })
    const th = await first.e.add({ torrentFile: half.file })
    const tw = await first.e.add({ torrentFile: whole.file })
    await w.advance(2000)
    expect(status(first.e)).toEqual({ 'lead.bin': 'seeding', 'half.bin': 'downloading', 'whole.bin': 'seeding' })
    await first.e.stopTorrent(th.infoHash)
    await first.e.stop()

    // one active torrent: lead.bin (first in the queue) runs, whole.bin waits, half.bin stays paused
    const second = await engine(w, { maxActiveTorrents: 1 }, { state, files })
    await w.advance(1000)
    expect(status(second.e)).toEqual({ 'lead.bin': 'seeding', 'half.bin': 'paused', 'whole.bin': 'queued' })
    expect(second.e.getTorrent(th.infoHash)!.downloader).toBeNull()
    expect(second.e.getTorrent(tw.infoHash)!.downloader).toBeNull()
    const byName = Object.fromEntries(second.e.summaries().map((s) => [s.name, s]))
    expect(byName['half.bin']).toMatchObject({ totalSize: 100_000, downloaded: 3 * 16 * 1024 })
    expect(byName['half.bin']!.progress).toBeCloseTo((3 * 16 * 1024) / 100_000, 6)
    expect(byName['whole.bin']).toMatchObject({ totalSize: 50_000, downloaded: 50_000, progress: 1 })
  })

  it('does not count torrents that moved nothing for a minute (libtorrent dont_count_slow_torrents)', async () => {
    const w = world()
    const { e } = await engine(w, { maxActiveDownloads: 1, maxActiveTorrents: 10 })
    for (let i = 0; i < 3; i++) await e.add({ torrentFile: (await torrentOf(`s${i}`, 20_000, 20 + i)).file })
    const running = () => e.summaries().filter((s) => s.status === 'downloading').length
    await w.advance(30_000)
    expect(running()).toBe(1)
    // s0 has been slow for a minute: it keeps running and s1 starts beside it
    await w.advance(32_000)
    expect(running()).toBe(2)
    expect(status(e)).toEqual({ s0: 'downloading', s1: 'downloading', s2: 'queued' })
    await w.advance(62_000)
    expect(running()).toBe(3)
  })

  it('limits active seeds separately', async () => {
    const w = world()
    const files = new MemoryFilePort()
    const { e } = await engine(w, { maxActiveSeeds: 2, dontCountSlowTorrents: false }, { files })
    for (let i = 0; i < 3; i++) {
      const { file, data } = await torrentOf(`c${i}`, 20_000, 30 + i)
      files.put('downloads', `c${i}`, data)
      await e.add({ torrentFile: file })
      await w.advance(500)
    }
    await w.advance(2000)
    expect(status(e)).toEqual({ c0: 'seeding', c1: 'seeding', c2: 'queued' })
  })
})

describe('seeding limits', () => {
  it('stops a seed at its seeding time, or removes it (keeping its data) when told to', async () => {
    const w = world()
    const files = new MemoryFilePort()
    const { e } = await engine(w, { seedingTimeLimitMin: 1 }, { files })
    const a = await torrentOf('a.bin', 20_000, 40)
    const b = await torrentOf('b.bin', 20_000, 41)
    files.put('downloads', 'a.bin', a.data)
    files.put('downloads', 'b.bin', b.data)
    const ta = await e.add({ torrentFile: a.file })
    const tb = await e.add({ torrentFile: b.file })
    await e.setSeedLimits(tb.infoHash, { seedingTimeMin: 'none' })
    await w.advance(30_000)
    expect(status(e)).toEqual({ 'a.bin': 'seeding', 'b.bin': 'seeding' })
    await w.advance(32_000)
    expect(status(e)).toEqual({ 'a.bin': 'paused', 'b.bin': 'seeding' })
    const sa = e.summaries().find((s) => s.infoHash === ta.infoHash)!
    expect(sa.seedingTimeSec).toBeGreaterThanOrEqual(60)
    expect(sa.seedingTimeSec).toBeLessThan(63)

    await e.setSettings({ seedLimitAction: 'remove' })
    await e.setSeedLimits(tb.infoHash, { seedingTimeMin: 2 })
    await w.advance(62_000)
    expect(e.getTorrent(tb.infoHash)).toBeUndefined()
    expect(files.peek('downloads', 'b.bin')?.length).toBe(20_000)
  })

  it('stops a seed at its share ratio; totals, seeding time and completion survive a restart', async () => {
    const w = world()
    const { file, data } = await torrentOf('r.bin', 96 * 1024, 50)
    const seedFiles = new MemoryFilePort()
    seedFiles.put('downloads', 'r.bin', data)
    const seedState = new MemoryStateStore()
    const seeder = await engine(w, { shareRatioLimit: 1 }, { address: '10.0.0.1', files: seedFiles, state: seedState })
    const leechState = new MemoryStateStore()
    const leechFiles = new MemoryFilePort()
    const leecher = await engine(w, {}, { address: '10.0.0.2', files: leechFiles, state: leechState })
    const ts = await seeder.e.add({ torrentFile: file })
    const tl = await leecher.e.add({ torrentFile: file })
    tl.addPeer('10.0.0.1', seeder.e.listenPort)
    for (let i = 0; i < 120 && !tl.isComplete(); i++) await w.advance(500)
    expect(tl.isComplete()).toBe(true)
    await w.advance(2000)
    // the seeder uploaded the whole torrent: ratio 1 (it downloaded nothing, so its size counts)
    expect(ts.uploadedTotal).toBeGreaterThanOrEqual(data.length)
    expect(status(seeder.e)).toEqual({ 'r.bin': 'paused' })
    // the torrent's own summary (what the CLI prints) counts the ratio the same way
    expect(ts.summary().ratio).toBeCloseTo(ts.uploadedTotal / data.length, 6)

    await w.advance(5000)
    const before = leecher.e.summaries()[0]!
    expect(before.downloadedTotal).toBeGreaterThanOrEqual(data.length)
    expect(before.completedAt).toBeGreaterThan(0)
    expect(before.seedingTimeSec).toBeGreaterThanOrEqual(5)
    await leecher.e.stop()
    await seeder.e.stop()

    const leecher2 = await engine(w, {}, { address: '10.0.0.2', files: leechFiles, state: leechState })
    await w.advance(1000)
    const after = leecher2.e.summaries()[0]!
    expect(after).toMatchObject({
      status: 'seeding',
      downloadedTotal: before.downloadedTotal,
      uploadedTotal: before.uploadedTotal,
      completedAt: before.completedAt,
      addedAt: before.addedAt,
    })
    expect(after.seedingTimeSec).toBeGreaterThanOrEqual(before.seedingTimeSec!)
    const seeder2 = await engine(w, { shareRatioLimit: 1 }, { address: '10.0.0.1', files: seedFiles, state: seedState })
    await w.advance(1000)
    const s2 = seeder2.e.summaries()[0]!
    // the ratio did not reset: still at the limit, so it stays stopped
    expect(s2.uploadedTotal).toBe(ts.uploadedTotal)
    expect(s2.ratio).toBeGreaterThanOrEqual(1)
    expect(s2.status).toBe('paused')
  })
})

describe('recovery from a full disk', () => {
  it('an errored torrent tells its tracker stopped; Start after space is freed queues it, runs it and finishes', async () => {
    const w = world()
    const tracker = await fakeHttpServer(w.net.host('10.0.0.5'), 80, () => ({
      pieces: ['HTTP/1.1 200 OK\r\n\r\n', 'd8:intervali1800e5:peers0:e'],
    }))
    const data = bytes(160 * 1024, 60)
    const file = await createTorrent({
      name: 'full.bin',
      pieceLength: 16 * 1024,
      files: [{ path: 'full.bin', data }],
      announce: 'http://10.0.0.5:80/announce',
    })
    const seedFiles = new MemoryFilePort()
    seedFiles.put('downloads', 'full.bin', data)
    const seeder = await engine(w, {}, { address: '10.0.0.1', files: seedFiles })
    const small = new MemoryFilePort({ quotaBytes: 64 * 1024 })
    const leecher = await engine(w, {}, { address: '10.0.0.2', files: small })
    await seeder.e.add({ torrentFile: file })
    const t = await leecher.e.add({ torrentFile: file })
    t.addPeer('10.0.0.1', seeder.e.listenPort)
    for (let i = 0; i < 60 && t.status !== 'error'; i++) await w.advance(500)
    expect(t.status).toBe('error')
    expect(t.error).toMatch(/^no-space/)
    await w.advance(2000)
    // the leecher's announces (left > 0): 'started', then 'stopped' once in error
    const events = () =>
      tracker.requests
        .map((r) => new URLSearchParams(r.target.split('?')[1]))
        .filter((q) => q.get('left') !== '0')
        .map((q) => q.get('event'))
    expect(events()).toEqual(['started', 'stopped'])
    await w.advance(10_000)
    expect(events()).toEqual(['started', 'stopped']) // no announces while in error

    small.quotaBytes = Number.POSITIVE_INFINITY // the user frees space
    await leecher.e.startTorrent(t.infoHash)
    expect(t.error).toBeUndefined()
    t.addPeer('10.0.0.1', seeder.e.listenPort)
    for (let i = 0; i < 120 && t.status !== 'seeding'; i++) await w.advance(500)
    expect(t.status).toBe('seeding')
    expect(t.summary().progress).toBe(1)
    expect(small.peek('downloads', 'full.bin')).toEqual(data)
    expect(events()[2]).toBe('started')
    tracker.close()
  })
})
