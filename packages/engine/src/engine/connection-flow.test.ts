import { describe, expect, it } from 'vitest'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { ManualClock } from '../util/clock.ts'
import { BtEngine } from './bt-engine.ts'
import { createEngineApi } from './engine-api.ts'
import { fakeHttpServer } from '../tracker/test-http-server.ts'

// The fair connection queue as seen through the engine: torrents ask the fair queue for slots, a grant dials the
// pool's best candidate, and the display list shows it `connecting` from that moment, drops it
// when the connect fails and shows it `connected` after the handshake. Time is a ManualClock.

async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve()
}

async function setup() {
  const clock = new ManualClock(1_000_000)
  const net = new MemoryNetwork({
    setTimer: (fn, ms) => clock.setTimeout(fn, ms),
    connectBehaviour: (o) => (o.host === '10.0.0.9' ? 'timeout' : o.host === '10.0.0.8' ? 'refused' : 'accept'),
  })
  const data = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff)
  const torrent = await createTorrent({ name: 'x.bin', pieceLength: 32 * 1024, files: [{ path: 'x.bin', data }] })
  const mk = (address: string, files: MemoryFilePort) =>
    new BtEngine({
      settings: { dhtEnabled: false },
      platform: { net: net.host(address), files, state: new MemoryStateStore(), now: () => clock.now() },
      clock,
    })
  const seedFiles = new MemoryFilePort()
  seedFiles.put('downloads', 'x.bin', data)
  const seed = mk('10.0.0.1', seedFiles)
  await seed.start()
  await seed.add({ torrentFile: torrent })
  const files = new MemoryFilePort()
  const e = mk('10.0.0.2', files)
  await e.start()
  const t = await e.add({ torrentFile: torrent })
  return { clock, seed, e, t, files, data }
}

