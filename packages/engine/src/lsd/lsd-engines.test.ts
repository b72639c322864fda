import { afterEach, describe, expect, it } from 'vitest'
import { BtEngine } from '../engine/bt-engine.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { EngineSettings } from '../api/types.ts'
import { bytesEqual } from '../util/bytes.ts'
import { decodeLsdAnnounce, LSD_GROUP4, LSD_PORT } from './lsd-message.ts'

// Whole engines finding each other by local peer discovery on an in-memory network that carries
// multicast: no tracker, no DHT, no peer given by hand. Real timers (LSD ticks every second), bounded waits.

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function engine(
  net: MemoryNetwork,
  address: string,
  files = new MemoryFilePort(),
  settings: Partial<EngineSettings> = {},
): BtEngine {
  const e = new BtEngine({
    platform: { net: net.host(address), files, state: new MemoryStateStore(), now: () => Date.now() },
    settings,
  })
  engines.push(e)
  return e
}

/** Everything sent to the IPv4 LSD group, as a third host on the LAN hears it. */
async function listenToGroup(net: MemoryNetwork): Promise<Array<{ from: string; infoHashes: string[]; port: number }>> {
  const heard: Array<{ from: string; infoHashes: string[]; port: number }> = []
  const u = await net.host('10.0.0.99').bindUdp({ port: LSD_PORT, reuseAddr: true }, (d, from) => {
    const m = decodeLsdAnnounce(d)
    if (m) heard.push({ from: from.address, infoHashes: m.infoHashes, port: m.port })
  })
  await u.joinMulticast!({ group: LSD_GROUP4 })
  return heard
}

const content = new Uint8Array(200_000).map((_, i) => (i * 13 + (i >> 11)) & 255)

async function seedAndLeech(net: MemoryNetwork, opts: { private?: boolean; settings?: Partial<EngineSettings> } = {}) {
  const torrent = await createTorrent({
    name: 'lan.bin',
    pieceLength: 16 * 1024,
    files: [{ path: 'lan.bin', data: content }],
    private: opts.private,
  })
  const seedFiles = new MemoryFilePort()
  seedFiles.put('downloads', 'lan.bin', content)
  const a = engine(net, '10.0.0.1', seedFiles, opts.settings)
  await a.start()
  const ta = await a.add({ torrentFile: torrent })
  await until('seed verified', () => ta.status === 'seeding')
  const bFiles = new MemoryFilePort()
  const b = engine(net, '10.0.0.2', bFiles, opts.settings)
  await b.start()
  const tb = await b.add({ torrentFile: torrent })
  return { a, b, ta, tb, bFiles }
}

describe('local peer discovery between engines', () => {
  it('two engines with no tracker find each other on the LAN and the download completes', async () => {
    const net = new MemoryNetwork({ multicast: true })
    const heard = await listenToGroup(net)
    const { a, b, ta, tb, bFiles } = await seedAndLeech(net)
    await until('download complete', () => tb.isComplete())
    expect(bytesEqual(bFiles.peek('downloads', 'lan.bin')!, content)).toBe(true)
    // the peers came from LSD and nowhere else
    const sources = [
      ...(a.detail(ta.infoHash, ['swarm']).swarm ?? []),
      ...(b.detail(tb.infoHash, ['swarm']).swarm ?? []),
    ].flatMap((p) => p.sources)
    expect(sources).toContain('lsd')
    expect(sources.filter((s) => s !== 'lsd' && s !== 'incoming')).toEqual([])
    // what the LAN heard: each engine's own address and listen port, for this torrent
    expect(heard.some((h) => h.from === '10.0.0.1' && h.port === a.listenPort && h.infoHashes[0] === ta.infoHash)).toBe(
      true,
    )
    expect(heard.some((h) => h.from === '10.0.0.2' && h.port === b.listenPort && h.infoHashes[0] === tb.infoHash)).toBe(
      true,
    )
    // each engine ignored its own announces coming back
    expect(a.localDiscoveryStats()!.ownIgnored).toBeGreaterThan(0)
  })

  it('a private torrent is never announced and takes no LSD peers', async () => {
    const net = new MemoryNetwork({ multicast: true })
    const heard = await listenToGroup(net)
    const { a, b, ta, tb } = await seedAndLeech(net, { private: true })
    // announce for the private torrent by hand, as a client that ignores the flag would
    const spy = await net.host('10.0.0.3').bindUdp({ port: LSD_PORT, reuseAddr: true }, () => {})
    await spy.joinMulticast!({ group: LSD_GROUP4 })
    const msg = new TextEncoder().encode(
      `BT-SEARCH * HTTP/1.1\r\nHost: ${LSD_GROUP4}:6771\r\nPort: ${a.listenPort}\r\nInfohash: ${ta.infoHash}\r\n\r\n\r\n`,
    )
    for (let i = 0; i < 3; i++) {
      spy.send(msg, LSD_GROUP4, LSD_PORT)
      await new Promise((r) => setTimeout(r, 700))
    }
    expect(heard.filter((h) => h.from !== '10.0.0.3')).toEqual([])
    expect(tb.summary().progress).toBe(0)
    expect(b.detail(tb.infoHash, ['swarm']).swarm ?? []).toEqual([])
    expect(b.localDiscoveryStats()!.peers).toBe(0)
    spy.close()
  })

  it('off in the settings: nothing sent; turned on while running, it announces', async () => {
    const net = new MemoryNetwork({ multicast: true })
    const heard = await listenToGroup(net)
    const { a, ta } = await seedAndLeech(net, { settings: { localPeerDiscovery: false } })
    await new Promise((r) => setTimeout(r, 1500))
    expect(heard).toEqual([])
    expect(a.localDiscoveryStats()).toBeNull()
    await a.setSettings({ localPeerDiscovery: true })
    await until('an announce', () => heard.some((h) => h.from === '10.0.0.1' && h.infoHashes[0] === ta.infoHash))
    await a.setSettings({ localPeerDiscovery: false })
    expect(a.localDiscoveryStats()).toBeNull()
  })

  it('a platform without multicast (a daemon without the capability) runs without LSD', async () => {
    const net = new MemoryNetwork()
    const e = engine(net, '10.0.0.1')
    await e.start()
    expect(e.getSettings().localPeerDiscovery).toBe(true)
    expect(e.localDiscoveryStats()).toBeNull()
  })
})
