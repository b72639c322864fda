// Tracker editing and scrape against a real tracker (npm bittorrent-tracker on 127.0.0.1): a seeding
// BtEngine over a real daemon shows the tracker's own counts from its UDP scrape (BEP 15), and
// removing or adding a tracker in the running torrent is what the tracker hears (stopped / started).
// The tracker's HTTP scrape mangles binary info-hashes, so its row is only required to say so honestly;
// HTTP scrape parsing is covered on a captured reply (packages/engine/src/tracker/http-scrape.test.ts).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectBridgeNode } from '@tidepool/daemon-bridge/node'
import { BtEngine, createTorrent, MemoryStateStore, parseMetainfo, toHex, UdpTrackerClient } from '@tidepool/engine'
import { startDaemon } from '@tidepool/native-host'
import { afterEach, describe, expect, it } from 'vitest'
import { type LocalTracker, startTracker } from '../fixtures/tracker.ts'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('trackers: scrape and edits against bittorrent-tracker', () => {
  it('shows UDP scrape counts per tracker and tells a removed/added tracker stopped/started', async () => {
    const tracker: LocalTracker = await startTracker({ intervalSec: 60 })
    cleanups.push(() => tracker.close())
    const dir = mkdtempSync(join(tmpdir(), 'tidepool-scrape-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const data = randomBytes(100_000)
    writeFileSync(join(dir, 'scraped.bin'), data)
    const torrentFile = await createTorrent({
      name: 'scraped.bin',
      pieceLength: 16 * 1024,
      files: [{ path: 'scraped.bin', data }],
      announce: [[tracker.udpUrl], [tracker.httpUrl]],
    })
    const infoHash = (await parseMetainfo(torrentFile)).infoHash

    // another (fake) leecher announces over UDP, so the scrape has an incomplete peer to count too
    const token = randomBytes(16).toString('hex')
    const daemon = await startDaemon({ token, roots: { data: dir }, multicast: false })
    cleanups.push(() => daemon.close())
    const bridge = await connectBridgeNode({ url: daemon.url, token })
    cleanups.push(() => bridge.close())
    const other = new UdpTrackerClient(bridge.net)
    cleanups.push(() => other.close())
    const hash = Uint8Array.from(Buffer.from(infoHash, 'hex'))
    await other.announce(tracker.udpUrl, {
      infoHash: hash,
      peerId: randomBytes(20),
      port: 1,
      uploaded: 0,
      downloaded: 0,
      left: 5000,
      event: 'started',
      numwant: 0,
    })

    const e = new BtEngine({
      platform: { net: bridge.net, files: bridge.files, state: new MemoryStateStore(), now: () => Date.now() },
      settings: { downloadRoot: 'data', dhtEnabled: false, localPeerDiscovery: false, listenPort: 0 },
    })
    cleanups.push(() => e.stop())
    await e.start()
    const t = await e.add({ torrentFile, recheck: true })
    await expect.poll(() => t.status, { timeout: 20_000 }).toBe('seeding')
    const row = (url: string) => e.detail(infoHash, ['trackers']).trackers?.find((r) => r.url === url)

    // the scrape comes ~15 s after start: our seed (complete) and the fake leecher (incomplete)
    await expect.poll(() => row(tracker.udpUrl)?.scrapedAt ?? null, { timeout: 40_000, interval: 500 }).not.toBeNull()
    expect(row(tracker.udpUrl)).toMatchObject({ seeders: 1, leechers: 1, downloaded: expect.any(Number) })
    // the HTTP row either has counts or says why not (this tracker's HTTP scrape mangles the hash)
    await expect
      .poll(() => {
        const r = row(tracker.httpUrl)
        return r?.scrapedAt != null || r?.scrapeError !== undefined
      })
      .toBe(true)

    // removing the working UDP tracker tells it we stopped; adding it back tells it started
    const listenPort = e.status().listenPort
    const ours = (type: string) =>
      tracker.events.filter((x) => x.type === type && x.infoHash === toHex(hash) && x.peerPort === listenPort)
    // (both tiers are this one server: its UDP and its HTTP side each heard 'started')
    expect(ours('start')).toHaveLength(2)
    await e.editTrackers(infoHash, { kind: 'remove', urls: [tracker.udpUrl] })
    await expect.poll(() => ours('stop').length, { timeout: 10_000 }).toBe(1)
    expect(
      e
        .detail(infoHash, ['trackers'])
        .trackers?.filter((r) => r.tier >= 0)
        .map((r) => r.url),
    ).toEqual([tracker.httpUrl])
    // (a tier of its own: added into the HTTP tracker's tier it would wait behind it, as BEP 12 says)
    await e.editTrackers(infoHash, { kind: 'add', urls: [tracker.udpUrl] })
    await expect.poll(() => ours('start').length, { timeout: 10_000 }).toBe(3)
    expect(row(tracker.udpUrl)).toMatchObject({ tier: 1, status: 'working' })
  })
})
