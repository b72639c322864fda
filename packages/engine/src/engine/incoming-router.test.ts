import { describe, expect, it } from 'vitest'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { ManualClock } from '../util/clock.ts'
import { fromHex } from '../util/hex.ts'
import { RawPeer, settle } from '../wire/peer-test-kit.ts'
import { BtEngine, type BtEngineOptions } from './bt-engine.ts'

// Security: connections that never send a handshake must not pile up. The router counts the
// half-open ones against a cap (and the engine-wide limit) and closes extras at once; idle ones
// are closed by the handshake timeout. Time is a ManualClock, the network is in memory.

async function seedEngine(opts: Partial<BtEngineOptions> = {}) {
  const clock = new ManualClock(1_000_000)
  const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
  const data = new Uint8Array(70_000).map((_, i) => (i * 13) & 0xff)
  const torrent = await createTorrent({ name: 'x.bin', pieceLength: 32 * 1024, files: [{ path: 'x.bin', data }] })
  const files = new MemoryFilePort()
  files.put('downloads', 'x.bin', data)
  const e = new BtEngine({
    platform: { net: net.host('10.0.0.1'), files, state: new MemoryStateStore(), now: () => clock.now() },
    clock,
    ...opts,
    settings: { dhtEnabled: false, ...opts.settings },
  })
  await e.start()
  const t = await e.add({ torrentFile: torrent })
  await settle()
  const dial = async (from: string) =>
    new RawPeer(await net.host(from).connect({ host: '10.0.0.1', port: e.listenPort }))
  return { clock, e, t, dial }
}

/** 500 idle connections from 500 addresses (opened one after the other, as an attacker would). */
async function flood(dial: (from: string) => Promise<RawPeer>, n = 500): Promise<RawPeer[]> {
  const out: RawPeer[] = []
  for (let i = 0; i < n; i++) out.push(await dial(`10.1.${i >> 8}.${i & 0xff}`))
  await settle()
  return out
}

describe('incoming connections that never handshake', () => {
  it('500 idle connections: at most the cap (32) are held, the rest closed at once', async () => {
    const { e, dial } = await seedEngine()
    const idle = await flood(dial)
    expect(idle.filter((r) => !r.closed).length).toBe(32)
    expect(e.halfOpenIncoming()).toBe(32)
    // the 32 held are the first ones; every later one was refused
    expect(idle.slice(0, 32).every((r) => !r.closed)).toBe(true)
    await e.stop()
  })

  it('idle ones are closed after 10 s, then a legitimate peer gets through', async () => {
    const { clock, e, t, dial } = await seedEngine()
    const idle = await flood(dial)
    const early = await dial('10.2.0.1')
    await settle()
    expect(early.closed).toBe(true) // no slot while 32 are half-open

    clock.advance(9_000)
    await settle()
    expect(e.halfOpenIncoming()).toBe(32) // not yet
    clock.advance(2_000)
    await settle()
    expect(idle.every((r) => r.closed)).toBe(true)
    expect(e.halfOpenIncoming()).toBe(0)

    const peer = await dial('10.2.0.2')
    peer.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
    await settle()
    expect(peer.closed).toBe(false)
    expect(peer.handshake).not.toBeNull()
    expect(peer.types()).toContain('have-all')
    expect(t.sessions.size).toBe(1)
    expect(e.halfOpenIncoming()).toBe(0) // a handshaken peer no longer holds a half-open slot
    await e.stop()
  })

  it('a peer that handshakes frees its slot for the next one (cap configurable)', async () => {
    const { e, t, dial } = await seedEngine({ incoming: { maxHalfOpen: 2 } })
    const a = await dial('10.3.0.1')
    const b = await dial('10.3.0.2')
    const c = await dial('10.3.0.3')
    await settle()
    expect([a.closed, b.closed, c.closed]).toEqual([false, false, true])
    a.sendHandshake({ fast: true, extended: true }, Uint8Array.from(fromHex(t.infoHash)))
    await settle()
    expect(e.halfOpenIncoming()).toBe(1)
    const d = await dial('10.3.0.4')
    await settle()
    expect(d.closed).toBe(false)
    expect(e.halfOpenIncoming()).toBe(2)
    // an unknown info-hash is refused and frees its slot too
    d.sendHandshake({ fast: true, extended: true }, new Uint8Array(20).fill(7))
    await settle()
    expect(d.closed).toBe(true)
    expect(e.halfOpenIncoming()).toBe(1)
    await e.stop()
  })

  it('half-open connections count against the engine-wide connection limit', async () => {
    const { e, dial } = await seedEngine({ settings: { maxConnectionsGlobal: 5 } })
    const idle = await flood(dial, 20)
    expect(idle.filter((r) => !r.closed).length).toBe(5)
    expect(e.halfOpenIncoming()).toBe(5)
    await e.stop()
  })
})