describe('engine connection flow', () => {
  it('peers show as connecting when dialled, vanish on failure, become connected after the handshake', async () => {
    const { clock, seed, e, t } = await setup()
    t.addPeer('10.0.0.9', 6881) // hangs until the connect timeout
    t.addPeer('10.0.0.8', 6881) // refused
    t.addPeer('10.0.0.1', seed.listenPort) // a live seed
    expect(e.getConnectionQueueStats().pendingByTorrent[t.infoHash]).toBe(3)
    expect(t.getDisplayPeers()).toEqual([])

    clock.advance(100) // one drain: three grants
    const dialled = t.getDisplayPeers()
    expect(dialled.map((p) => p.state)).toEqual(['connecting', 'connecting', 'connecting'])
    expect(dialled.map((p) => p.key).sort()).toEqual(
      [`10.0.0.1:${seed.listenPort}`, '10.0.0.8:6881', '10.0.0.9:6881'].sort(),
    )
    expect(e.getConnectionQueueStats().totalPending).toBe(0)

    await flush()
    const after = new Map(t.getDisplayPeers().map((p) => [p.key, p]))
    expect(after.has('10.0.0.8:6881')).toBe(false) // refused: gone
    expect(after.get('10.0.0.9:6881')?.state).toBe('connecting')
    const live = after.get(`10.0.0.1:${seed.listenPort}`)
    expect(live?.state).toBe('connected')
    expect(live?.session?.client).toMatch(/Tidepool/)
    expect(t.summary()).toMatchObject({ connected: 1, connecting: 1 })

    clock.advance(10_000) // the hanging connect times out
    await flush()
    expect(t.getDisplayPeers().map((p) => p.key)).toEqual([`10.0.0.1:${seed.listenPort}`])
    expect(t.pool.findPeer('10.0.0.9', 6881)?.lastError).toBe('timeout')
    await e.stop()
    await seed.stop()
  })

  it('recognises its own address (a tracker hands it back) and never dials it again', async () => {
    const { clock, seed, e, t } = await setup()
    t.addPeer('10.0.0.2', e.listenPort)
    clock.advance(100)
    await flush()
    expect(t.getDisplayPeers()).toEqual([])
    expect(t.pool.findPeer('10.0.0.2', e.listenPort)).toBeUndefined()
    expect(t.addPeer('10.0.0.2', e.listenPort)).toBeNull()
    await e.stop()
    await seed.stop()
  })

  it('stopping or removing a torrent cancels its connection requests', async () => {
    const { clock, seed, e, t } = await setup()
    t.addPeer('10.0.0.9', 1)
    t.addPeer('10.0.0.9', 2)
    expect(e.getConnectionQueueStats().totalPending).toBe(2)
    await e.stopTorrent(t.infoHash)
    expect(e.getConnectionQueueStats()).toMatchObject({ totalPending: 0, pendingByTorrent: {} })
    clock.advance(1000)
    expect(t.getDisplayPeers()).toEqual([])
    await e.startTorrent(t.infoHash)
    clock.advance(1000) // maintenance asks again for its free slots
    expect(t.getDisplayPeers().length + e.getConnectionQueueStats().totalPending).toBe(2)
    // new peers, asked for but not granted yet (no drain has run since): removing drops the requests
    t.addPeer('10.0.0.9', 3)
    t.addPeer('10.0.0.9', 4)
    expect(e.getConnectionQueueStats().pendingByTorrent[t.infoHash]).toBe(2)
    await e.remove(t.infoHash)
    expect(e.getTorrent(t.infoHash)).toBeUndefined()
    expect(e.getConnectionQueueStats()).toMatchObject({ totalPending: 0, pendingByTorrent: {} })
    await e.stop()
    await seed.stop()
  })

  it('starts with the default bucket (10/s, burst 20); a rate set at run time survives later settings changes', async () => {
    const { clock, seed, e, t } = await setup()
    expect(e.getConnectionQueueStats().rateLimiterAvailable).toBe(20)
    for (let i = 1; i <= 30; i++) t.addPeer('10.0.0.9', i) // all hang until the connect timeout
    expect(t.connectingCount()).toBe(0) // granted on the next task, never inside addPeer
    clock.advance(0)
    expect(t.connectingCount()).toBe(1) // an idle queue gives one round at once
    clock.advance(100)
    expect(t.connectingCount()).toBe(21) // the first tick: the rest of the burst of 20, plus 1 earned in 100 ms
    clock.advance(500)
    expect(t.connectingCount()).toBe(26) // then 10 a second
    e.setConnectionRateLimit(2) // burst: twice the rate
    await e.setSettings({ uploadRateLimit: 1000 }) // an unrelated change must not reset the bucket
    expect(e.getSettings()).toMatchObject({ connectionRatePerSec: 2, connectionBurst: 4 })
    await e.stop()
    await seed.stop()
  })

  it('a platform connect that throws instead of rejecting fails that peer and leaks no in-flight connect', async () => {
    const clock = new ManualClock(1_000_000)
    const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
    const base = net.host('10.0.0.2')
    // a port whose connect throws synchronously for one host (a broken or unusual platform)
    const throwing = new Proxy(base, {
      get(target, key) {
        if (key === 'connect') {
          return (o: { host: string; port: number }) => {
            if (o.host === '10.0.0.7') throw new Error('no route')
            return target.connect(o)
          }
        }
        const v = Reflect.get(target, key) as unknown
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
      },
    })
    const torrent = await createTorrent({
      name: 'y.bin',
      pieceLength: 32 * 1024,
      files: [{ path: 'y.bin', data: new Uint8Array(40_000) }],
    })
    const e = new BtEngine({
      settings: { dhtEnabled: false },
      platform: { net: throwing, files: new MemoryFilePort(), state: new MemoryStateStore(), now: () => clock.now() },
      clock,
    })
    await e.start()
    const t = await e.add({ torrentFile: torrent })
    t.addPeer('10.0.0.7', 6881)
    clock.advance(100)
    await flush()
    const p = t.pool.findPeer('10.0.0.7', 6881)
    expect(p?.state).toBe('disconnected')
    expect(p?.failcount).toBe(1)
    expect(t.getDisplayPeers()).toEqual([])
    expect(t.connectingCount()).toBe(0)
    expect(base.connectsInFlight).toBe(0)
    expect((e as unknown as { connectsInFlight: number }).connectsInFlight).toBe(0) // the engine's count feeds the queue's daemon-cap check
    await e.stop()
  })

  it("stopping the engine announces 'stopped' with our listen port (the listener closes after the torrents)", async () => {
    const clock = new ManualClock(1_000_000)
    const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
    const tracker = await fakeHttpServer(net.host('10.0.0.5'), 80, () => ({
      pieces: ['HTTP/1.1 200 OK\r\n\r\n', 'd8:intervali1800e5:peers0:e'],
    }))
    const data = new Uint8Array(40_000).map((_, i) => i & 255)
    const torrent = await createTorrent({
      name: 'z.bin',
      pieceLength: 32 * 1024,
      files: [{ path: 'z.bin', data }],
      announce: 'http://10.0.0.5:80/announce',
    })
    const files = new MemoryFilePort()
    files.put('downloads', 'z.bin', data) // already complete: 'started' says left=0, no 'completed' owed
    const e = new BtEngine({
      settings: { dhtEnabled: false },
      platform: { net: net.host('10.0.0.2'), files, state: new MemoryStateStore(), now: () => clock.now() },
      clock,
    })
    await e.start()
    const added = await e.add({ torrentFile: torrent })
    // until the tracker has answered 'started': only a tracker that saw it is owed a 'stopped'
    for (let i = 0; i < 20 && added.trackers.rows()[0]?.status !== 'working'; i++) {
      clock.advance(100)
      await flush(50)
    }
    expect(tracker.requests.map((r) => new URLSearchParams(r.target.split('?')[1]).get('event'))).toEqual(['started'])
    const port = String(e.listenPort)
    expect(port).not.toBe('0')
    const stopping = e.stop()
    for (let i = 0; i < 5; i++) {
      clock.advance(100)
      await flush(50)
    }
    await stopping
    const q = tracker.requests.map((r) => new URLSearchParams(r.target.split('?')[1]))
    expect(q.map((p) => p.get('event'))).toEqual(['started', 'stopped'])
    expect(q.map((p) => p.get('port'))).toEqual([port, port]) // not 0: the listener closes after the torrents
    tracker.close()
  })

  it('asks only for its free slots (peer limit minus connected and connecting), however many candidates it has', async () => {
    const { clock, seed, e, t } = await setup()
    await e.setSettings({ maxPeersPerTorrent: 3 })
    for (let i = 1; i <= 10; i++) t.addPeer('10.0.0.9', i)
    expect(e.getConnectionQueueStats().pendingByTorrent[t.infoHash]).toBe(3) // not 10
    for (let i = 0; i < 5; i++) {
      clock.advance(1000)
      await flush()
      expect(t.connectingCount() + e.getConnectionQueueStats().totalPending).toBe(3)
    }
    expect(t.pool.getStats().candidates).toBe(7) // the rest wait for a free slot
    await e.stop()
    await seed.stop()
  })

  it("never has more connects in flight than the daemon's caps allow: no busy answers", async () => {
    const clock = new ManualClock(1_000_000)
    const net = new MemoryNetwork({
      setTimer: (fn, ms) => clock.setTimeout(fn, ms),
      connectBehaviour: () => 'timeout', // every peer hangs for the 10 s connect timeout
      connectLimits: { maxConnectsInFlight: 2, maxConnectsPending: 2 },
    })
    const port = net.host('10.0.0.2')
    const e = new BtEngine({
      settings: { dhtEnabled: false },
      platform: { net: port, files: new MemoryFilePort(), state: new MemoryStateStore(), now: () => clock.now() },
      clock,
    })
    await e.start()
    const torrents = await Promise.all(
      ['a.bin', 'b.bin'].map(async (name) =>
        e.add({
          torrentFile: await createTorrent({
            name,
            pieceLength: 16384,
            files: [{ path: name, data: new Uint8Array(5000) }],
          }),
        }),
      ),
    )
    for (const [n, t] of torrents.entries()) for (let i = 1; i <= 10; i++) t.addPeer(`10.0.1.${n}`, i)
    let peak = 0
    for (let step = 0; step < 250; step++) {
      clock.advance(100)
      await flush()
      peak = Math.max(peak, port.connectsInFlight)
      expect(torrents[0]!.connectingCount() + torrents[1]!.connectingCount()).toBeLessThanOrEqual(2)
    }
    expect(peak).toBe(2) // the caps were used, never exceeded
    expect(port.busyCount).toBe(0)
    expect(torrents.map((t) => t.pool.findPeer(`10.0.1.${torrents.indexOf(t)}`, 1)?.lastError)).toEqual([
      'timeout',
      'timeout',
    ])
    await e.stop()
  })

  it('stopping the engine stops the drain loop', async () => {
    const { clock, seed, e, t } = await setup()
    await e.stop()
    e.requestConnections(t.infoHash.toUpperCase(), 3)
    expect(e.getConnectionQueueStats().pendingByTorrent[t.infoHash]).toBe(3)
    clock.advance(1000)
    expect(e.getConnectionQueueStats().pendingByTorrent[t.infoHash]).toBe(3) // nothing granted
    await seed.stop()
  })

  it('the download rate limit holds requests back; lifting it finishes the download', async () => {
    const { clock, seed, e, t, files, data } = await setup()
    await e.setSettings({ downloadRateLimit: 16 * 1024 })
    t.addPeer('10.0.0.1', seed.listenPort)
    for (let i = 0; i < 30; i++) {
      clock.advance(100)
      await flush(50)
    }
    // one second of burst plus three seconds at 16 KiB/s
    const got = t.summary().downloadedTotal
    expect(got).toBeGreaterThan(0)
    expect(got).toBeLessThanOrEqual(4 * 16 * 1024)
    expect(t.isComplete()).toBe(false)
    await e.setSettings({ downloadRateLimit: 0 })
    for (let i = 0; i < 30 && !t.isComplete(); i++) {
      clock.advance(1000)
      await flush(50)
      await new Promise((r) => setTimeout(r, 5)) // SHA-1 runs off-thread
    }
    expect(t.isComplete()).toBe(true)
    expect(files.peek('downloads', 'x.bin')?.length).toBe(data.length)
    await e.stop()
    await seed.stop()
  })

  it('the upload rate limit paces what a seed serves', async () => {
    const { clock, seed, e, t } = await setup()
    await seed.setSettings({ uploadRateLimit: 16 * 1024 })
    t.addPeer('10.0.0.1', seed.listenPort)
    for (let i = 0; i < 30; i++) {
      clock.advance(100)
      await flush(50)
    }
    const sent = seed.list()[0]!.summary().uploadedTotal
    expect(sent).toBeGreaterThan(0)
    expect(sent).toBeLessThanOrEqual(4 * 16 * 1024)
    expect(t.isComplete()).toBe(false)
    await e.stop()
    await seed.stop()
  })

  it('the UI API returns plain data that survives structured clone', async () => {
    const { clock, seed, e, t } = await setup()
    const api = createEngineApi(e)
    t.addPeer('10.0.0.1', seed.listenPort)
    clock.advance(100)
    await flush()
    const list = await api.listTorrents()
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ infoHash: t.infoHash, name: 'x.bin', totalSize: 100_000, connected: 1 })
    const detail = await api.getTorrentDetail(t.infoHash, ['peers', 'swarm', 'files', 'trackers', 'pieces'])
    expect(structuredClone(detail)).toEqual(detail)
    expect(detail.peers?.[0]).toMatchObject({ state: 'connected', ip: '10.0.0.1' })
    t.addPeer('10.0.0.9', 6881) // hangs: shows as a connecting row with no client yet
    clock.advance(100)
    const rows = (await api.getTorrentDetail(t.infoHash, ['peers'])).peers!
    expect(rows.map((r) => r.state).sort()).toEqual(['connected', 'connecting'])
    expect(rows.find((r) => r.state === 'connecting')).toMatchObject({ ip: '10.0.0.9', port: 6881, client: '' })
    expect(detail.files?.[0]).toMatchObject({ path: 'x.bin', size: 100_000, priority: 'normal' })
    expect(detail.pieces?.pieceCount).toBe(4)
    expect((await api.getStatus()).listenPort).toBe(e.listenPort)
    const s = await api.setSettings({ maxPeersPerTorrent: 7, connectionRatePerSec: 5 })
    expect(s.maxPeersPerTorrent).toBe(7)
    expect(t.pool.getConfig().maxActiveConnections).toBe(7)
    await e.stop()
    await seed.stop()
  })
})
