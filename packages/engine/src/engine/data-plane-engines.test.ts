import { afterEach, describe, expect, it } from 'vitest'
import type { EncryptionPolicy } from '../api/types.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryDataPlane } from '../platform/memory-data-plane.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { Torrent } from '../torrent/torrent.ts'
import { bytesEqual } from '../util/bytes.ts'
import { BtEngine } from './bt-engine.ts'
import { testBytes as data } from '../util/test-bytes.ts'

// Whole engines whose platform keeps the piece payloads (an in-memory data plane): blocks arrive as
// STORED, pieces are hashed and written by the platform, uploads are sent from the files by it.

const DATA = data(600_000, 7)
const PIECE = 32 * 1024
const PIECES = Math.ceil(DATA.length / PIECE)

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

interface Side {
  e: BtEngine
  files: MemoryFilePort
  dp: MemoryDataPlane | null
}

function side(
  net: MemoryNetwork,
  address: string,
  /** `rate`: the leech's download limit, so a test can look at its sessions while it runs. */
  opts: { dp: boolean; encryption?: EncryptionPolicy; setting?: boolean; rate?: number },
): Side {
  const files = new MemoryFilePort()
  const dp = opts.dp ? new MemoryDataPlane(files) : null
  const e = new BtEngine({
    platform: {
      net: net.host(address),
      files,
      state: new MemoryStateStore(),
      now: () => Date.now(),
      ...(dp ? { dataPlane: dp } : {}),
    },
    settings: {
      dhtEnabled: false,
      localPeerDiscovery: false,
      portMapping: false,
      encryption: opts.encryption ?? 'prefer',
      ...(opts.setting === false ? { dataPlane: false } : {}),
      ...(opts.rate ? { downloadRateLimit: opts.rate } : {}),
    },
  })
  engines.push(e)
  return { e, files, dp }
}

/** Seed at 10.0.0.1, leech at 10.0.0.2; resolves with the leech's torrent once complete. */
async function swarm(seed: Side, leech: Side): Promise<{ st: Torrent; lt: Torrent; framedSeen: boolean }> {
  const torrent = await createTorrent({ name: 'dp.bin', pieceLength: PIECE, files: [{ path: 'dp.bin', data: DATA }] })
  seed.files.put('downloads', 'dp.bin', DATA)
  await seed.e.start()
  const st = await seed.e.add({ torrentFile: torrent })
  await until('seed verified', () => st.status === 'seeding')
  await leech.e.start()
  const lt = await leech.e.add({ torrentFile: torrent })
  lt.addPeer('10.0.0.1', seed.e.listenPort, 'manual')
  let framedSeen = false
  let maxBuffered = 0
  const look = () => {
    for (const s of lt.sessions.values()) if (s.row().framed) framedSeen = true
    maxBuffered = Math.max(maxBuffered, lt.downloader?.storage.bufferedBytes ?? 0)
  }
  await until('download complete', () => {
    look()
    return lt.isComplete()
  })
  const got = leech.files.peek('downloads', 'dp.bin')
  expect(got && bytesEqual(got, DATA), 'downloaded bytes differ').toBe(true)
  // with a data plane at the leech, no piece was ever buffered in the engine
  if (leech.dp && leech.dp.stats.verified > 0) expect(maxBuffered).toBe(0)
  return { st, lt, framedSeen }
}

describe('engines over a data plane', () => {
  it('plain: every block is kept by the platform (STORED), checked and written there; uploads come from its files', async () => {
    const net = new MemoryNetwork()
    const seed = side(net, '10.0.0.1', { dp: true })
    const leech = side(net, '10.0.0.2', { dp: true, rate: 400_000 })
    const { st, lt, framedSeen } = await swarm(seed, leech)
    expect(framedSeen).toBe(true)
    expect(lt.summary().piecesOnPlatform).toBe(true)
    expect(leech.dp!.stats.stored).toBeGreaterThanOrEqual(Math.ceil(DATA.length / 16384))
    expect(leech.dp!.stats.verified).toBe(PIECES)
    expect(seed.dp!.stats.sent).toBeGreaterThanOrEqual(Math.ceil(DATA.length / 16384))
    expect(st.uploadedTotal).toBeGreaterThanOrEqual(DATA.length)
  })

  it('MSE/RC4: the keystreams continue on the platform in both directions', async () => {
    const net = new MemoryNetwork()
    const seed = side(net, '10.0.0.1', { dp: true, encryption: 'require' })
    const leech = side(net, '10.0.0.2', { dp: true, encryption: 'require' })
    const { lt } = await swarm(seed, leech)
    expect(leech.dp!.stats.stored).toBeGreaterThan(0)
    expect(seed.dp!.stats.sent).toBeGreaterThan(0)
    expect(lt.hashFailures).toBe(0)
  })

  it('a framed seed serves a leech on the old path, and a framed leech downloads from an old seed', async () => {
    const net = new MemoryNetwork()
    const seed = side(net, '10.0.0.1', { dp: true, encryption: 'require' })
    const leech = side(net, '10.0.0.2', { dp: false, encryption: 'require' })
    await swarm(seed, leech)
    expect(seed.dp!.stats.sent).toBeGreaterThan(0)

    const net2 = new MemoryNetwork()
    const oldSeed = side(net2, '10.0.0.1', { dp: false })
    const newLeech = side(net2, '10.0.0.2', { dp: true })
    await swarm(oldSeed, newLeech)
    expect(newLeech.dp!.stats.stored).toBeGreaterThan(0)
    expect(newLeech.dp!.stats.verified).toBe(PIECES)
  })

  it('the dataPlane setting off: the platform keeps nothing and the engine buffers pieces as before', async () => {
    const net = new MemoryNetwork()
    const seed = side(net, '10.0.0.1', { dp: true, setting: false })
    const leech = side(net, '10.0.0.2', { dp: true, setting: false, rate: 400_000 })
    const { lt, framedSeen } = await swarm(seed, leech)
    expect(framedSeen).toBe(false)
    expect(lt.summary().piecesOnPlatform).toBe(false)
    expect(leech.dp!.stats.stored + leech.dp!.stats.verified + seed.dp!.stats.sent).toBe(0)
  })

  it('a full store: blocks of pieces it cannot open come as plain piece messages and are put there', async () => {
    const net = new MemoryNetwork()
    const seed = side(net, '10.0.0.1', { dp: true })
    const files = new MemoryFilePort()
    // room for four open pieces: later ones are refused (openPiece false), their blocks put past the soft cap
    const dp = new MemoryDataPlane(files, { capBytes: 4 * PIECE })
    const e = new BtEngine({
      platform: {
        net: net.host('10.0.0.2'),
        files,
        state: new MemoryStateStore(),
        now: () => Date.now(),
        dataPlane: dp,
      },
      settings: { dhtEnabled: false, localPeerDiscovery: false, portMapping: false },
    })
    engines.push(e)
    await swarm(seed, { e, files, dp })
    expect(dp.stats.stored).toBeGreaterThan(0)
    expect(dp.stats.stored).toBeLessThan(Math.ceil(DATA.length / 16384))
    expect(dp.stats.verified).toBe(PIECES)
  })
})
