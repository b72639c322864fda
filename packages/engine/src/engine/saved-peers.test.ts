import { afterEach, describe, expect, it } from 'vitest'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { PeerPool } from '../pool/peer-pool.ts'
import { loadSavedPeers, savedPeersKey } from '../torrent/saved-peers.ts'
import { utf8Encode } from '../util/bytes.ts'
import { BtEngine } from './bt-engine.ts'

// Known-good peers survive a restart: with trackers and the DHT unreachable, a restarted engine
// dials the peers its torrent saved and finishes the download.

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const content = new Uint8Array(400_000).map((_, i) => (i * 7 + (i >> 11)) & 0xff)

describe('saved peers', () => {
  it('a restarted engine, its tracker and DHT unreachable, reconnects to the saved peers and resumes', async () => {
    const net = new MemoryNetwork()
    // a tracker and a DHT bootstrap node that do not exist
    const torrent = await createTorrent({
      name: 'x.bin',
      pieceLength: 16 * 1024,
      files: [{ path: 'x.bin', data: content }],
      announce: 'http://10.0.0.99:6969/announce',
    })
    const seedFiles = new MemoryFilePort()
    seedFiles.put('downloads', 'x.bin', content)
    const seed = new BtEngine({
      settings: { dhtEnabled: false },
      platform: { net: net.host('10.0.0.1'), files: seedFiles, state: new MemoryStateStore(), now: () => Date.now() },
    })
    engines.push(seed)
    await seed.start()
    const st = await seed.add({ torrentFile: torrent })
    await until('seeding', () => st.status === 'seeding')

    const state = new MemoryStateStore()
    const files = new MemoryFilePort()
    const settings = { dhtEnabled: true, dhtBootstrap: ['10.0.0.98:6881'] }
    const first = new BtEngine({
      settings: { ...settings, downloadRateLimit: 100_000 },
      platform: { net: net.host('10.0.0.2'), files, state, now: () => Date.now() },
    })
    engines.push(first)
    await first.start()
    const t1 = await first.add({ torrentFile: torrent })
    t1.addPeer('10.0.0.1', seed.listenPort)
    await until('part of the download', () => t1.summary().progress > 0.2)
    expect(t1.isComplete()).toBe(false)
    await first.stop()
    engines.splice(engines.indexOf(first), 1)
    const saved = await loadSavedPeers(state, t1.infoHash, Date.now())
    expect(saved.map((p) => `${p.ip}:${p.port}`)).toEqual([`10.0.0.1:${seed.listenPort}`])
    expect(saved[0]!.downloaded).toBeGreaterThan(0)
    expect(saved[0]!.sources).toEqual(['manual'])

    // the same state and files; the session brings the torrent back, nobody tells it of the seed
    const second = new BtEngine({
      settings: { ...settings, downloadRateLimit: 0 },
      platform: { net: net.host('10.0.0.2'), files, state, now: () => Date.now() },
    })
    engines.push(second)
    await second.start()
    const t2 = second.getTorrent(t1.infoHash)!
    expect(t2).toBeDefined()
    await until('resumed download complete', () => t2.isComplete())
    const peer = t2.pool.findPeer('10.0.0.1', seed.listenPort)!
    expect([...peer.sources]).toEqual(['resume'])
    expect(t2.trackers.rows()[0]!.status).not.toBe('working')
  })

  it('saves the useful peers, most useful first, and refuses junk on load', async () => {
    const pool = new PeerPool({ connect: () => {}, now: () => 1_000_000 })
    pool.addPeers(
      [
        { ip: '10.0.0.1', port: 1 },
        { ip: '10.0.0.2', port: 2 },
        { ip: '10.0.0.3', port: 3 },
      ],
      'tracker',
    )
    pool.updatePeerStats('10.0.0.2', 2, 5000, 0)
    pool.updatePeerStats('10.0.0.3', 3, 100, 50)
    expect(pool.usefulPeers(10).map((p) => p.ip)).toEqual(['10.0.0.2', '10.0.0.3'])
    const state = new MemoryStateStore()
    const h = 'ab'.repeat(20)
    await state.set(
      savedPeersKey(h),
      utf8Encode(
        JSON.stringify([
          { ip: '10.0.0.9', port: 9, sources: ['dht'], downloaded: 1, uploaded: 0, lastSeen: 999_999_000_000 },
          { ip: '10.0.0.8', port: 70000, lastSeen: 999_999_000_000 },
          { ip: '10.0.0.7', port: 7, lastSeen: 1 }, // too old
          'junk',
        ]),
      ),
    )
    expect((await loadSavedPeers(state, h, 1_000_000_000_000)).map((p) => p.ip)).toEqual(['10.0.0.9'])
    await state.set(savedPeersKey(h), utf8Encode('{not json'))
    expect(await loadSavedPeers(state, h, 1_000_000)).toEqual([])
  })

  it('ties in the candidate order go to the lower handshake round trip, then to more pieces we lack', () => {
    const pool = new PeerPool({ connect: () => {}, now: () => 1_000_000, config: { maxActiveConnections: 10 } })
    pool.addPeers(
      [
        { ip: '10.0.0.1', port: 1 },
        { ip: '10.0.0.2', port: 2 },
        { ip: '10.0.0.3', port: 3 },
        { ip: '10.0.0.4', port: 4 },
      ],
      'tracker',
    )
    pool.recordMeasures('10.0.0.1', 1, { rttMs: 300 })
    pool.recordMeasures('10.0.0.2', 2, { rttMs: 20 })
    pool.recordMeasures('10.0.0.3', 3, { diversity: 5 })
    pool.recordMeasures('10.0.0.4', 4, { diversity: 50 })
    expect(pool.candidates(4).map((p) => p.ip)).toEqual(['10.0.0.2', '10.0.0.1', '10.0.0.4', '10.0.0.3'])
  })
})
