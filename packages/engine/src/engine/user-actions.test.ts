import { afterEach, describe, expect, it } from 'vitest'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
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
  const e = new BtEngine({ platform: { net: net.host('10.0.0.1'), files: opts.files ?? new MemoryFilePort(), state, now: () => clock.now() }, clock })
  engines.push(e)
  await e.start()
  return { e, clock, state }
}

const twoFiles = () => createTorrent({
  name: 'pair', pieceLength: 16 * 1024,
  files: [{ path: 'a.bin', data: new Uint8Array(40_000).fill(1) }, { path: 'b.bin', data: new Uint8Array(40_000).fill(2) }],
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

  it('says a torrent is already listed and merges the new link\'s trackers, kept over a restart', async () => {
    const { e, state } = await engine()
    const first = await e.addTorrentReport({ magnet: `magnet:?xt=urn:btih:${HASH}&tr=http://127.0.0.1:1/announce`, paused: true })
    expect(first).toMatchObject({ infoHash: HASH, alreadyAdded: false, trackersAdded: 0 })
    const again = await e.addTorrentReport({ magnet: `magnet:?xt=urn:btih:${HASH}&tr=http://127.0.0.1:1/announce&tr=udp://127.0.0.1:2/announce`, paused: true })
    expect(again).toMatchObject({ infoHash: HASH, alreadyAdded: true, trackersAdded: 1 })
    expect(e.list()).toHaveLength(1)
    const urls = () => e.detail(HASH, ['trackers']).trackers!.map((r) => r.url).sort()
    expect(urls()).toEqual(['http://127.0.0.1:1/announce', 'udp://127.0.0.1:2/announce'])
    const same = await e.addTorrentReport({ magnet: `magnet:?xt=urn:btih:${HASH}&tr=udp://127.0.0.1:2/announce` })
    expect(same).toMatchObject({ alreadyAdded: true, trackersAdded: 0 })

    await e.stop()
    engines.splice(engines.indexOf(e), 1)
    const { e: e2 } = await engine({ state })
    await settle()
    expect(e2.detail(HASH, ['trackers']).trackers!.map((r) => r.url).sort()).toEqual(['http://127.0.0.1:1/announce', 'udp://127.0.0.1:2/announce'])
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
    await expect(e.setSettings({ downloadRoot: '/home/me/Downloads' })).rejects.toThrow(/not a download folder of the helper\. Choose one of: downloads, media/)
    expect(e.getSettings().downloadRoot).toBe('downloads')
    expect((await e.setSettings({ downloadRoot: 'media' })).downloadRoot).toBe('media')
  })
})
