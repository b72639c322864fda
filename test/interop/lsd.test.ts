// Local peer discovery (BEP 14) with real libtorrent: no tracker, no DHT, no peer given by hand. libtorrent
// with LSD on in one network namespace and Tidepool (LSD on) in another, joined by a veth pair, must find
// each other by multicast and complete the download byte-exact. Each case starts one side first, so its
// announces at start are missed and the other side's must do the work: libtorrent hears ours in the
// first, we hear libtorrent's in the second. The namespaces are this test's own: no multicast touches the
// machine's interfaces. Needs root.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable, startLibtorrent, waitSeeding, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import { makeTorrent, type MadeTorrent } from '../fixtures/make-torrent.ts'
import { createNetnsPair, netnsAvailable, type NetnsPair } from '../fixtures/netns.ts'
import { stopAll } from '../fixtures/processes.ts'
import { tidepoolDownload, tidepoolSeed } from '../fixtures/tidepool-cli.ts'
import { expectDoneLine, expectExit0, expectSameContent } from './expect-download.ts'

/** The suite's TIDEPOOL_NO_MULTICAST guard, lifted for a Tidepool run inside namespace A only. */
const MULTICAST_HERE = { TIDEPOOL_NO_MULTICAST: '0' }

/** Every peer libtorrent listed as connected, with how it met it. */
function peersOf(p: LibtorrentPeer): Array<{ endpoint: string; lsd: boolean; outgoing: boolean }> {
  return p.proc.json.flatMap((l) =>
    Array.isArray(l.peerDetails) ? (l.peerDetails as Array<{ endpoint: string; lsd: boolean; outgoing: boolean }>) : [],
  )
}

describe.skipIf(!libtorrentAvailable() || !netnsAvailable())(
  'local peer discovery with libtorrent (own network namespaces)',
  () => {
    let work: string
    let t: MadeTorrent
    let pair: NetnsPair | null = null
    const owned: Array<{ stop(): Promise<unknown> }> = []
    beforeEach(async () => {
      work = await mkdtemp(join(tmpdir(), 'tidepool-lsd-'))
      t = await makeTorrent({
        dir: join(work, 'source'),
        name: 'found on the lan.bin',
        size: 2 * 1024 * 1024 + 5,
        pieceLength: 32 * 1024,
        trackers: [],
      })
      pair = createNetnsPair()
    })
    afterEach(async () => {
      await stopAll(owned.splice(0))
      pair?.destroy()
      pair = null
      await rm(work, { recursive: true, force: true })
    })

    it('a libtorrent seed hears tidepool download announce itself, and the download completes', async () => {
      const { a, b } = pair!
      const seed = await startLibtorrent({
        torrent: t.torrentPath,
        save: t.dir,
        seed: true,
        listen: b.address,
        lsd: true,
        wrap: b.wrap,
        intervalSec: 0.1,
        uploadLimit: 1024 * 1024,
        name: 'libtorrent seed (LSD, netns B)',
      })
      owned.push(seed)
      await waitSeeding(seed, 30_000)
      // libtorrent's announces at start (0, 2 and 6 s) are over before Tidepool joins the group; its upload
      // limit (1 MiB/s) keeps the connection up for status lines (every 0.1 s) to show how it was made
      await new Promise((r) => setTimeout(r, 7000))
      const out = join(work, 'out')
      const run = tidepoolDownload([t.torrentPath], {
        out,
        timeoutSec: 90,
        lsd: true,
        wrap: a.wrap,
        env: MULTICAST_HERE,
        debug: ['lsd'],
        name: 'tidepool download (LSD, netns A)',
      })
      owned.push(run)
      await expectExit0(run, 100_000)
      expectDoneLine(run, t)
      await expectSameContent(t, out)
      expect(run.proc.stderr()).toMatch(/local peer discovery on \(239\.192\.152\.143/)
      // the seed uploaded it all, and the only peer it ever had was Tidepool at its veth address
      await expect
        .poll(() => Number(seed.status()?.totalUpload ?? 0), { timeout: 5_000 })
        .toBeGreaterThanOrEqual(t.totalSize)
      // ... which libtorrent learned from our announce (source LSD) and dialled itself
      const peers = peersOf(seed)
      expect(peers.length, 'libtorrent listed no connected peer').toBeGreaterThan(0)
      expect(
        peers.every((p) => p.endpoint.startsWith(`${a.address}:`) && p.lsd && p.outgoing),
        JSON.stringify(peers),
      ).toBe(true)
    })

    it('tidepool seed hears a libtorrent leecher announce itself and serves it', async () => {
      const { a, b } = pair!
      const seed = await tidepoolSeed(t.torrentPath, {
        data: t.dir,
        lsd: true,
        wrap: a.wrap,
        env: MULTICAST_HERE,
        debug: ['lsd'],
        name: 'tidepool seed (LSD, netns A)',
      })
      owned.push(seed)
      // Tidepool's own announces at start (0, 2 and 6 s) are over before the leecher joins the group
      await new Promise((r) => setTimeout(r, 7000))
      const leech = await startLibtorrent({
        torrent: t.torrentPath,
        save: join(work, 'lt-leech'),
        listen: b.address,
        lsd: true,
        wrap: b.wrap,
        intervalSec: 0.1,
        name: 'libtorrent leech (LSD, netns B)',
      })
      owned.push(leech)
      await leech.waitFinished(60_000)
      expect(await diffTrees(t.contentPath, join(work, 'lt-leech', t.name))).toEqual([])
      // Tidepool heard the leecher's announce from its veth address and dialled it
      await expect
        .poll(() => seed.proc.stderr(), { timeout: 5_000 })
        .toMatch(new RegExp(`\\[lsd\\] peer ${b.address.replace(/\./g, '\\.')} port ${leech.port} has ${t.infoHash}`))
      const peers = peersOf(leech)
      expect(
        peers.every((p) => p.endpoint.startsWith(`${a.address}:`) && !p.outgoing),
        JSON.stringify(peers),
      ).toBe(true)
    })
  },
)
