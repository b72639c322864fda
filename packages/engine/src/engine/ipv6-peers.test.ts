import { afterEach, describe, expect, it } from 'vitest'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { IoError, type NetPort, type TcpListener } from '../platform/ports.ts'
import { fakeHttpServer } from '../tracker/test-http-server.ts'
import { buildAnnounceUrl } from '../tracker/http-announce.ts'
import { bytesEqual } from '../util/bytes.ts'
import { createLogger } from '../util/log.ts'
import { encodeBencode } from '../util/bencode.ts'
import { BtEngine } from './bt-engine.ts'
import { globalIpv6 } from './global-ipv6.ts'
import { listenForPeers } from './peer-listener.ts'
import { DEFAULT_SETTINGS, mergeSettings } from './settings.ts'

// How the engine handles IPv6: where it listens, how IPv6 peers are keyed, dialled and shown, and what it
// tells trackers. Two engines on IPv6 addresses of the in-memory network stand in for a dual-stack LAN.

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

function engine(net: MemoryNetwork, address: string, files = new MemoryFilePort(), settings = {}): BtEngine {
  const e = new BtEngine({
    platform: { net: net.host(address), files, state: new MemoryStateStore(), now: () => Date.now() },
    settings,
  })
  engines.push(e)
  return e
}

const content = new Uint8Array(150_000).map((_, i) => (i * 7 + (i >> 9)) & 255)

