import { describe, expect, it } from 'vitest'
import { encodeExtendedHandshake } from '../extension/extended-handshake.ts'
import { peerPriority } from '../pool/bep40.ts'
import { settle } from '../wire/peer-test-kit.ts'
import { encodeExtended, HAVE_ALL } from '../wire/wire-codec.ts'
import { dialedRaw, incomingRaw, setupEngine } from './torrent-test-kit.ts'

// What a torrent's connections tell its peer pool: error disconnects cost a failure, clean ones
// do not; a peer's `yourip` gives the pool our address for BEP 40; incoming peers take pool slots.

describe('session outcomes in the pool', () => {
  it('a peer that breaks the protocol ends with failcount 1; one that closes cleanly with 0', async () => {
    const { clock, net, e, t, infoHash } = await setupEngine({ seed: true })
    const bad = await dialedRaw(clock, net, t, '10.0.0.3')
    bad.sendHandshake({ fast: false, extended: true }, infoHash)
    await settle()
    expect(t.sessions.size).toBe(1)
    bad.write(HAVE_ALL) // without the fast extension
    await settle()
    expect(bad.closed).toBe(true)
    const violation = 'protocol violation: have-all without the fast extension'
    expect(t.pool.findPeer('10.0.0.3', 6881)).toMatchObject({
      state: 'disconnected',
      failcount: 1,
      lastError: violation,
    })
    // and it counts as a drop for its conduct: listed, and held off for twice the usual delay
    expect(t.pool.findPeer('10.0.0.3', 6881)).toMatchObject({ violations: 1, drops: 1, dropReason: violation })
    expect(t.droppedPeers()).toEqual([{ peer: '10.0.0.3:6881', reason: violation }])
    expect(await e.torrentLog(t.infoHash)).toContainEqual(
      expect.objectContaining({
        level: 'info',
        component: 'peer',
        message: `10.0.0.3:6881: dropped for its conduct: ${violation}`,
      }),
    )

    const polite = await dialedRaw(clock, net, t, '10.0.0.4')
    polite.sendHandshake({ fast: true, extended: true }, infoHash)
    await settle()
    polite.socket.end()
    await settle()
    expect(t.pool.findPeer('10.0.0.4', 6881)).toMatchObject({
      state: 'disconnected',
      failcount: 0,
      lastError: 'peer closed the connection',
      drops: 0,
    })
    expect(t.droppedPeers()).toHaveLength(1)
    await e.stop()
  })

  it('a peer that goes silent is dropped at the idle timeout with failcount 1', async () => {
    const { clock, net, e, t, infoHash } = await setupEngine({ seed: true })
    const silent = await dialedRaw(clock, net, t, '10.0.0.3')
    silent.sendHandshake({ fast: true, extended: true }, infoHash)
    await settle()
    expect(t.sessions.size).toBe(1)
    clock.advance(241_000) // idle timeout: 240 s with nothing received
    await settle()
    expect(t.sessions.size).toBe(0)
    expect(t.pool.findPeer('10.0.0.3', 6881)).toMatchObject({ failcount: 1, lastError: 'idle timeout' })
    await e.stop()
  })

  it('yourip in an extension handshake gives the pool our address: BEP 40 priorities follow', async () => {
    const { clock, net, e, t, infoHash } = await setupEngine({ seed: true })
    const others = ['98.76.54.32', '123.213.32.234', '8.8.8.8']
    for (const ip of others) t.pool.addPeer(ip, 6881, 'tracker')
    expect(t.pool.findPeer('98.76.54.32', 6881)!.priority).toBe(0)
    const raw = await dialedRaw(clock, net, t, '10.0.0.3')
    raw.sendHandshake({ fast: true, extended: true }, infoHash)
    raw.write(encodeExtended(0, encodeExtendedHandshake({ m: {}, yourIp: '123.213.32.10' })))
    await settle()
    const self = { ip: '123.213.32.10', port: e.listenPort }
    for (const ip of others) expect(t.pool.findPeer(ip, 6881)!.priority).toBe(peerPriority({ ip, port: 6881 }, self))
    expect(t.pool.findPeer('98.76.54.32', 6881)!.priority).toBe(0xec2d7224)
    // our own address as a peer is refused from now on
    expect(t.pool.addPeer('123.213.32.10', e.listenPort, 'pex')).toBeNull()
    await e.stop()
  })

  it('an accepted incoming peer is in the pool as incoming; past maxPeersPerTorrent one is refused', async () => {
    const { net, e, t } = await setupEngine({ seed: true, engine: { settings: { maxPeersPerTorrent: 1 } } })
    const first = await incomingRaw(net, e, t, '10.0.0.5')
    expect(first.handshake).not.toBeNull() // answered
    const rec = t.pool.allPeers().find((p) => p.ip === '10.0.0.5')
    expect(rec).toMatchObject({ state: 'connected', incoming: true })
    expect([...rec!.sources]).toContain('incoming')
    expect(t.sessions.get(rec!.key)?.incoming).toBe(true)

    const second = await incomingRaw(net, e, t, '10.0.0.6')
    expect(second.closed).toBe(true)
    expect(second.handshake).toBeNull() // closed without an answer
    expect(t.sessions.size).toBe(1)
    expect(t.pool.allPeers().some((p) => p.ip === '10.0.0.6')).toBe(false)
    await e.stop()
  })
})
