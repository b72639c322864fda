import { afterEach, describe, expect, it } from 'vitest'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { bytesEqual } from '../util/bytes.ts'
import { ManualClock } from '../util/clock.ts'
import { settle } from '../wire/peer-test-kit.ts'
import { BtEngine } from './bt-engine.ts'

// What a person does through the UI, on one engine over the in-memory platform: the results they
// see must be what happened (no silent no-ops, nothing undone behind their back).

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})

const HASH = 'aa'.repeat(20)

async function engine(opts: { state?: MemoryStateStore; files?: MemoryFilePort } = {}) {
  const clock = new ManualClock(1_000_000)
  const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
  const state = opts.state ?? new MemoryStateStore()
  const e = new BtEngine({
    platform: { net: net.host('10.0.0.1'), files: opts.files ?? new MemoryFilePort(), state, now: () => clock.now() },
    clock,
    settings: { dhtEnabled: false }, // no DHT row among the trackers, no lookups in a test
  })
  engines.push(e)
  await e.start()
  return { e, clock, state }
}

const twoFiles = () =>
  createTorrent({
    name: 'pair',
    pieceLength: 16 * 1024,
    files: [
      { path: 'a.bin', data: new Uint8Array(40_000).fill(1) },
      { path: 'b.bin', data: new Uint8Array(40_000).fill(2) },
    ],
  })

