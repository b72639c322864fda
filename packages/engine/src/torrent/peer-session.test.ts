import { describe, expect, it, vi } from 'vitest'
import { decodeExtendedHandshake, encodeExtendedHandshake } from '../extension/extended-handshake.ts'
import { decodeMetadataMessage, encodeMetadataMessage, serveMetadataRequest } from '../extension/ut-metadata.ts'
import { decodePex, encodePex } from '../extension/ut-pex.ts'
import { BtEngine } from '../engine/bt-engine.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { ManualClock } from '../util/clock.ts'
import { fromHex } from '../util/hex.ts'
import { encodeExtended, type DecodeResult } from '../wire/wire-codec.ts'
import { DEFAULT_PEER_CONFIG } from '../wire/peer-types.ts'
import { RawPeer, settle } from '../wire/peer-test-kit.ts'
import { dialedRaw, setupEngine } from './torrent-test-kit.ts'

// BEP 10 as the torrent speaks it: exactly one extended handshake per connection, after our
// availability (BEP 6 wants that first), advertising reqq and metadata_size; ut_metadata served
// and fetched through the extension/ codecs.

type Ext = Extract<DecodeResult, { type: 'extended' }>
const extended = (r: RawPeer, id: number): Ext[] =>
  r.received.filter((m): m is Ext => m.type === 'extended' && m.extId === id)

async function setup(opts: { seed: boolean }) {
  return setupEngine({ seed: opts.seed, magnet: !opts.seed })
}

