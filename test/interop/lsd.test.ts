// Local peer discovery (BEP 14) with real libtorrent: no tracker, no DHT, no peer given by hand. A
// libtorrent seed with LSD on in one network namespace and `tidepool download` (LSD on) in another,
// joined by a veth pair, must find each other by multicast and complete the download byte-exact.
// The namespaces are this test's own: no multicast touches the machine's interfaces. Needs root.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { libtorrentAvailable, startLibtorrent, waitSeeding } from '../fixtures/libtorrent.ts'
import { makeTorrent, type MadeTorrent } from '../fixtures/make-torrent.ts'
import { createNetnsPair, netnsAvailable, type NetnsPair } from '../fixtures/netns.ts'
import { stopAll } from '../fixtures/processes.ts'
import { tidepoolDownload } from '../fixtures/tidepool-cli.ts'
import { expectDoneLine, expectExit0, expectSameContent } from './expect-download.ts'

describe.skipIf(!libtorrentAvailable() || !netnsAvailable())('local peer discovery with libtorrent (own network namespaces)', () => {
  let work: string
  let t: MadeTorrent
  let pair: NetnsPair | null = null
  const owned: Array<{ stop(): Promise<unknown> }> = []
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'tidepool-lsd-'))
    t = await makeTorrent({ dir: join(work, 'source'), name: 'found on the lan.bin', size: 2 * 1024 * 1024 + 5, pieceLength: 32 * 1024, trackers: [] })
    pair = createNetnsPair()
  })
  afterEach(async () => {
    await stopAll(owned.splice(0))
    pair?.destroy()
    pair = null
    await rm(work, { recursive: true, force: true })
  })

  it('a libtorrent seed and tidepool download find each other by LSD and the download completes', async () => {
    const { a, b } = pair!
    const seed = await startLibtorrent({ torrent: t.torrentPath, save: t.dir, seed: true, listen: b.address, lsd: true, wrap: b.wrap, intervalSec: 0.1, name: 'libtorrent seed (LSD, netns B)' })
    owned.push(seed)
    await waitSeeding(seed, 30_000)
    const out = join(work, 'out')
    // the suite's TIDEPOOL_NO_MULTICAST guard is lifted for this one run, inside namespace A only
    const run = tidepoolDownload([t.torrentPath], { out, timeoutSec: 90, lsd: true, wrap: a.wrap, env: { TIDEPOOL_NO_MULTICAST: '0' }, debug: ['lsd'], name: 'tidepool download (LSD, netns A)' })
    owned.push(run)
    await expectExit0(run, 100_000)
    expectDoneLine(run, t)
    await expectSameContent(t, out)
    // the seed uploaded it all, and the only peer it ever listed was Tidepool at its veth address
    await expect.poll(() => Number(seed.status()?.totalUpload ?? 0), { timeout: 5_000 }).toBeGreaterThanOrEqual(t.totalSize)
    const seen = new Set(seed.proc.json.flatMap((l) => (Array.isArray(l.peerEndpoints) ? (l.peerEndpoints as string[]) : [])))
    expect([...seen].every((e) => e.startsWith(`${a.address}:`)), [...seen].join(', ')).toBe(true)
    // Tidepool's LSD ran and said so
    expect(run.proc.stderr()).toMatch(/local peer discovery on/)
  })
})