describe('what the UI asks of the engine', () => {
  it('keeps file priorities changed after adding across Stop and Start', async () => {
    const { e } = await engine()
    const t = await e.add({ torrentFile: await twoFiles(), selectedFiles: [0] })
    await settle()
    expect(t.filePriorities()).toEqual(['normal', 'skip'])
    await e.setFilePriority(t.infoHash, 1, 'high')
    await e.setFilePriority(t.infoHash, 0, 'skip')
    await e.stopTorrent(t.infoHash)
    await e.startTorrent(t.infoHash)
    await settle()
    expect(t.filePriorities()).toEqual(['skip', 'high'])
    expect(t.detail(['files']).files!.map((f) => f.priority)).toEqual(['skip', 'high'])
  })

  it('sets one priority for a whole folder in one change', async () => {
    const { e } = await engine()
    const t = await e.add({ torrentFile: await twoFiles() })
    await settle()
    await e.setFilePriorities(t.infoHash, [0, 1], 'skip')
    expect(t.filePriorities()).toEqual(['skip', 'skip'])
    await e.setFilePriorities(t.infoHash, [1, 7, -1], 'high') // out of range ignored
    expect(t.filePriorities()).toEqual(['skip', 'high'])
  })

  it('keeps a label over a restart, shows it in the summary, and clears it', async () => {
    const { e, state } = await engine()
    const t = await e.add({ torrentFile: await twoFiles(), paused: true })
    const other = await e.add({ magnet: `magnet:?xt=urn:btih:${HASH}`, paused: true })
    await e.setTorrentLabel(t.infoHash, '  Linux\tISOs ')
    await e.setTorrentLabel(other.infoHash, 'Music')
    const labels = (x: BtEngine) => Object.fromEntries(x.summaries().map((s) => [s.infoHash, s.label]))
    expect(labels(e)).toEqual({ [t.infoHash]: 'Linux ISOs', [HASH]: 'Music' })
    await expect(e.setTorrentLabel('bb'.repeat(20), 'x')).rejects.toThrow(/unknown torrent/)

    await e.stop()
    engines.splice(engines.indexOf(e), 1)
    const { e: e2 } = await engine({ state })
    await settle()
    expect(labels(e2)).toEqual({ [t.infoHash]: 'Linux ISOs', [HASH]: 'Music' })
    await e2.setTorrentLabel(t.infoHash, ' ')
    await e2.setTorrentLabel(HASH, null)
    expect(labels(e2)).toEqual({ [t.infoHash]: undefined, [HASH]: undefined })

    await e2.stop()
    engines.splice(engines.indexOf(e2), 1)
    const { e: e3 } = await engine({ state })
    await settle()
    expect(e3.summaries()).toHaveLength(2)
    expect(e3.summaries().every((s) => !('label' in s))).toBe(true)
  })

  it("says a torrent is already listed and merges the new link's trackers, kept over a restart", async () => {
    const { e, state } = await engine()
    const first = await e.addTorrentReport({
      magnet: `magnet:?xt=urn:btih:${HASH}&tr=http://127.0.0.1:1/announce`,
      paused: true,
    })
    expect(first).toMatchObject({ infoHash: HASH, alreadyAdded: false, trackersAdded: 0 })
    const again = await e.addTorrentReport({
      magnet: `magnet:?xt=urn:btih:${HASH}&tr=http://127.0.0.1:1/announce&tr=udp://127.0.0.1:2/announce`,
      paused: true,
    })
    expect(again).toMatchObject({ infoHash: HASH, alreadyAdded: true, trackersAdded: 1 })
    expect(e.list()).toHaveLength(1)
    const urls = () =>
      e
        .detail(HASH, ['trackers'])
        .trackers!.filter((r) => r.tier >= 0) // the DHT's row (tier -1) is not a tracker
        .map((r) => r.url)
        .sort()
    expect(urls()).toEqual(['http://127.0.0.1:1/announce', 'udp://127.0.0.1:2/announce'])
    const same = await e.addTorrentReport({ magnet: `magnet:?xt=urn:btih:${HASH}&tr=udp://127.0.0.1:2/announce` })
    expect(same).toMatchObject({ alreadyAdded: true, trackersAdded: 0 })

    await e.stop()
    engines.splice(engines.indexOf(e), 1)
    const { e: e2 } = await engine({ state })
    await settle()
    expect(
      e2
        .detail(HASH, ['trackers'])
        .trackers!.filter((r) => r.tier >= 0) // the DHT's row (tier -1) is not a tracker
        .map((r) => r.url)
        .sort(),
    ).toEqual(['http://127.0.0.1:1/announce', 'udp://127.0.0.1:2/announce'])
  })

  it('a stopped torrent shows 0 B/s at once', async () => {
    const { e } = await engine()
    const t = await e.add({ magnet: `magnet:?xt=urn:btih:${HASH}` })
    t.down.add(500_000)
    t.up.add(100_000)
    expect(t.summary().downloadRate).toBeGreaterThan(0)
    await e.stopTorrent(HASH)
    expect(t.summary()).toMatchObject({ status: 'paused', downloadRate: 0, uploadRate: 0 })
    expect(e.status()).toMatchObject({ downloadRate: 0, uploadRate: 0 })
  })

  it('takes only a download folder the helper serves, and lists them', async () => {
    const { e } = await engine({ files: new MemoryFilePort({ roots: ['downloads', 'media'] }) })
    expect(e.status().downloadFolders).toEqual(['downloads', 'media'])
    await expect(e.setSettings({ downloadRoot: '/home/me/Downloads' })).rejects.toThrow(
      /not a download folder of the helper\. Choose one of: downloads, media/,
    )
    expect(e.getSettings().downloadRoot).toBe('downloads')
    expect((await e.setSettings({ downloadRoot: 'media' })).downloadRoot).toBe('media')
  })

  it('after a recheck finds a bad piece, fetches it again from the known seed within seconds', async () => {
    // Real time over the in-memory network: without a prompt reconnect the seed waits out 60 s.
    const net = new MemoryNetwork()
    const data = new Uint8Array(96 * 1024).map((_, i) => (i * 31 + 7) & 0xff)
    const torrent = await createTorrent({ name: 'one.bin', pieceLength: 32 * 1024, files: [{ path: 'one.bin', data }] })
    const seedFiles = new MemoryFilePort()
    seedFiles.put('downloads', 'one.bin', data)
    const mk = (address: string, files: MemoryFilePort) => {
      const e = new BtEngine({
        platform: { net: net.host(address), files, state: new MemoryStateStore(), now: () => Date.now() },
        settings: { dhtEnabled: false },
      })
      engines.push(e)
      return e
    }
    const seed = mk('10.0.0.1', seedFiles)
    await seed.start()
    await seed.add({ torrentFile: torrent })
    const ourFiles = new MemoryFilePort()
    const ours = mk('10.0.0.2', ourFiles)
    await ours.start()
    const t = await ours.add({ torrentFile: torrent })
    t.addPeer('10.0.0.1', seed.listenPort)
    await realUntil('downloaded', () => t.status === 'seeding', 10_000)
    const bad = ourFiles.peek('downloads', 'one.bin')!
    bad[40_000] ^= 0xff // inside piece 1
    ourFiles.put('downloads', 'one.bin', bad)
    const t0 = Date.now()
    await ours.recheckTorrent(t.infoHash)
    expect(t.status).toBe('downloading')
    await realUntil('the bad piece fetched again', () => t.status === 'seeding', 10_000)
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(bytesEqual(ourFiles.peek('downloads', 'one.bin')!, data)).toBe(true)
  })
})

async function realUntil(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
