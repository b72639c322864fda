/**
 * Test helpers for one engine on a ManualClock facing scripted RawPeers over MemoryNetwork: a
 * 70,000-byte torrent of three 32 KiB pieces, seeded (all pieces), leeching (none) or as a magnet.
 */
import { expect } from 'vitest'
import { BtEngine, type BtEngineOptions } from '../engine/bt-engine.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { StreamPort } from '../platform/ports.ts'
import { ManualClock } from '../util/clock.ts'
import { fromHex } from '../util/hex.ts'
import { RawPeer, settle } from '../wire/peer-test-kit.ts'
import type { Torrent } from './torrent.ts'

export const KIT_DATA = new Uint8Array(70_000).map((_, i) => (i * 11) & 0xff)

export async function setupEngine(opts: {
  seed: boolean
  magnet?: boolean
  /** Bytes on disk before the torrent is added and checked (default: KIT_DATA when seeding). */
  onDisk?: Uint8Array
  engine?: Partial<Omit<BtEngineOptions, 'platform' | 'clock'>>
  /** Local URLs for players (a test's own StreamPort). */
  streams?: StreamPort
}) {
  const clock = new ManualClock(1_000_000)
  const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
  const file = await createTorrent({
    name: 'x.bin',
    pieceLength: 32 * 1024,
    files: [{ path: 'x.bin', data: KIT_DATA }],
  })
  const meta = await parseMetainfo(file)
  const files = new MemoryFilePort()
  const disk = opts.onDisk ?? (opts.seed ? KIT_DATA : undefined)
  if (disk) files.put('downloads', 'x.bin', disk)
  // The RawPeers here speak plain BitTorrent and never hang up on MSE bytes: dial them plain unless a
  // test asks for another policy (engine-encryption.test.ts does). No DHT unless a test starts one.
  const e = new BtEngine({
    platform: {
      net: net.host('10.0.0.1'),
      files,
      state: new MemoryStateStore(),
      now: () => clock.now(),
      ...(opts.streams ? { streams: opts.streams } : {}),
    },
    clock,
    ...opts.engine,
    settings: { encryption: 'disable', dhtEnabled: false, ...opts.engine?.settings },
  })
  await e.start()
  const t = opts.magnet
    ? await e.add({ magnet: `magnet:?xt=urn:btih:${meta.infoHash}` })
    : await e.add({ torrentFile: file, recheck: !!opts.onDisk })
  await settle()
  return { clock, net, e, t, meta, infoHash: Uint8Array.from(fromHex(meta.infoHash)) }
}

/** The torrent dials a RawPeer listening at `host`:6881; returns it once our handshake arrived. */
export async function dialedRaw(clock: ManualClock, net: MemoryNetwork, t: Torrent, host: string): Promise<RawPeer> {
  let raw: RawPeer | undefined
  await net.host(host).listen({ port: 6881 }, (s) => (raw = new RawPeer(s)))
  t.addPeer(host, 6881)
  for (let i = 0; i < 20 && !raw?.handshake; i++) {
    clock.advance(100) // the connection queue's drain
    await settle()
  }
  expect(raw?.handshake).toBeTruthy()
  return raw!
}

/** A RawPeer at `host` that connected to the engine and sent its handshake for `t`. */
export async function incomingRaw(net: MemoryNetwork, e: BtEngine, t: Torrent, host: string): Promise<RawPeer> {
  const raw = new RawPeer(await net.host(host).connect({ host: '10.0.0.1', port: e.listenPort }))
  raw.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
  await settle()
  return raw
}
