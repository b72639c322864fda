// IPv6 with real libtorrent over the IPv6 loopback (::1): a libtorrent leecher that knows Tidepool only
// as [::1]:PORT downloads from `tidepool seed` (which listens on [::] as well as 0.0.0.0), and `tidepool
// download` dials a libtorrent seed that listens on [::1] only. No tracker: the only way to meet is IPv6.
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable, startLibtorrent, waitSeeding } from '../fixtures/libtorrent.ts'
import { makeTorrent, type MadeTorrent } from '../fixtures/make-torrent.ts'
import { stopAll } from '../fixtures/processes.ts'
import { tidepoolDownload, tidepoolSeed } from '../fixtures/tidepool-cli.ts'
import { expectDoneLine, expectExit0, expectSameContent } from './expect-download.ts'

/** Whether this machine can listen on ::1 (IPv6 may be off); CI (TIDEPOOL_REQUIRE_INTEROP) insists. */
async function ipv6Loopback(): Promise<boolean> {
  if (process.env.TIDEPOOL_REQUIRE_INTEROP === '1') return true
  const srv = net.createServer()
  const ok = await new Promise<boolean>((resolve) => {
    srv.once('error', () => resolve(false))
    srv.listen(0, '::1', () => resolve(true))
  })
  if (ok) await new Promise<void>((r) => srv.close(() => r()))
  return ok
}

const usable = libtorrentAvailable() && (await ipv6Loopback())

describe.skipIf(!usable)('IPv6 with libtorrent over ::1', () => {
  let work: string
  let t: MadeTorrent
  const owned: Array<{ stop(): Promise<unknown> }> = []
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'tidepool-ipv6-'))
    t = await makeTorrent({
      dir: join(work, 'source'),
      name: 'over six.bin',
      size: 3 * 1024 * 1024 + 17,
      pieceLength: 64 * 1024,
      trackers: [],
    })
  })
  afterEach(async () => {
    await stopAll(owned.splice(0))
    await rm(work, { recursive: true, force: true })
  })

  it('a libtorrent leecher on [::1] downloads from tidepool seed byte-exact', async () => {
    const seed = await tidepoolSeed(t.torrentPath, { data: t.dir })
    owned.push(seed)
    const leech = await startLibtorrent({
      torrent: t.torrentPath,
      save: join(work, 'lt-leech'),
      listen: '::1',
      addPeers: [`[::1]:${seed.listenPort}`],
      intervalSec: 0.1,
    })
    owned.push(leech)
    await leech.waitFinished(60_000)
    expect(await diffTrees(t.contentPath, join(work, 'lt-leech', t.name))).toEqual([])
    expect(Number(leech.status()?.totalDownload ?? 0)).toBeGreaterThanOrEqual(t.totalSize)
    // libtorrent's own view (sampled every 0.1 s, so a fast download may show none): only Tidepool at [::1]
    const seen = new Set(
      leech.proc.json.flatMap((l) => (Array.isArray(l.peerEndpoints) ? (l.peerEndpoints as string[]) : [])),
    )
    expect(
      [...seen].every((e) => e === `[::1]:${seed.listenPort}`),
      [...seen].join(', '),
    ).toBe(true)
  })

  it('tidepool download dials a libtorrent seed that listens on [::1] only (x.pe=[::1]:PORT)', async () => {
    const seed = await startLibtorrent({
      torrent: t.torrentPath,
      save: t.dir,
      seed: true,
      listen: '::1',
      name: 'libtorrent seed [::1]',
    })
    owned.push(seed)
    await waitSeeding(seed, 30_000)
    const out = join(work, 'out')
    const magnet = `magnet:?xt=urn:btih:${t.infoHash}&x.pe=${encodeURIComponent(`[::1]:${seed.port}`)}`
    const run = tidepoolDownload([magnet], { out, timeoutSec: 90, debug: ['peer'] })
    owned.push(run)
    await expectExit0(run, 100_000)
    expectDoneLine(run, t)
    await expectSameContent(t, out)
    await expect
      .poll(() => Number(seed.status()?.totalUpload ?? 0), { timeout: 5_000 })
      .toBeGreaterThanOrEqual(t.totalSize)
    // the peer is named the way the peers table and the log show it
    expect(run.proc.stderr()).toContain(`[::1]:${seed.port}: connected`)
  })
})
