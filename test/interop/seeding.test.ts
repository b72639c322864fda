// Tidepool as an uploader: a libtorrent leecher downloads everything from Tidepool seeding
// alone, and two Tidepool leechers fed by one slow libtorrent seed trade pieces with each other.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { awkwardFiles } from '../fixtures/make-torrent.ts'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { tidepoolDownload, tidepoolSeed } from '../fixtures/tidepool-cli.ts'
import { expectSameContent } from './expect-download.ts'
import { freeTcpPort } from '../fixtures/free-port.ts'

describe.skipIf(!libtorrentAvailable())('seeding', () => {
  let swarm: Swarm
  beforeEach(async () => {
    swarm = await createSwarm()
  })
  afterEach(async () => {
    await swarm.close()
  })

  it('a libtorrent leecher downloads a complete torrent from Tidepool seeding alone', async () => {
    const pieceLength = 32 * 1024
    const t = await swarm.torrent({
      name: 'served by tidepool',
      files: awkwardFiles(pieceLength).concat([{ path: ['big.bin'], size: 2 * 1024 * 1024 + 3 }]),
      pieceLength,
    })
    const port = await freeTcpPort()
    const seed = swarm.own(await tidepoolSeed(t.torrentPath, { data: t.dir, port }))
    expect(seed.listenPort).toBe(port) // --port is honoured
    // `seed` announces itself: the leecher is told nothing and finds Tidepool through the tracker
    await expect
      .poll(() => swarm.tracker.peers(t.infoHash).some((p) => p.port === port && p.complete), { timeout: 15_000 })
      .toBe(true)
    const leech = await swarm.leech(t)
    await leech.waitFinished(60_000)
    expect(await diffTrees(t.contentPath, join(swarm.work, 'lt-leech-1', t.name))).toEqual([])
    // the leecher got it all from Tidepool: it is the only peer
    expect(Number(leech.status()?.totalDownload ?? 0)).toBeGreaterThanOrEqual(t.totalSize)
  })

  it('two Tidepool leechers and one libtorrent seed: the Tidepool peers trade pieces', async () => {
    const t = await swarm.torrent({ name: 'shared.bin', size: 4 * 1024 * 1024, pieceLength: 32 * 1024 })
    // a slow seed, so each Tidepool peer holds pieces the other lacks for a while
    await swarm.seed(t, { uploadLimit: 512 * 1024 })
    const outA = join(swarm.work, 'out-a'),
      outB = join(swarm.work, 'out-b')
    await mkdir(outA)
    await mkdir(outB)
    const a = swarm.own(
      tidepoolDownload([t.torrentPath], { out: outA, seed: true, timeoutSec: 120, name: 'tidepool A' }),
    )
    const b = swarm.own(
      tidepoolDownload([t.torrentPath], { out: outB, seed: true, timeoutSec: 120, name: 'tidepool B' }),
    )
    await Promise.all([a.waitDone(t.infoHash, 150_000), b.waitDone(t.infoHash, 150_000)]).catch((e: Error) => {
      throw new Error(`${e.message}\n--- A ---\n${a.describe()}\n--- B ---\n${b.describe()}`)
    })
    await expectSameContent(t, outA, '(A)')
    await expectSameContent(t, outB, '(B)')
    // keep-seeding runs keep printing status; the last counters are the totals
    const uploaded = (run: typeof a) =>
      Math.max(0, ...run.statuses(t.infoHash).map((l) => Number(l.uploadedTotal) || 0))
    await expect.poll(() => uploaded(a) > 0 && uploaded(b) > 0, { timeout: 5_000 }).toBe(true)
    // only the two Tidepool peers download, so every uploaded byte went to the other one
    expect(uploaded(a) + uploaded(b), 'bytes traded between the Tidepool peers').toBeGreaterThan(t.totalSize / 4)
  })
})