describe('extension handshake on a torrent connection', () => {
  it('incoming: exactly one, after have-all, with reqq, metadata_size and our port', async () => {
    const { net, e, t, meta } = await setup({ seed: true })
    const raw = new RawPeer(await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: e.listenPort }))
    raw.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
    await settle()
    // their extension messages arrive after ours went out: still no second handshake
    raw.write(encodeExtended(0, encodeExtendedHandshake({ m: { ut_metadata: 7 } })))
    await settle()
    expect(extended(raw, 0)).toHaveLength(1)
    const types = raw.types()
    expect(types.indexOf('have-all')).toBeGreaterThanOrEqual(0)
    expect(types.indexOf('have-all')).toBeLessThan(types.indexOf('extended'))
    const h = decodeExtendedHandshake(extended(raw, 0)[0]!.payload)
    expect(h.reqq).toBe(DEFAULT_PEER_CONFIG.maxIncomingRequests)
    expect(h.metadataSize).toBe(meta.infoBytes.length)
    expect(h.p).toBe(e.listenPort)
    expect(h.m.ut_metadata).toBe(3)
    await e.stop()
  })

  it('outgoing: exactly one, after have-all', async () => {
    const { clock, net, e, t } = await setup({ seed: true })
    const raw = await dialedRaw(clock, net, t, '10.0.0.3')
    raw.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
    await settle()
    raw.write(encodeExtended(0, encodeExtendedHandshake({ m: { ut_metadata: 7 } })))
    await settle()
    expect(extended(raw, 0)).toHaveLength(1)
    const types = raw.types()
    expect(types[0]).toBe('have-all')
    expect(types[1]).toBe('extended')
    await e.stop()
  })

  it('serves ut_metadata requests with our info dictionary, rejects pieces beyond it', async () => {
    const { net, e, t, meta } = await setup({ seed: true })
    const raw = new RawPeer(await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: e.listenPort }))
    raw.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
    raw.write(encodeExtended(0, encodeExtendedHandshake({ m: { ut_metadata: 7 } })))
    raw.write(encodeExtended(3, encodeMetadataMessage({ type: 'request', piece: 0 })))
    raw.write(encodeExtended(3, encodeMetadataMessage({ type: 'request', piece: 5 })))
    await settle()
    const answers = extended(raw, 7).map((m) => decodeMetadataMessage(m.payload))
    expect(answers).toEqual([serveMetadataRequest(meta.infoBytes, 0), { type: 'reject', piece: 5 }])
    await e.stop()
  })

  it('a malformed extension message closes with a protocol violation', async () => {
    const { net, e, t } = await setup({ seed: true })
    const raw = new RawPeer(await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: e.listenPort }))
    raw.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
    await settle()
    expect(t.sessions.size).toBe(1)
    raw.write(encodeExtended(0, new TextEncoder().encode('li1ee')))
    await settle()
    expect(raw.closed).toBe(true)
    expect(t.sessions.size).toBe(0)
    await e.stop()
  })

  it('magnet: fetches the metadata from a peer over ut_metadata', async () => {
    const { net, e, t, meta } = await setup({ seed: false })
    expect(t.status).toBe('fetching-metadata')
    const raw = new RawPeer(await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: e.listenPort }))
    raw.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
    raw.write(
      encodeExtended(0, encodeExtendedHandshake({ m: { ut_metadata: 9 }, metadataSize: meta.infoBytes.length })),
    )
    await settle()
    const asked = extended(raw, 9).map((m) => decodeMetadataMessage(m.payload))
    expect(asked).toEqual([{ type: 'request', piece: 0 }])
    // our handshake before any request, and it names no metadata_size (we have none)
    expect(decodeExtendedHandshake(extended(raw, 0)[0]!.payload).metadataSize).toBeUndefined()
    raw.write(encodeExtended(3, encodeMetadataMessage(serveMetadataRequest(meta.infoBytes, 0))))
    // SHA-1 runs on crypto.subtle (real async work): wait for it, bounded
    await vi.waitFor(() => expect(t.info).not.toBeNull(), { timeout: 5000, interval: 10 })
    expect(t.info?.infoBytes).toEqual(meta.infoBytes)
    await e.stop()
  })

  it('a peer that answers with our own peer id is forgotten and never dialled again', async () => {
    const { clock, net, e, t } = await setup({ seed: true })
    const raw = await dialedRaw(clock, net, t, '10.0.0.4')
    // echo the handshake: the wire closes with 'connected to ourselves' before any session exists
    raw.sendHandshake(
      { fast: true, extended: true },
      Uint8Array.from(fromHex(t.infoHash)),
      Uint8Array.from(raw.handshake!.peerId),
    )
    await settle()
    expect(raw.closed).toBe(true)
    expect(t.sessions.size).toBe(0)
    expect(t.connectingCount()).toBe(0)
    expect(t.pool.findPeer('10.0.0.4', 6881)).toBeUndefined()
    expect(t.addPeer('10.0.0.4', 6881)).toBeNull()
    expect(t.pool.getStats().connecting).toBe(0)
    await e.stop()
  })

  it('magnet: metadata that fails the info-hash check is asked for again and then accepted', async () => {
    const { net, e, t, meta } = await setup({ seed: false })
    const raw = new RawPeer(await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: e.listenPort }))
    raw.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
    raw.write(
      encodeExtended(0, encodeExtendedHandshake({ m: { ut_metadata: 9 }, metadataSize: meta.infoBytes.length })),
    )
    await settle()
    const bad = meta.infoBytes.slice()
    bad[bad.length - 2] ^= 1
    raw.write(encodeExtended(3, encodeMetadataMessage(serveMetadataRequest(bad, 0))))
    const requests = () => extended(raw, 9).filter((m) => decodeMetadataMessage(m.payload).type === 'request').length
    await vi.waitFor(() => expect(requests()).toBe(2), { timeout: 5000, interval: 10 })
    expect(t.info).toBeNull()
    raw.write(encodeExtended(3, encodeMetadataMessage(serveMetadataRequest(meta.infoBytes, 0))))
    await vi.waitFor(() => expect(t.info).not.toBeNull(), { timeout: 5000, interval: 10 })
    expect(t.info?.infoBytes).toEqual(meta.infoBytes)
    await e.stop()
  })

  it('ut_pex (BEP 11): advertised, the peers a peer reports join the pool as pex, at most one message per 45 s', async () => {
    const { clock, net, e, t } = await setup({ seed: true })
    const raw = new RawPeer(await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: e.listenPort }))
    raw.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
    raw.write(encodeExtended(0, encodeExtendedHandshake({ m: { ut_pex: 5 } })))
    await settle()
    const ours = decodeExtendedHandshake(extended(raw, 0)[0]!.payload)
    expect(ours.m.ut_pex).toBe(1) // the id the peer must use when it writes to us
    const pex = (n: number) =>
      encodePex({
        added: Array.from({ length: n }, (_, i) => ({ ip: `10.9.0.${i + 1}`, port: 7000 + i, flags: 0 })),
        dropped: [],
      })
    raw.write(encodeExtended(1, pex(3)))
    await settle()
    const p = t.pool.findPeer('10.9.0.2', 7001)
    expect(p?.sources.has('pex')).toBe(true)
    expect(t.pool.findPeer('10.9.0.3', 7002)).toBeDefined()
    raw.write(encodeExtended(1, encodePex({ added: [{ ip: '10.9.1.1', port: 8000, flags: 0 }], dropped: [] })))
    await settle()
    expect(t.pool.findPeer('10.9.1.1', 8000)).toBeUndefined() // too soon after the last one: ignored
    clock.advance(45_000)
    raw.write(encodeExtended(1, encodePex({ added: [{ ip: '10.9.1.1', port: 8000, flags: 0 }], dropped: [] })))
    await settle()
    expect(t.pool.findPeer('10.9.1.1', 8000)?.sources.has('pex')).toBe(true)
    expect(raw.closed).toBe(false)
    await e.stop()
  })

  it('ut_pex (BEP 11): every 60 s each peer that takes PEX hears the changes in our connected set, never itself', async () => {
    const { clock, net, e, t } = await setup({ seed: false })
    const raws: RawPeer[] = []
    for (const [i, host] of ['10.0.0.2', '10.0.0.3', '10.0.0.4'].entries()) {
      const raw = new RawPeer(await net.host(host).connect({ host: '10.0.0.1', port: e.listenPort }))
      raw.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
      // 10.0.0.4 does not take PEX; each tells us where it listens
      raw.write(encodeExtended(0, encodeExtendedHandshake({ m: i < 2 ? { ut_pex: 9 } : {}, p: 7000 + i })))
      raws.push(raw)
    }
    await settle()
    const pexOf = (r: RawPeer) => extended(r, 9).map((m) => decodePex(m.payload))
    expect(raws.map((r) => pexOf(r).length)).toEqual([0, 0, 0])
    clock.advance(60_000)
    await settle()
    const [a, b, c] = raws.map(pexOf)
    expect(c).toEqual([]) // it did not ask for PEX
    expect(a).toHaveLength(1)
    expect(a[0]!.added.map((p) => `${p.ip}:${p.port}`).sort()).toEqual(['10.0.0.3:7001', '10.0.0.4:7002'])
    expect(b[0]!.added.map((p) => `${p.ip}:${p.port}`).sort()).toEqual(['10.0.0.2:7000', '10.0.0.4:7002'])
    expect(b[0]!.added.every((p) => p.flags === 0)).toBe(true) // incoming, not seeds: no flags
    raws[2]!.socket.close()
    await settle()
    clock.advance(60_000)
    await settle()
    expect(pexOf(raws[0]!)[1]).toEqual({ added: [], dropped: [{ ip: '10.0.0.4', port: 7002 }] })
    clock.advance(60_000)
    await settle()
    expect(pexOf(raws[0]!)).toHaveLength(2) // nothing changed: nothing sent
    await e.stop()
  })

  it('ut_pex is neither advertised nor listened to on a private torrent (BEP 27)', async () => {
    const clock = new ManualClock(1_000_000)
    const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
    const data = new Uint8Array(40_000).map((_, i) => i & 255)
    const file = await createTorrent({
      name: 'p.bin',
      pieceLength: 32 * 1024,
      files: [{ path: 'p.bin', data }],
      private: true,
    })
    const files = new MemoryFilePort()
    files.put('downloads', 'p.bin', data)
    const e = new BtEngine({
      settings: { dhtEnabled: false },
      platform: { net: net.host('10.0.0.1'), files, state: new MemoryStateStore(), now: () => clock.now() },
      clock,
    })
    await e.start()
    const t = await e.add({ torrentFile: file })
    await settle()
    const raw = new RawPeer(await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: e.listenPort }))
    raw.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
    raw.write(encodeExtended(0, encodeExtendedHandshake({ m: { ut_pex: 5 } })))
    await settle()
    expect(decodeExtendedHandshake(extended(raw, 0)[0]!.payload).m.ut_pex).toBeUndefined()
    raw.write(encodeExtended(1, encodePex({ added: [{ ip: '10.9.0.1', port: 7000, flags: 0 }], dropped: [] })))
    await settle()
    expect(t.pool.findPeer('10.9.0.1', 7000)).toBeUndefined()
    clock.advance(60_000)
    await settle()
    expect(extended(raw, 5)).toEqual([]) // and none is sent
    await e.stop()
  })
})
