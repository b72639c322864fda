// The daemon's data plane against real libtorrent 2.0 on loopback, through the CLI as users run it:
// pieces from a libtorrent seed are kept, hashed and written by the daemon (framed sockets, plain and
// RC4), a libtorrent leecher is served blocks the daemon reads itself, and TIDEPOOL_DATA_PLANE=0 keeps
// the old path. Tidepool's status lines count its framed peers (`framed`); libtorrent's own report says
// how the connection was protected.
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { tidepoolDownload, tidepoolSeed } from '../fixtures/tidepool-cli.ts'
import { expectDoneLine, expectExit0, expectSameContent } from './expect-download.ts'
import { freeTcpPort } from '../fixtures/free-port.ts'

const CLI_TIMEOUT_S = 60
const WAIT_MS = (CLI_TIMEOUT_S + 30) * 1000

/** Most framed peers at once over a run's status lines. */
const framedPeak = (lines: Array<Record<string, unknown>>): number =>
  Math.max(0, ...lines.map((l) => Number(l.framed) || 0))
const ltRc4Peak = (p: LibtorrentPeer): number =>
  Math.max(
    0,
    ...p.proc.json
      .filter((l) => l.event === 'status')
      .map((l) => Number((l.encryption as Record<string, number> | undefined)?.rc4 ?? 0)),
  )

describe.skipIf(!libtorrentAvailable())('the data plane with libtorrent', () => {
  let swarm: Swarm
  beforeEach(async () => {
    swarm = await createSwarm('tidepool-data-plane-')
  })
  afterEach(async () => {
    await swarm.close()
  })

  for (const encryption of ['disabled', 'forced'] as const) {
    it(`downloads from a libtorrent seed (${encryption === 'forced' ? 'RC4' : 'plain'}) over framed sockets, byte-exact`, async () => {
      const t = await swarm.torrent({
        name: `framed ${encryption}`,
        files: [
          { path: ['a.bin'], size: 2 * 1024 * 1024 + 333 },
          { path: ['sub', 'b.bin'], size: 700_001 },
        ],
        pieceLength: 64 * 1024,
      })
      // rate-limited so the transfer spans several of the CLI's status lines (every 0.5 s)
      await swarm.seed(t, { encryption, intervalSec: 0.25, uploadLimit: 1024 * 1024 })
      const out = join(swarm.work, 'out')
      const run = swarm.own(
        tidepoolDownload([t.torrentPath], {
          out,
          timeoutSec: CLI_TIMEOUT_S,
          debug: ['peer'],
          ...(encryption === 'forced' ? { encryption: 'require' as const } : {}),
        }),
      )
      await expectExit0(run, WAIT_MS)
      expectDoneLine(run, t)
      await expectSameContent(t, out)
      expect(framedPeak(run.statuses(t.infoHash)), run.describe()).toBeGreaterThanOrEqual(1)
      // no connection broke on the way (a keystream handed over at the wrong byte shows as a peer
      // "message over the limit" and a reconnect that hides it)
      const closes = run.proc
        .stderr()
        .split('\n')
        .filter((l) => / closed: /.test(l) && !/both seeds/.test(l))
      expect(closes).toEqual([])
    })
  }

  it('TIDEPOOL_DATA_PLANE=0: the same download on the old path, nothing framed', async () => {
    const t = await swarm.torrent({ name: 'old path.bin', size: 2 * 1024 * 1024 + 5, pieceLength: 64 * 1024 })
    await swarm.seed(t, { encryption: 'forced', intervalSec: 0.25, uploadLimit: 1024 * 1024 })
    const out = join(swarm.work, 'out')
    const run = swarm.own(
      tidepoolDownload([t.torrentPath], {
        out,
        timeoutSec: CLI_TIMEOUT_S,
        encryption: 'require',
        env: { TIDEPOOL_DATA_PLANE: '0' },
      }),
    )
    await expectExit0(run, WAIT_MS)
    await expectSameContent(t, out)
    const lines = run.statuses(t.infoHash)
    expect(Math.max(0, ...lines.map((l) => Number(l.connected) || 0)), run.describe()).toBeGreaterThanOrEqual(1)
    expect(framedPeak(lines)).toBe(0)
  })

  it('a libtorrent leecher (RC4) is served by tidepool seed from the daemon’s reads of the files', async () => {
    const t = await swarm.torrent({
      name: 'served framed',
      files: [
        { path: ['a.bin'], size: 8 * 1024 * 1024 + 5 },
        { path: ['b', 'c.bin'], size: 300_001 },
      ],
      pieceLength: 64 * 1024,
    })
    const port = await freeTcpPort()
    const seed = swarm.own(await tidepoolSeed(t.torrentPath, { data: t.dir, port, encryption: 'require' }))
    await expect
      .poll(() => swarm.tracker.peers(t.infoHash).some((p) => p.port === seed.listenPort && p.complete), {
        timeout: 15_000,
      })
      .toBe(true)
    // rate-limited so the transfer spans several of the seed's status lines (every second)
    const leech = await swarm.leech(t, { encryption: 'forced', intervalSec: 0.25, downloadLimit: 3 * 1024 * 1024 })
    await leech.waitFinished(60_000)
    expect(await diffTrees(t.contentPath, join(swarm.work, 'lt-leech-1', t.name))).toEqual([])
    expect(ltRc4Peak(leech), 'libtorrent saw an RC4 peer').toBeGreaterThanOrEqual(1)
    await expect
      .poll(() => Math.max(0, ...seed.proc.json.map((l) => Number(l.uploadedTotal) || 0)), { timeout: 5_000 })
      .toBeGreaterThanOrEqual(t.totalSize)
    expect(Math.max(0, ...seed.proc.json.map((l) => Number(l.framed) || 0)), 'the seed’s peer was framed').toBe(1)
    expect(Number(leech.status()?.totalDownload ?? 0)).toBeGreaterThanOrEqual(t.totalSize)
  })
})
