import { afterEach, describe, expect, it } from 'vitest'
import { bindDatagramTransport } from '../dht/datagram-transport.ts'
import { DhtNode } from '../dht/dht-node.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { EngineSettings } from '../api/types.ts'
import { realClock } from '../util/clock.ts'
import { utf8Decode, utf8Encode } from '../util/bytes.ts'
import { fromHex } from '../util/hex.ts'
import { isSecureNodeId } from '../dht/node-id.ts'
import { BtEngine } from './bt-engine.ts'
import { secureIdFor } from './engine-dht.ts'
import { DEFAULT_SETTINGS, mergeSettings } from './settings.ts'

// Whole engines with their DHT nodes over the in-memory network (real timers, bounded waits): the
// wiring between torrents, the engine's node, the handshake bit and PORT messages.

const engines: BtEngine[] = []
const nodes: DhtNode[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
  for (const n of nodes.splice(0)) n.close()
})

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const content = new Uint8Array(150_000).map((_, i) => (i * 31 + (i >> 9)) & 0xff)

function engine(
  net: MemoryNetwork,
  address: string,
  settings: Partial<EngineSettings>,
  state = new MemoryStateStore(),
  files = new MemoryFilePort(),
) {
  const e = new BtEngine({ settings, platform: { net: net.host(address), files, state, now: () => Date.now() } })
  engines.push(e)
  return { e, files, state }
}

/** A plain DHT node every engine bootstraps from. */
async function router(net: MemoryNetwork, address: string): Promise<DhtNode> {
  const transport = await bindDatagramTransport(net.host(address), { port: 6881 })
  const n = new DhtNode({ transport, clock: realClock })
  nodes.push(n)
  return n
}

