// MSE/PE against real libtorrent 2.0 on loopback, through the CLI as users run it: peers that insist on
// RC4 serve us and download from us; with --encryption require a plain-only peer gets nothing from us
// and the CLI says why; under the default (prefer) a plain-only peer is reached by falling back to plain.
// Each side's own report says how the connection was protected (libtorrent's peer_info flags,
// Tidepool's `encryption` counts in its status lines).
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { tidepoolDownload, tidepoolSeed, type TidepoolRun } from '../fixtures/tidepool-cli.ts'
import { expectDoneLine, expectExit0, expectSameContent } from './expect-download.ts'
import { freeTcpPort } from '../fixtures/free-port.ts'

const CLI_TIMEOUT_S = 60
const WAIT_MS = (CLI_TIMEOUT_S + 30) * 1000

type Counts = Record<string, number>
const counts = (l: Record<string, unknown> | undefined): Counts => (l?.encryption ?? {}) as Counts
/** Most peers of each kind at once over a run's status lines. */
function peak(lines: Array<Record<string, unknown>>, kind: string): number {
  return Math.max(0, ...lines.map((l) => Number(counts(l)[kind] ?? 0)))
}
const ltLines = (p: LibtorrentPeer) => p.proc.json.filter((l) => l.event === 'status')
const tpLines = (run: TidepoolRun, infoHash: string) => run.statuses(infoHash)

describe.skipIf(!libtorrentAvailable())('MSE/PE with libtorrent', () => {
  let swarm: Swarm
  beforeEach(async () => {
    swarm = await createSwarm('tidepool-encryption-')
  })
  afterEach(async () => {
    await swarm.close()
  })

  it('a libtorrent seed that requires RC4 serves tidepool download (default policy) byte-exact, RC4 both sides', async () => {
    const t = await swarm.torrent({ name: 'forced seed.bin', size: 3 * 1024 * 1024 + 777, pieceLength: 128 * 1024 })
    // rate-limited so the transfer spans several of the CLI's status lines (every 0.5 s)
    const seed = await swarm.seed(t, { encryption: 'forced', intervalSec: 0.25, uploadLimit: 1024 * 1024 })
    const out = join(swarm.work, 'out')
    const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S }))
    await expectExit0(run, WAIT_MS)
    expectDoneLine(run, t)
    await expectSameContent(t, out)
    expect(peak(tpLines(run, t.infoHash), 'rc4'), run.describe()).toBeGreaterThanOrEqual(1)
    expect(peak(tpLines(run, t.infoHash), 'plain'), 'Tidepool saw a plain peer').toBe(0)
    await expect
      .poll(() => Number(seed.status()?.totalUpload ?? 0), { timeout: 5_000 })
      .toBeGreaterThanOrEqual(t.totalSize)
    expect(peak(ltLines(seed), 'rc4'), 'libtorrent saw an RC4 peer').toBeGreaterThanOrEqual(1)
    expect(peak(ltLines(seed), 'plain'), 'libtorrent saw a plain peer').toBe(0)
  })

  it('a libtorrent leecher that requires RC4 downloads from tidepool seed --encryption require', async () => {
    const pieceLength = 64 * 1024
    const t = await swarm.torrent({
      name: 'served encrypted',
      files: [
        // large enough that the transfer outlasts several of libtorrent's peer samples (every loop turn,
        // <= 50 ms) even on a loaded machine: a 2 MiB one once started and ended between two
        { path: ['a.bin'], size: 12 * 1024 * 1024 + 5 },
        { path: ['b', 'c.bin'], size: 300_001 },
      ],
      pieceLength,
    })
    const port = await freeTcpPort()
    const seed = swarm.own(await tidepoolSeed(t.torrentPath, { data: t.dir, port, encryption: 'require' }))
    // the seed's own port (another process may take a freed port first; the engine then picks one)
    await expect
      .poll(() => swarm.tracker.peers(t.infoHash).some((p) => p.port === seed.listenPort && p.complete), {
        timeout: 15_000,
      })
      .toBe(true)
    const leech = await swarm.leech(t, { encryption: 'forced', intervalSec: 0.25 })
    await leech.waitFinished(60_000)
    expect(await diffTrees(t.contentPath, join(swarm.work, 'lt-leech-1', t.name))).toEqual([])
    expect(Number(leech.status()?.totalDownload ?? 0)).toBeGreaterThanOrEqual(t.totalSize)
    expect(peak(ltLines(leech), 'rc4'), 'libtorrent saw an RC4 peer').toBeGreaterThanOrEqual(1)
    expect(peak(ltLines(leech), 'plain')).toBe(0)
    // the transfer can fit between two of the seed's status lines (1 s): its counters tell it served it
    await expect
      .poll(() => Math.max(0, ...seed.proc.json.map((l) => Number(l.uploadedTotal) || 0)), { timeout: 5_000 })
      .toBeGreaterThanOrEqual(t.totalSize)
  })

  it('with --encryption require a plain-only libtorrent seed gets no connection and the CLI says why', async () => {
    const t = await swarm.torrent({ name: 'plain only.bin', size: 512 * 1024, pieceLength: 32 * 1024 })
    const seed = await swarm.seed(t, { encryption: 'disabled', intervalSec: 0.25 })
    const out = join(swarm.work, 'out')
    // bounded: the CLI gives up after its timeout
    const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: 12, encryption: 'require' }))
    const code = await run.wait(60_000)
    expect(code, run.describe()).toBe(5) // EXIT.timeout
    const stderr = run.proc.stderr()
    expect(stderr).toMatch(/no peers before the timeout/)
    expect(stderr, 'the reason is named').toMatch(
      new RegExp(`127\\.0\\.0\\.1:${seed.port}: encryption handshake failed`),
    )
    const lines = tpLines(run, t.infoHash)
    expect(Math.max(0, ...lines.map((l) => Number(l.connected) || 0))).toBe(0)
    expect(Math.max(0, ...lines.map((l) => Number(l.downloadedTotal) || 0))).toBe(0)
    expect(Number(seed.status()?.totalUpload ?? 0), 'nothing was served').toBe(0)
    expect(peak(ltLines(seed), 'plain') + peak(ltLines(seed), 'rc4')).toBe(0)
  })

  it('under the default policy a plain-only libtorrent seed is reached by falling back to plain', async () => {
    const t = await swarm.torrent({ name: 'fallback.bin', size: 2 * 1024 * 1024 + 3, pieceLength: 64 * 1024 })
    const seed = await swarm.seed(t, { encryption: 'disabled', intervalSec: 0.25, uploadLimit: 1024 * 1024 })
    const out = join(swarm.work, 'out')
    const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: 30 }))
    await expectExit0(run, 60_000)
    await expectSameContent(t, out)
    expect(peak(tpLines(run, t.infoHash), 'plain'), run.describe()).toBeGreaterThanOrEqual(1)
    expect(peak(tpLines(run, t.infoHash), 'rc4')).toBe(0)
    expect(peak(ltLines(seed), 'plain')).toBeGreaterThanOrEqual(1)
  })
})
