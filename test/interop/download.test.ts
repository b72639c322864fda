// Tidepool's CLI downloads from real libtorrent 2.0 seeds on loopback behind a local tracker.
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { awkwardFiles } from '../fixtures/make-torrent.ts'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { tidepoolDownload } from '../fixtures/tidepool-cli.ts'
import { expectDoneLine, expectExit0, expectRegularStatus, expectSameContent } from './expect-download.ts'

const CLI_TIMEOUT_S = 60
const WAIT_MS = (CLI_TIMEOUT_S + 30) * 1000

describe.skipIf(!libtorrentAvailable())('download from libtorrent seeds', () => {
  let swarm: Swarm
  beforeEach(async () => {
    swarm = await createSwarm()
  })
  afterEach(async () => {
    await swarm.close()
  })

  it('single-file torrent over an HTTP tracker', async () => {
    const t = await swarm.torrent({
      name: 'single file.bin',
      size: 3 * 1024 * 1024 + 12345,
      pieceLength: 256 * 1024,
      tracker: 'http',
    })
    await swarm.seed(t)
    const from = swarm.tracker.events.length
    const out = join(swarm.work, 'out')
    const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S }))
    await expectExit0(run, WAIT_MS)
    expectDoneLine(run, t)
    expectRegularStatus(run, t)
    await expectSameContent(t, out)
    // the tracker heard the whole life of the download (BEP 3 events), from one port that is not 0
    const heard = swarm.tracker.events.slice(from).filter((e) => e.infoHash === t.infoHash)
    expect(
      heard.map((e) => e.type),
      JSON.stringify(heard),
    ).toEqual(['start', 'complete', 'stop'])
    expect(new Set(heard.map((e) => e.peerPort)).size).toBe(1)
    expect(heard[0]!.peerPort).toBeGreaterThan(0)
  })

  it('multi-file torrent (nested folders, spaces, non-Latin names, 0-byte file, piece-straddling files) over a UDP tracker', async () => {
    const pieceLength = 32 * 1024
    const t = await swarm.torrent({
      name: 'Awkward set — 混合 ñame',
      files: awkwardFiles(pieceLength),
      pieceLength,
      tracker: 'udp',
    })
    await swarm.seed(t)
    const out = join(swarm.work, 'out')
    const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S }))
    await expectExit0(run, WAIT_MS)
    expectDoneLine(run, t)
    await expectSameContent(t, out)
  })

  it('magnet link with no .torrent file (metadata from the peer, base32 info-hash)', async () => {
    const t = await swarm.torrent({
      name: 'from magnet',
      files: awkwardFiles(16 * 1024),
      pieceLength: 16 * 1024,
      tracker: 'both',
    })
    await swarm.seed(t)
    const out = join(swarm.work, 'out')
    const magnet = t.magnet({ base32: true })
    const run = swarm.own(tidepoolDownload([magnet], { out, timeoutSec: CLI_TIMEOUT_S }))
    await expectExit0(run, WAIT_MS)
    expectDoneLine(run, t)
    await expectSameContent(t, out)
  })

  it('several seeds at once: every seed contributes', async () => {
    const t = await swarm.torrent({ name: 'many seeds.bin', size: 6 * 1024 * 1024, pieceLength: 64 * 1024 })
    // rate-limited seeds so the download needs all of them and lasts long enough to see them
    const seeds = []
    for (let i = 0; i < 3; i++) seeds.push(await swarm.seed(t, { uploadLimit: 1024 * 1024 }))
    const out = join(swarm.work, 'out')
    const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S }))
    await expectExit0(run, WAIT_MS)
    expectDoneLine(run, t)
    await expectSameContent(t, out)
    const maxConnected = Math.max(...run.statuses(t.infoHash).map((l) => Number(l.connected) || 0))
    expect(maxConnected, 'peers connected at once').toBeGreaterThanOrEqual(3)
    // rate-limited honest seeds are never taken for peers that waste our time
    expect(run.final(t.infoHash)?.dropped, 'peers dropped for their conduct').toEqual([])
    // each seed's own counters say it uploaded a share (status lines come every 0.5 s)
    for (const s of seeds) {
      await expect
        .poll(() => Number(s.status()?.totalUpload ?? 0), { timeout: 5_000 })
        .toBeGreaterThan(t.totalSize / 10)
    }
  })

  it('several torrents in one run', async () => {
    const a = await swarm.torrent({ name: 'first.bin', size: 1024 * 1024 + 1, pieceLength: 32 * 1024, seed: 11 })
    const b = await swarm.torrent({
      name: 'second',
      files: [
        { path: ['x', 'y.bin'], size: 70_000 },
        { path: ['z.bin'], size: 5 },
      ],
      pieceLength: 16 * 1024,
      seed: 12,
      tracker: 'udp',
    })
    await swarm.seed(a)
    await swarm.seed(b)
    const out = join(swarm.work, 'out')
    const run = swarm.own(tidepoolDownload([a.torrentPath, b.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S }))
    await expectExit0(run, WAIT_MS)
    expectDoneLine(run, a)
    expectDoneLine(run, b)
    await expectSameContent(a, out)
    await expectSameContent(b, out)
  })
})
