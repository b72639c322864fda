import { afterEach, describe, expect, it } from 'vitest'
import { PEX_UTP } from '../extension/ut-pex.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { Torrent } from '../torrent/torrent.ts'
import { bytesEqual } from '../util/bytes.ts'
import { BtEngine } from './bt-engine.ts'
import { chooseTransport, withFirstFailure } from '../pool/transport-choice.ts'

// Two whole engines over the in-memory network, whose hosts offer uTP as the daemon does: which
// transport a dial uses, and the fallback to the other one. Real timers, every wait bounded.

const DATA = new Uint8Array(120_000).map((_, i) => (i * 17 + (i >> 9)) & 0xff)
const SEED = '10.0.0.1'
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

/** `seedTcp`: whether the seed takes TCP; `seedUtp`: whether it listens for uTP. */
async function pair(o: { seedTcp: boolean; seedUtp: boolean; leechUtp?: boolean }) {
  const dials: string[] = []
  const net = new MemoryNetwork({
    utp: true,
    connectBehaviour: (opts) => {
      const t = opts.transport ?? 'tcp'
      if (opts.host === SEED) dials.push(t)
      return opts.host === SEED && t === 'tcp' && !o.seedTcp ? 'refused' : 'accept'
    },
  })
  const torrent = await createTorrent({ name: 'u.bin', pieceLength: 32 * 1024, files: [{ path: 'u.bin', data: DATA }] })
  const seedFiles = new MemoryFilePort()
  seedFiles.put('downloads', 'u.bin', DATA)
  // the leech downloads at 100 kB/s, so its session can be looked at before both are seeds and part
  const mk = (address: string, files: MemoryFilePort, utp: boolean, downloadRateLimit = 0) => {
    const e = new BtEngine({
      platform: { net: net.host(address), files, state: new MemoryStateStore(), now: () => Date.now() },
      settings: { utp, dhtEnabled: false, localPeerDiscovery: false, downloadRateLimit },
    })
    engines.push(e)
    return e
  }
  const seed = mk(SEED, seedFiles, o.seedUtp)
  await seed.start()
  const st = await seed.add({ torrentFile: torrent })
  await until('seed verified', () => st.status === 'seeding')
  const leechFiles = new MemoryFilePort()
  const leech = mk('10.0.0.2', leechFiles, o.leechUtp ?? true, 100_000)
  await leech.start()
  const lt = await leech.add({ torrentFile: torrent })
  return { seed, st, leech, lt, leechFiles, dials }
}

const transports = (t: Torrent) => [...t.sessions.values()].map((s) => s.conn.socket.transport ?? 'tcp')

describe('transport per peer', () => {
  it('chooses uTP for peers that announced it, TCP otherwise, the other one after a failure', () => {
    expect(chooseTransport({ utp: false, failedTransport: undefined }, true)).toBe('tcp')
    expect(chooseTransport({ utp: true, failedTransport: undefined }, true)).toBe('utp')
    expect(chooseTransport({ utp: true, failedTransport: 'utp' }, true)).toBe('tcp')
    expect(chooseTransport({ utp: false, failedTransport: 'tcp' }, true)).toBe('utp')
    expect(chooseTransport({ utp: true, failedTransport: 'tcp' }, false)).toBe('tcp')
  })

  it('a failure on the fallback transport names the first one first', () => {
    const peer = { failedTransport: 'tcp' as const, failedTransportReason: 'encryption handshake failed' }
    expect(withFirstFailure(peer, 'utp', 'connect failed: timeout')).toBe(
      'encryption handshake failed; then over uTP: connect failed: timeout',
    )
    expect(withFirstFailure(peer, 'tcp', 'refused')).toBe('refused')
    expect(withFirstFailure({ failedTransport: undefined, failedTransportReason: undefined }, 'tcp', 'x')).toBe('x')
  })

  it('a uTP-only seed learned from a tracker: TCP fails, uTP is tried at once without a failure, the download completes', async () => {
    const { seed, lt, leechFiles, dials, st } = await pair({ seedTcp: false, seedUtp: true })
    lt.addPeers([{ ip: SEED, port: seed.listenPort }], 'tracker')
    await until('a session', () => lt.sessions.size > 0)
    expect(transports(lt)).toEqual(['utp'])
    const rows = lt.detail(['peers']).peers!.filter((r) => r.state === 'connected')
    expect(rows.map((r) => r.transport)).toEqual(['utp'])
    await until('download complete', () => lt.isComplete())
    expect(bytesEqual(leechFiles.peek('downloads', 'u.bin')!, DATA)).toBe(true)
    expect(dials.slice(0, 2)).toEqual(['tcp', 'utp'])
    const rec = lt.pool.findPeer(SEED, seed.listenPort)!
    expect([rec.failedTransport, rec.failcount]).toEqual(['tcp', 0])
    expect(st.summary().uploadedTotal).toBeGreaterThanOrEqual(DATA.length)
  })

  it('a peer from PEX with the uTP flag is dialled over uTP first', async () => {
    const { seed, lt, dials } = await pair({ seedTcp: true, seedUtp: true })
    lt.addPeers([{ ip: SEED, port: seed.listenPort, flags: PEX_UTP }], 'pex')
    await until('a session', () => lt.sessions.size > 0)
    expect(dials).toEqual(['utp'])
    expect(transports(lt)).toEqual(['utp'])
    expect(lt.pool.findPeer(SEED, seed.listenPort)!.failedTransport).toBeUndefined()
  })

  it('a uTP-flagged peer that does not take uTP is reached over TCP after one attempt', async () => {
    const { seed, lt, dials } = await pair({ seedTcp: true, seedUtp: false })
    lt.addPeers([{ ip: SEED, port: seed.listenPort, flags: PEX_UTP }], 'pex')
    await until('a session', () => lt.sessions.size > 0)
    expect(dials.slice(0, 2)).toEqual(['utp', 'tcp'])
    expect(transports(lt)).toEqual(['tcp'])
  })

  it('with uTP off (--no-utp) only TCP is dialled, and a uTP-only seed stays out of reach', async () => {
    const { seed, lt, dials } = await pair({ seedTcp: false, seedUtp: true, leechUtp: false })
    lt.addPeers([{ ip: SEED, port: seed.listenPort, flags: PEX_UTP }], 'pex')
    await until('the attempt failed', () => (lt.pool.findPeer(SEED, seed.listenPort)?.failcount ?? 0) > 0)
    expect(dials.every((d) => d === 'tcp')).toBe(true)
    expect(lt.sessions.size).toBe(0)
  })
})
