// uTP (BEP 29) against real libtorrent 2.0 on loopback, through the CLI as users run it. The libtorrent
// peers have TCP off both ways (enable_incoming_tcp / enable_outgoing_tcp false, the uTP pair on), so
// nothing moves unless Tidepool's daemon speaks uTP: a uTP-only seed serves `tidepool download` (met
// through the tracker, so Tidepool first tries TCP and falls back to uTP), a uTP-only leecher downloads
// from `tidepool seed`, and an RC4-forced uTP-only seed shows MSE running over a uTP stream. Each side's
// own report says how the peer was connected (libtorrent's utp_socket flag, Tidepool's `transport` counts).
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { tidepoolDownload, tidepoolSeed, type TidepoolRun } from '../fixtures/tidepool-cli.ts'
import { expectDoneLine, expectExit0, expectSameContent } from './expect-download.ts'
import { freeTcpPort } from '../fixtures/free-port.ts'

const CLI_TIMEOUT_S = 90
const WAIT_MS = (CLI_TIMEOUT_S + 30) * 1000

type Counts = Record<string, number>
/** Most peers of `kind` at once over a run's status lines, under `field` (transport or encryption). */
function peak(lines: Array<Record<string, unknown>>, field: string, kind: string): number {
  return Math.max(0, ...lines.map((l) => Number(((l[field] ?? {}) as Counts)[kind] ?? 0)))
}
const ltLines = (p: LibtorrentPeer) => p.proc.json.filter((l) => l.event === 'status')
const tpLines = (run: TidepoolRun, infoHash: string) => run.statuses(infoHash)

describe.skipIf(!libtorrentAvailable())('uTP with libtorrent', () => {
  let swarm: Swarm
  beforeEach(async () => {
    swarm = await createSwarm('tidepool-utp-')
  })
  afterEach(async () => {
    await swarm.close()
  })

  it('a uTP-only libtorrent seed serves tidepool download byte-exact, over uTP on both sides', async () => {
    const t = await swarm.torrent({ name: 'utp seed.bin', size: 3 * 1024 * 1024 + 777, pieceLength: 128 * 1024 })
    const seed = await swarm.seed(t, { transport: 'utp', intervalSec: 0.25 })
    const out = join(swarm.work, 'out')
    const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S }))
    await expectExit0(run, WAIT_MS)
    expectDoneLine(run, t)
    await expectSameContent(t, out)
    await expect.poll(() => peak(ltLines(seed), 'transports', 'utp'), { timeout: 5_000 }).toBeGreaterThanOrEqual(1)
    expect(peak(ltLines(seed), 'transports', 'tcp'), 'libtorrent saw a TCP peer').toBe(0)
    await expect
      .poll(() => Number(seed.status()?.totalUpload ?? 0), { timeout: 5_000 })
      .toBeGreaterThanOrEqual(t.totalSize)
    const lines = tpLines(run, t.infoHash)
    // the transfer may fit between two status lines: when a line saw the peer, it was over uTP
    if (peak(lines, 'transport', 'tcp') + peak(lines, 'transport', 'utp') > 0)
      expect(peak(lines, 'transport', 'tcp'), run.describe()).toBe(0)
  })

  it('a uTP-only libtorrent leecher downloads from tidepool seed', async () => {
    const t = await swarm.torrent({
      name: 'served over utp',
      files: [
        { path: ['a.bin'], size: 4 * 1024 * 1024 + 5 },
        { path: ['b', 'c.bin'], size: 300_001 },
      ],
      pieceLength: 64 * 1024,
    })
    const port = await freeTcpPort()
    const seed = swarm.own(await tidepoolSeed(t.torrentPath, { data: t.dir, port }))
    await expect
      .poll(() => swarm.tracker.peers(t.infoHash).some((p) => p.port === seed.listenPort && p.complete), {
        timeout: 15_000,
      })
      .toBe(true)
    const leech = await swarm.leech(t, { transport: 'utp', intervalSec: 0.25 })
    await leech.waitFinished(90_000)
    expect(await diffTrees(t.contentPath, join(swarm.work, 'lt-leech-1', t.name))).toEqual([])
    expect(peak(ltLines(leech), 'transports', 'utp'), 'libtorrent saw a uTP peer').toBeGreaterThanOrEqual(1)
    expect(peak(ltLines(leech), 'transports', 'tcp')).toBe(0)
    await expect
      .poll(() => Math.max(0, ...seed.proc.json.map((l) => Number(l.uploadedTotal) || 0)), { timeout: 5_000 })
      .toBeGreaterThanOrEqual(t.totalSize)
  })

  it('an RC4-forced uTP-only libtorrent seed serves tidepool download: MSE over a uTP stream', async () => {
    const t = await swarm.torrent({ name: 'utp rc4.bin', size: 2 * 1024 * 1024 + 9, pieceLength: 64 * 1024 })
    const seed = await swarm.seed(t, { transport: 'utp', encryption: 'forced', intervalSec: 0.25 })
    const out = join(swarm.work, 'out')
    const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S }))
    await expectExit0(run, WAIT_MS)
    await expectSameContent(t, out)
    await expect.poll(() => peak(ltLines(seed), 'encryption', 'rc4'), { timeout: 5_000 }).toBeGreaterThanOrEqual(1)
    expect(peak(ltLines(seed), 'encryption', 'plain')).toBe(0)
    expect(peak(ltLines(seed), 'transports', 'utp')).toBeGreaterThanOrEqual(1)
    expect(peak(ltLines(seed), 'transports', 'tcp')).toBe(0)
  })

  it('with --no-utp a uTP-only libtorrent seed stays out of reach', async () => {
    const t = await swarm.torrent({ name: 'no utp.bin', size: 256 * 1024, pieceLength: 32 * 1024 })
    const seed = await swarm.seed(t, { transport: 'utp', intervalSec: 0.25 })
    const out = join(swarm.work, 'out')
    const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: 10, noUtp: true }))
    const code = await run.wait(60_000)
    expect(code, run.describe()).toBe(5) // EXIT.timeout
    expect(Number(seed.status()?.totalUpload ?? 0)).toBe(0)
  })
})
