import { afterEach, describe, expect, it } from 'vitest'
import type { EncryptionPolicy } from '../api/types.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { testDataPlane } from '../platform/data-plane-test-kit.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { Torrent } from '../torrent/torrent.ts'
import { bytesEqual } from '../util/bytes.ts'
import { BtEngine } from './bt-engine.ts'

// Two whole engines over the in-memory network under each pair of encryption policies: real MSE,
// wire, pool and storage. Timers are real (1 s maintenance, 100 ms queue), every wait bounded.

const DATA = new Uint8Array(150_000).map((_, i) => (i * 31 + (i >> 8)) & 0xff)
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

async function pair(seedPolicy: EncryptionPolicy, leechPolicy: EncryptionPolicy) {
  const net = new MemoryNetwork()
  const torrent = await createTorrent({
    name: 'enc.bin',
    pieceLength: 32 * 1024,
    files: [{ path: 'enc.bin', data: DATA }],
  })
  const seedFiles = new MemoryFilePort()
  seedFiles.put('downloads', 'enc.bin', DATA)
  // the leech downloads at 100 kB/s, so its session can be looked at before both are seeds and part
  const mk = (address: string, files: MemoryFilePort, encryption: EncryptionPolicy, downloadRateLimit = 0) => {
    const e = new BtEngine({
      platform: {
        net: net.host(address),
        files,
        state: new MemoryStateStore(),
        now: () => Date.now(),
        ...testDataPlane(files),
      },
      settings: { encryption, downloadRateLimit },
    })
    engines.push(e)
    return e
  }
  const seed = mk('10.0.0.1', seedFiles, seedPolicy)
  await seed.start()
  const st = await seed.add({ torrentFile: torrent })
  await until('seed verified', () => st.status === 'seeding')
  const leechFiles = new MemoryFilePort()
  const leech = mk('10.0.0.2', leechFiles, leechPolicy, 100_000)
  await leech.start()
  const lt = await leech.add({ torrentFile: torrent })
  lt.addPeer('10.0.0.1', seed.listenPort, 'manual')
  return { seed, st, leech, lt, leechFiles }
}

const encryptionOf = (t: Torrent) => [...t.sessions.values()].map((s) => s.conn.encryption)

describe('engines under encryption policies', () => {
  it('require on both sides: the download runs over RC4 and shows as E in the peers table', async () => {
    const { st, lt, leechFiles } = await pair('require', 'require')
    await until('a session on each side', () => lt.sessions.size > 0 && st.sessions.size > 0)
    expect(encryptionOf(st)).toEqual(['rc4'])
    const rows = lt.detail(['peers']).peers!.filter((r) => r.state === 'connected')
    expect(rows.map((r) => [r.encryption, r.transport])).toEqual([['rc4', 'tcp']])
    expect(rows[0]!.flags).toContain('E')
    await until('download complete', () => lt.isComplete())
    expect(bytesEqual(leechFiles.peek('downloads', 'enc.bin')!, DATA)).toBe(true)
    expect(st.summary().uploadedTotal).toBeGreaterThanOrEqual(DATA.length)
  })

  it('prefer against a peer with encryption disabled: refused once, retried plain at once, no failure counted', async () => {
    const { seed, lt, leechFiles } = await pair('disable', 'prefer')
    await until('a session', () => lt.sessions.size > 0, 5000) // fallback at once, not after a reconnect delay
    expect(encryptionOf(lt)).toEqual(['plain'])
    const rec = lt.pool.findPeer('10.0.0.1', seed.listenPort)!
    expect(rec.mseRefused).toBe(true)
    expect(rec.failcount).toBe(0)
    expect(seed.incomingRefusedByEncryption()).toBe(1)
    await until('download complete', () => lt.isComplete())
    expect(bytesEqual(leechFiles.peek('downloads', 'enc.bin')!, DATA)).toBe(true)
  })

  it('prefer against prefer: an MSE handshake with the stream left plain (flag e), as libtorrent does by default', async () => {
    const { lt, st } = await pair('prefer', 'prefer')
    await until('a session', () => lt.sessions.size > 0 && st.sessions.size > 0)
    expect(encryptionOf(lt)).toEqual(['plaintext-in-mse'])
    expect(encryptionOf(st)).toEqual(['plaintext-in-mse'])
    expect(lt.detail(['peers']).peers![0]!.flags).toContain('e')
    await until('download complete', () => lt.isComplete())
  })

  it('require against a plain-only peer: nothing connects, the failure is counted and named', async () => {
    const { seed, lt } = await pair('disable', 'require')
    await until('the attempt failed', () => (lt.pool.findPeer('10.0.0.1', seed.listenPort)?.failcount ?? 0) > 0)
    const rec = lt.pool.findPeer('10.0.0.1', seed.listenPort)!
    expect(rec.lastError).toMatch(/^encryption handshake failed/)
    expect(rec.mseRefused).toBe(false) // require never falls back
    expect(lt.sessions.size).toBe(0)
    expect(lt.summary().downloadedTotal).toBe(0)
  })

  it('a plain-only leecher is refused by a seed that requires encryption', async () => {
    const { seed, lt } = await pair('require', 'disable')
    await until('refused', () => seed.incomingRefusedByEncryption() > 0)
    await until('the attempt failed', () => (lt.pool.findPeer('10.0.0.1', seed.listenPort)?.failcount ?? 0) > 0)
    expect(lt.sessions.size).toBe(0)
    expect(lt.summary().downloadedTotal).toBe(0)
  })
})
