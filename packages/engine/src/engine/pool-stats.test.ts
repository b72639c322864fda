import { describe, expect, it } from 'vitest'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { Torrent } from '../torrent/torrent.ts'
import { ManualClock } from '../util/clock.ts'
import { BtEngine } from './bt-engine.ts'

// After a transfer, each side's pool holds the payload bytes moved with that peer (the pool ranks
// by them). Records of peers that only connected in are dropped on disconnect (ephemeral port), so
// each side is checked on the connection it dialled.

async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve()
}

describe('pool byte counts after a transfer between two engines', () => {
  it('the leecher pool has downloaded, the seed pool uploaded, exactly the torrent’s bytes', async () => {
    const clock = new ManualClock(1_000_000)
    const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
    const data = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff)
    const torrent = await createTorrent({ name: 'x.bin', pieceLength: 32 * 1024, files: [{ path: 'x.bin', data }] })
    const mk = async (address: string, files = new MemoryFilePort()) => {
      const e = new BtEngine({
        settings: { dhtEnabled: false },
        platform: { net: net.host(address), files, state: new MemoryStateStore(), now: () => clock.now() },
        clock,
      })
      await e.start()
      return { e, t: await e.add({ torrentFile: torrent }) }
    }
    const seedFiles = new MemoryFilePort()
    seedFiles.put('downloads', 'x.bin', data)
    const seed = await mk('10.0.0.1', seedFiles)
    const leechA = await mk('10.0.0.2')
    const leechB = await mk('10.0.0.3')
    const complete = async (t: Torrent) => {
      for (let i = 0; i < 60 && !t.isComplete(); i++) {
        clock.advance(100)
        await flush(50)
        await new Promise((r) => setTimeout(r, 5)) // SHA-1 runs off-thread
      }
      expect(t.isComplete()).toBe(true)
      await flush(50) // the completed side closes the seed connection ('both seeds'): stats flushed
    }

    leechA.t.addPeer('10.0.0.1', seed.e.listenPort) // the leecher dials
    await complete(leechA.t)
    expect(leechA.t.pool.findPeer('10.0.0.1', seed.e.listenPort)).toMatchObject({
      downloaded: data.length,
      uploaded: 0,
    })

    seed.t.addPeer('10.0.0.3', leechB.e.listenPort) // the seed dials
    await complete(leechB.t)
    expect(seed.t.pool.findPeer('10.0.0.3', leechB.e.listenPort)).toMatchObject({
      uploaded: data.length,
      downloaded: 0,
    })
    for (const x of [seed, leechA, leechB]) await x.e.stop()
  })
})
