// A seed serving corrupt data next to a good one: the download completes with the right bytes and the
// bad peer is banned. The corrupt seed is a libtorrent seeding a copy with one byte flipped
// in every piece, without hash checks.
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { tidepoolDownload } from '../fixtures/tidepool-cli.ts'
import { expectDoneLine, expectExit0, expectSameContent } from './expect-download.ts'

describe.skipIf(!libtorrentAvailable())('corrupt seed', () => {
  let swarm: Swarm
  beforeEach(async () => {
    swarm = await createSwarm()
  })
  afterEach(async () => {
    await swarm.close()
  })

  it('completes from the good seed and bans the bad one', async () => {
    const t = await swarm.torrent({ name: 'guarded.bin', size: 4 * 1024 * 1024, pieceLength: 64 * 1024 })
    const bad = await swarm.seed(t, { corrupt: true })
    // the good seed is slow so the bad one gets asked for pieces too
    const good = await swarm.seed(t, { uploadLimit: 1024 * 1024 })
    const out = join(swarm.work, 'out')
    const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: 90 }))
    await expectExit0(run, 120_000)
    const final = expectDoneLine(run, t)
    await expectSameContent(t, out)
    // the bad peer really sent data, and Tidepool noticed
    expect(Number(bad.status()?.totalUpload ?? 0), 'corrupt seed uploaded something').toBeGreaterThan(0)
    expect(Number(final.hashFailures ?? 0), `hash failures in ${JSON.stringify(final)}`).toBeGreaterThan(0)
    const banned = JSON.stringify(final.banned ?? [])
    expect(banned, 'bad seed is in the banned list').toContain(String(bad.port))
    expect(banned, 'good seed is not banned').not.toContain(String(good.port))
  })
})