describe('IPv6 peers between two engines', () => {
  it('an engine at fd00::2 downloads from one at fd00::1; both show the other as [v6]:port', async () => {
    const net = new MemoryNetwork()
    const torrent = await createTorrent({
      name: 'six.bin',
      pieceLength: 16 * 1024,
      files: [{ path: 'six.bin', data: content }],
    })
    const seedFiles = new MemoryFilePort()
    seedFiles.put('downloads', 'six.bin', content)
    // a slow seed, so the connection is still there to look at while the download runs
    const a = engine(net, 'fd00::1', seedFiles, { uploadRateLimit: 100_000 })
    await a.start()
    const ta = await a.add({ torrentFile: torrent })
    await until('seed verified', () => ta.status === 'seeding')

    const bFiles = new MemoryFilePort()
    const b = engine(net, 'fd00::2', bFiles)
    await b.start()
    const meta = await parseMetainfo(torrent)
    // a magnet's x.pe carries the bracketed form; the pool dials the bare address
    const tb = await b.add({
      torrentFile: torrent,
      magnet: `magnet:?xt=urn:btih:${meta.infoHash}&x.pe=[fd00:0:0::1]:${a.listenPort}`,
    })
    let seen: Array<{ key: string; ip: string; incoming: boolean }> = []
    await until('the seed sees the leecher', () => (seen = a.detail(ta.infoHash, ['peers']).peers ?? []).length > 0)
    expect(seen).toHaveLength(1)
    expect(seen[0].incoming).toBe(true)
    expect(seen[0].ip).toBe('fd00::2')
    expect(seen[0].key).toMatch(/^\[fd00::2\]:\d+$/)
    await until('download complete', () => tb.isComplete())
    expect(bytesEqual(bFiles.peek('downloads', 'six.bin')!, content)).toBe(true)

    // both are seeds now and have hung up on each other: B's pool still knows the seed
    const bSwarm = b.detail(tb.infoHash, ['swarm']).swarm ?? []
    expect(bSwarm.map((p) => [p.key, p.ip])).toContainEqual([`[fd00::1]:${a.listenPort}`, 'fd00::1'])
  })

  it('an IPv4 peer that reaches us as ::ffff:a.b.c.d (a dual-stack socket) is keyed and shown as plain IPv4', async () => {
    const net = new MemoryNetwork()
    const torrent = await createTorrent({
      name: 'six.bin',
      pieceLength: 16 * 1024,
      files: [{ path: 'six.bin', data: content }],
    })
    const seedFiles = new MemoryFilePort()
    seedFiles.put('downloads', 'six.bin', content)
    const a = engine(net, '10.0.0.1', seedFiles, { uploadRateLimit: 100_000 })
    await a.start()
    const ta = await a.add({ torrentFile: torrent })
    await until('seed verified', () => ta.status === 'seeding')
    const b = engine(net, '::ffff:10.0.0.2')
    await b.start()
    const tb = await b.add({ torrentFile: torrent })
    tb.addPeer('::ffff:10.0.0.1', a.listenPort) // the same IPv4 peer, written mapped
    let seen: Array<{ key: string; ip: string }> = []
    await until('the seed sees the leecher', () => (seen = a.detail(ta.infoHash, ['peers']).peers ?? []).length > 0)
    expect(seen.map((p) => p.ip)).toEqual(['10.0.0.2'])
    expect(seen[0].key).toMatch(/^10\.0\.0\.2:\d+$/)
    expect((b.detail(tb.infoHash, ['swarm']).swarm ?? []).map((p) => p.key)).toEqual([`10.0.0.1:${a.listenPort}`])
  })

  it('tells an HTTP tracker its IPv6 address as ipv6= when the settings name one', async () => {
    const net = new MemoryNetwork()
    const tracker = await fakeHttpServer(net.host('10.0.0.9'), 80, () => ({
      pieces: ['HTTP/1.1 200 OK\r\n\r\n', encodeBencode({ interval: 1800, peers: new Uint8Array(0) })],
    }))
    const torrent = await createTorrent({
      name: 'x.bin',
      pieceLength: 16 * 1024,
      files: [{ path: 'x.bin', data: content }],
      announce: 'http://10.0.0.9/announce',
    })
    const e = engine(net, '10.0.0.1', new MemoryFilePort(), { announceIpv6: '2001:DB8:0::5' })
    await e.start()
    await e.add({ torrentFile: torrent })
    await until('announce', () => tracker.requests.length > 0)
    expect(tracker.requests[0].target).toContain('&ipv6=2001%3Adb8%3A%3A5')
    tracker.close()
  })

  it('without a known global IPv6 address the announce carries no ipv6=', async () => {
    const net = new MemoryNetwork()
    const tracker = await fakeHttpServer(net.host('10.0.0.9'), 80, () => ({
      pieces: ['HTTP/1.1 200 OK\r\n\r\n', encodeBencode({ interval: 1800, peers: new Uint8Array(0) })],
    }))
    const torrent = await createTorrent({
      name: 'x.bin',
      pieceLength: 16 * 1024,
      files: [{ path: 'x.bin', data: content }],
      announce: 'http://10.0.0.9/announce',
    })
    const e = engine(net, '10.0.0.1')
    await e.start()
    await e.add({ torrentFile: torrent })
    await until('announce', () => tracker.requests.length > 0)
    expect(tracker.requests[0].target).not.toContain('ipv6=')
    tracker.close()
  })
})

