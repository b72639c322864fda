import { describe, expect, it } from 'vitest'
import { settle } from '../wire/peer-test-kit.ts'
import { HAVE_ALL } from '../wire/wire-codec.ts'
import { dialedRaw, setupEngine } from './torrent-test-kit.ts'

// What a torrent's connections tell its peer pool: error disconnects cost a failure, clean ones
// do not.

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
    expect(t.pool.findPeer('10.0.0.3', 6881)).toMatchObject({ state: 'disconnected', failcount: 1, lastError: 'protocol violation: have-all without the fast extension' })

    const polite = await dialedRaw(clock, net, t, '10.0.0.4')
    polite.sendHandshake({ fast: true, extended: true }, infoHash)
    await settle()
    polite.socket.end()
    await settle()
    expect(t.pool.findPeer('10.0.0.4', 6881)).toMatchObject({ state: 'disconnected', failcount: 0, lastError: 'peer closed the connection' })
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

})
