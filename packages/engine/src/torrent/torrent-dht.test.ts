import { describe, expect, it } from 'vitest'
import { ManualClock } from '../util/clock.ts'
import type { PeerAddress } from '../util/peer-address.ts'
import {
  FEW_PEERS,
  FEW_PEERS_INTERVAL_MS,
  LOOKUP_INTERVAL_MS,
  RETRY_INTERVAL_MS,
  TorrentDht,
  type DhtAccess,
} from './torrent-dht.ts'

const settle = () => new Promise((r) => setTimeout(r, 0))
const quiet = { info() {}, warn() {}, error() {} }

/** A TorrentDht over a scripted DHT: each lookup answers with the next result (or failure). */
function kit(opts: { private?: boolean; knownPeers?: number; listenPort?: number } = {}) {
  const clock = new ManualClock(1_000_000)
  const calls: Array<{ at: number; port: number }> = []
  const added: PeerAddress[] = []
  let fail = false
  const state = { private: !!opts.private, knownPeers: opts.knownPeers ?? 0, on: true }
  const access: DhtAccess = {
    udpPort: 6881,
    addNode() {},
    async lookup(_h, port, onPeers) {
      calls.push({ at: clock.now(), port })
      if (fail) throw new Error('the DHT knows no nodes yet')
      onPeers([{ ip: '10.0.0.5', port: 5000 }])
      return { peers: 1, announcedTo: port > 0 ? 3 : 0 }
    },
  }
  const dht = new TorrentDht({
    infoHash: new Uint8Array(20),
    log: quiet,
    now: () => clock.now(),
    dht: () => (state.on ? access : null),
    isPrivate: () => state.private,
    listenPort: () => opts.listenPort ?? 6881,
    knownPeers: () => state.knownPeers,
    onPeers: (p) => added.push(...p),
  })
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 1000) {
      clock.advance(1000)
      dht.tick()
      await settle()
    }
  }
  return { clock, calls, added, dht, state, advance, setFail: (f: boolean) => (fail = f) }
}

describe('TorrentDht', () => {
  it('looks up at start, then every 2 minutes while few peers are known and every 15 once enough are', async () => {
    const k = kit()
    k.dht.start()
    await settle()
    expect(k.calls).toEqual([{ at: 1_000_000, port: 6881 }])
    expect(k.added).toEqual([{ ip: '10.0.0.5', port: 5000 }])
    await k.advance(FEW_PEERS_INTERVAL_MS)
    expect(k.calls).toHaveLength(2)
    k.state.knownPeers = FEW_PEERS
    await k.advance(FEW_PEERS_INTERVAL_MS) // the lookup above set 2 minutes: this one sets 15
    expect(k.calls).toHaveLength(3)
    await k.advance(LOOKUP_INTERVAL_MS - 1000)
    expect(k.calls).toHaveLength(3)
    await k.advance(1000)
    expect(k.calls).toHaveLength(4)
    expect(k.dht.row()).toMatchObject({
      url: 'DHT',
      status: 'working',
      peersReceived: 4,
      nextAnnounce: k.clock.now() + LOOKUP_INTERVAL_MS,
    })
  })

  it('retries after 30 s when a lookup fails; without a listen port it only asks (port 0)', async () => {
    const k = kit({ listenPort: 0 })
    k.setFail(true)
    k.dht.start()
    await settle()
    expect(k.dht.row()).toMatchObject({ status: 'error', message: 'the DHT knows no nodes yet' })
    k.setFail(false)
    await k.advance(RETRY_INTERVAL_MS)
    expect(k.calls.map((c) => c.port)).toEqual([0, 0])
    expect(k.dht.row().status).toBe('working')
  })

  it('never for a private torrent, nothing while the DHT is off, and nothing after stop', async () => {
    const p = kit({ private: true })
    p.dht.start()
    await p.advance(LOOKUP_INTERVAL_MS)
    expect(p.calls).toEqual([])
    expect(p.dht.row()).toMatchObject({ status: 'disabled', message: 'private torrent', nextAnnounce: null })

    const off = kit()
    off.state.on = false
    off.dht.start()
    await off.advance(5000)
    expect(off.calls).toEqual([])
    expect(off.dht.row()).toMatchObject({ status: 'disabled', message: 'DHT is off' })
    off.state.on = true // turned on later: the overdue lookup runs at the next tick
    await off.advance(1000)
    expect(off.calls).toHaveLength(1)
    off.dht.stop()
    await off.advance(LOOKUP_INTERVAL_MS)
    expect(off.calls).toHaveLength(1)
  })
})