describe('listenForPeers', () => {
  const log = createLogger('engine', { now: () => 0 })
  /** A NetPort whose listen() answers per host: a port, or an error code. */
  function fakeNet(answer: (host: string, port: number) => number | IoError): {
    net: NetPort
    calls: string[]
    closed: string[]
  } {
    const calls: string[] = []
    const closed: string[] = []
    const net = {
      connectLimits: { maxConnectsInFlight: 1, maxConnectsPending: 1, connectTimeoutMs: 1 },
      connect: () => Promise.reject(new IoError('unsupported', 'no')),
      bindUdp: () => Promise.reject(new IoError('unsupported', 'no')),
      listen: async (o: { host?: string; port: number }): Promise<TcpListener> => {
        calls.push(`${o.host}:${o.port}`)
        const a = answer(o.host ?? '', o.port)
        if (a instanceof IoError) throw a
        return { port: a, close: () => closed.push(`${o.host}:${a}`) }
      },
    } satisfies NetPort
    return { net, calls, closed }
  }

  it('dual-stack: [::] takes the port and the IPv4 listen that follows finds it in use', async () => {
    const f = fakeNet((host, port) => (host === '::' ? port || 5000 : new IoError('in-use', 'taken')))
    const l = await listenForPeers(f.net, 0, () => {}, log)
    expect([l.port, l.hosts, f.calls]).toEqual([5000, ['::'], [':::0', '0.0.0.0:5000']])
    l.close()
    expect(f.closed).toEqual([':::5000'])
  })

  it('separate stacks: both listeners on one port, both closed', async () => {
    const f = fakeNet((_, port) => port || 5001)
    const l = await listenForPeers(f.net, 0, () => {}, log)
    expect([l.port, l.hosts]).toEqual([5001, ['::', '0.0.0.0']])
    l.close()
    expect(f.closed).toEqual([':::5001', '0.0.0.0:5001'])
  })

  it('no IPv6 on the machine: IPv4 alone', async () => {
    const f = fakeNet((host, port) => (host === '::' ? new IoError('io', 'EAFNOSUPPORT') : port || 5002))
    const l = await listenForPeers(f.net, 6881, () => {}, log)
    expect([l.port, l.hosts]).toEqual([6881, ['0.0.0.0']])
  })

  it('a taken port falls back to any port', async () => {
    const f = fakeNet((_, port) => (port === 6881 ? new IoError('in-use', 'taken') : port || 5003))
    const l = await listenForPeers(f.net, 6881, () => {}, log)
    expect(l.port).toBe(5003)
    expect(f.calls).toEqual([':::6881', '0.0.0.0:6881', ':::0', '0.0.0.0:5003'])
  })

  it('on the in-memory network (dual-stack like the daemon) peers reach the engine at its address', async () => {
    const net = new MemoryNetwork()
    const l = await listenForPeers(net.host('fd00::7'), 0, () => {}, log)
    expect(l.hosts).toEqual(['::'])
    const s = await net.host('fd00::8').connect({ host: 'fd00::7', port: l.port })
    expect(s.remotePort).toBe(l.port)
    l.close()
  })
})

describe('IPv6 addresses for trackers', () => {
  it('only global unicast addresses are worth announcing', () => {
    expect(globalIpv6('2001:DB8:0:0::1')).toBe('2001:db8::1')
    expect(globalIpv6('2a00:1450:4001:80b::200e')).toBe('2a00:1450:4001:80b::200e')
    for (const no of ['::1', 'fe80::1', 'fd00::2', 'ff02::1', '::ffff:1.2.3.4', '1.2.3.4', '::', 'nonsense'])
      expect(globalIpv6(no), no).toBeNull()
  })

  it('buildAnnounceUrl appends ipv6= percent-encoded, and nothing without it', () => {
    const p = { infoHash: new Uint8Array(20), peerId: new Uint8Array(20), port: 1, uploaded: 0, downloaded: 0, left: 0 }
    expect(buildAnnounceUrl('http://t/announce', { ...p, ipv6: '2001:db8::1' })).toMatch(/&ipv6=2001%3Adb8%3A%3A1$/)
    expect(buildAnnounceUrl('http://t/announce', p)).not.toContain('ipv6')
  })

  it('the announceIpv6 setting takes an IPv6 address (canonical) or empty, nothing else', () => {
    expect(mergeSettings(DEFAULT_SETTINGS, { announceIpv6: '2001:DB8::0:1' }).announceIpv6).toBe('2001:db8::1')
    const set = mergeSettings(DEFAULT_SETTINGS, { announceIpv6: '2001:db8::1' })
    expect(mergeSettings(set, { announceIpv6: '1.2.3.4' }).announceIpv6).toBe('2001:db8::1')
    expect(mergeSettings(set, { announceIpv6: 'example.com' }).announceIpv6).toBe('2001:db8::1')
    expect(mergeSettings(set, { announceIpv6: '' }).announceIpv6).toBe('')
    expect(DEFAULT_SETTINGS.localPeerDiscovery).toBe(true)
    expect(mergeSettings(DEFAULT_SETTINGS, { localPeerDiscovery: false }).localPeerDiscovery).toBe(false)
    expect(mergeSettings(DEFAULT_SETTINGS, { localPeerDiscovery: 'no' as unknown as boolean }).localPeerDiscovery).toBe(
      true,
    )
  })
})