describe('the engine DHT', () => {
  it('a trackerless magnet finds its seed through the DHT; the peer comes from source dht', async () => {
    const net = new MemoryNetwork()
    await router(net, '10.0.0.100')
    const torrent = await createTorrent({
      name: 'x.bin',
      pieceLength: 16 * 1024,
      files: [{ path: 'x.bin', data: content }],
    })
    const meta = await parseMetainfo(torrent)
    const dht = { dhtEnabled: true, dhtBootstrap: ['10.0.0.100:6881'] }
    const seed = engine(net, '10.0.0.1', dht)
    seed.files.put('downloads', 'x.bin', content)
    await seed.e.start()
    const st = await seed.e.add({ torrentFile: torrent })
    await until('seeding', () => st.status === 'seeding')
    // the seed announced: the router stores it
    await until('the seed announced', () => nodes[0]!.storedPeers > 0)

    const leech = engine(net, '10.0.0.2', dht)
    await leech.e.start()
    const lt = await leech.e.add({ magnet: `magnet:?xt=urn:btih:${meta.infoHash}` })
    await until('download complete', () => lt.isComplete())
    const peer = lt.pool.allPeers().find((p) => p.ip === '10.0.0.1')
    expect(peer?.sources.has('dht')).toBe(true)
    const row = lt.detail(['trackers']).trackers!.find((r) => r.url === 'DHT')!
    expect(row.status).toBe('working')
    expect(row.peersReceived).toBeGreaterThan(0)
    expect(row.nextAnnounce).toBeGreaterThan(Date.now())
    const status = leech.e.status().dht!
    expect(status.state).toBe('ready')
    expect(status.nodes).toBeGreaterThan(0)
  })

  it("PORT messages: connected peers with the DHT bit learn each other's nodes (pinged first); never for a private torrent", async () => {
    for (const priv of [false, true]) {
      const net = new MemoryNetwork()
      const torrent = await createTorrent({
        name: 'x.bin',
        pieceLength: 16 * 1024,
        files: [{ path: 'x.bin', data: content }],
        private: priv,
      })
      const meta = await parseMetainfo(torrent)
      // no bootstrap nodes: the only way to learn a node is a PORT message
      const dht = { dhtEnabled: true, dhtBootstrap: [] }
      const a = engine(net, '10.0.0.1', dht)
      a.files.put('downloads', 'x.bin', content)
      await a.e.start()
      const at = await a.e.add({ torrentFile: torrent })
      await until('seeding', () => at.status === 'seeding')
      const b = engine(net, '10.0.0.2', dht)
      await b.e.start()
      const bt = await b.e.add({
        torrentFile: torrent,
        magnet: `magnet:?xt=urn:btih:${meta.infoHash}&x.pe=10.0.0.1:${a.e.listenPort}`,
      })
      bt.addPeer('10.0.0.1', a.e.listenPort)
      await until('download complete', () => bt.isComplete())
      if (!priv) {
        await until(
          'both nodes know each other',
          () => a.e.status().dht!.nodes === 1 && b.e.status().dht!.nodes === 1,
          5000,
        )
      } else {
        await new Promise((r) => setTimeout(r, 300))
        expect(a.e.status().dht!.nodes).toBe(0)
        expect(b.e.status().dht!.nodes).toBe(0)
        expect(bt.detail(['trackers']).trackers!.find((r) => r.url === 'DHT')).toMatchObject({
          status: 'disabled',
          message: 'private torrent',
          peersReceived: 0,
        })
      }
      for (const e of engines.splice(0)) await e.stop()
    }
  })

  it('keeps its node id and routing table across a restart; off means no UDP socket at all', async () => {
    const net = new MemoryNetwork()
    await router(net, '10.0.0.100')
    const state = new MemoryStateStore()
    const first = engine(net, '10.0.0.1', { dhtEnabled: true, dhtBootstrap: ['10.0.0.100:6881'] }, state)
    await first.e.start()
    await until('joined', () => first.e.status().dht!.state === 'ready')
    await first.e.stop()
    engines.splice(engines.indexOf(first.e), 1)
    const saved = JSON.parse(utf8Decode((await state.get('session/dht'))!)) as { id: string; nodes: unknown[] }
    expect(saved.id).toMatch(/^[0-9a-f]{40}$/)
    expect(saved.nodes.length).toBeGreaterThan(0)

    // no bootstrap nodes this time: the saved table is all it has
    const second = engine(net, '10.0.0.1', { dhtEnabled: true, dhtBootstrap: [] }, state)
    await second.e.start()
    expect(second.e.status().dht!.nodes).toBe(saved.nodes.length)
    await second.e.stop()
    engines.splice(engines.indexOf(second.e), 1)
    expect((JSON.parse(utf8Decode((await state.get('session/dht'))!)) as { id: string }).id).toBe(saved.id)

    const off = engine(net, '10.0.0.3', { dhtEnabled: false })
    await off.e.start()
    expect(off.e.status().dht).toEqual({ state: 'off', nodes: 0, port: null })
    expect(off.e.dhtRunning()).toBe(false)
  })

  it('BEP 42: a saved id that is not secure for the address others reported is replaced by a secure one at start', async () => {
    const net = new MemoryNetwork()
    const state = new MemoryStateStore()
    const ip = '203.0.113.5'
    await state.set(
      'session/dht',
      utf8Encode(
        JSON.stringify({ id: '00'.repeat(20), nodes: [{ id: '11'.repeat(20), host: '10.0.0.9', port: 6881 }], ip }),
      ),
    )
    const e = engine(net, '10.0.0.1', { dhtEnabled: true, dhtBootstrap: [] }, state)
    await e.e.start()
    expect(e.e.status().dht!.nodes).toBe(1) // the table came along
    await e.e.stop()
    engines.splice(engines.indexOf(e.e), 1)
    const saved = JSON.parse(utf8Decode((await state.get('session/dht'))!)) as { id: string }
    expect(saved.id).not.toBe('00'.repeat(20))
    expect(isSecureNodeId(fromHex(saved.id), ip)).toBe(true)
    // already secure, or no address known: the id stays
    expect(secureIdFor({ id: saved.id, nodes: [], ip })).toBeNull()
    expect(secureIdFor({ id: '00'.repeat(20), nodes: [] })).toBeNull()
    expect(secureIdFor({ id: '00'.repeat(20), nodes: [], ip: '192.168.1.2' })).toBeNull() // exempt
  })

  it('magnetLink gives the name and the trackers, so the link is not findable only through the DHT', async () => {
    const net = new MemoryNetwork()
    const torrent = await createTorrent({
      name: 'a b.bin',
      pieceLength: 16 * 1024,
      files: [{ path: 'a b.bin', data: content }],
      announce: [['http://t.example/announce'], ['udp://u.example:6969']],
    })
    const meta = await parseMetainfo(torrent)
    const { e } = engine(net, '10.0.0.1', { dhtEnabled: false })
    await e.start()
    await e.add({ torrentFile: torrent, paused: true })
    expect(e.magnetLink(meta.infoHash)).toBe(
      `magnet:?xt=urn:btih:${meta.infoHash}&dn=a%20b.bin&tr=${encodeURIComponent('http://t.example/announce')}&tr=${encodeURIComponent('udp://u.example:6969')}`,
    )
    const bare = 'cd'.repeat(20)
    await e.add({ magnet: `magnet:?xt=urn:btih:${bare}`, paused: true })
    expect(e.magnetLink(bare)).toBe(`magnet:?xt=urn:btih:${bare}`)
  })

  it('does not start against public routers when the platform sends UDP only to local addresses', async () => {
    const net = new MemoryNetwork()
    await router(net, '10.0.0.100')
    const make = (bootstrap: string[]) => {
      const host = net.host('10.0.0.1')
      Object.defineProperty(host, 'udpScope', { value: 'local' })
      const e = new BtEngine({
        settings: { dhtEnabled: true, dhtBootstrap: bootstrap },
        platform: { net: host, files: new MemoryFilePort(), state: new MemoryStateStore(), now: () => Date.now() },
      })
      engines.push(e)
      return e
    }
    const pub = make(['router.bittorrent.com:6881', '8.8.8.8:6881'])
    await pub.start()
    expect(pub.status().dht).toMatchObject({
      state: 'off',
      port: null,
      message: expect.stringContaining('only to local addresses'),
    })
    await pub.stop()
    const local = make(['router.bittorrent.com:6881', '10.0.0.100:6881'])
    await local.start()
    await until('joined through the local node', () => local.status().dht!.state === 'ready')
  })

  it('settings: on by default with the public routers; bootstrap entries must be HOST:PORT', () => {
    expect(DEFAULT_SETTINGS.dhtEnabled).toBe(true)
    expect(DEFAULT_SETTINGS.dhtBootstrap).toContain('router.bittorrent.com:6881')
    const s = mergeSettings(DEFAULT_SETTINGS, {
      dhtEnabled: false,
      dhtBootstrap: ['127.0.0.1:7000', 'nope', '[::1]:8', 'h:0'],
      dhtPort: 70000,
    })
    expect(s).toMatchObject({ dhtEnabled: false, dhtBootstrap: ['127.0.0.1:7000', '[::1]:8'], dhtPort: 65535 })
  })
})
