import { describe, expect, it } from 'vitest'
import { settle } from '../wire/peer-test-kit.ts'
import { countsAgainstPeer, describeCloseReason, type CloseKind, type CloseReason } from '../wire/close-reason.ts'
import { dialedRaw, setupEngine } from './torrent-test-kit.ts'

// Which ways a connection ends count against the peer in the pool. A Record over every kind: a new
// kind does not compile until it is listed here with the class it belongs to.
const CASES: Record<CloseKind, { reason: CloseReason; failure: boolean }> = {
  'protocol-violation': {
    reason: { kind: 'protocol-violation', detail: 'have-all without the fast extension' },
    failure: true,
  },
  timeout: { reason: { kind: 'timeout', detail: 'idle' }, failure: true },
  'socket-error': { reason: { kind: 'socket-error', detail: 'reset' }, failure: true },
  'connect-failed': { reason: { kind: 'connect-failed', detail: 'refused' }, failure: true },
  internal: { reason: { kind: 'internal', detail: 'handler threw' }, failure: true },
  self: { reason: { kind: 'self' }, failure: false },
  duplicate: { reason: { kind: 'duplicate' }, failure: false },
  'both-seeds': { reason: { kind: 'both-seeds' }, failure: false },
  stopped: { reason: { kind: 'stopped' }, failure: false },
  'torrent-error': { reason: { kind: 'torrent-error' }, failure: false },
  // the pool's dropForConduct charged the peer already (wasteful-peers.test.ts); the close adds nothing
  wasteful: { reason: { kind: 'wasteful', detail: 'rejected 7 requests, delivered 0 blocks' }, failure: false },
  banned: { reason: { kind: 'banned', detail: 'failed 3 times' }, failure: false },
  'incoming-refused': { reason: { kind: 'incoming-refused' }, failure: false },
  'remote-closed': { reason: { kind: 'remote-closed' }, failure: false },
  // only reaches the pool as a failure when MSE was required (prefer falls back to plain first)
  'encryption-failed': {
    reason: { kind: 'encryption-failed', detail: 'no-sync: no ENCRYPT(VC) within 520 bytes after Yb' },
    failure: true,
  },
  'encryption-refused': {
    reason: { kind: 'encryption-refused', detail: 'plain connection while encryption is required' },
    failure: false,
  },
  done: { reason: { kind: 'done' }, failure: false },
}

describe('close reasons in the pool', () => {
  it.each(Object.entries(CASES))('%s: a session closed for it leaves the expected failcount', async (_kind, c) => {
    const { clock, net, e, t, infoHash } = await setupEngine({ seed: true })
    const raw = await dialedRaw(clock, net, t, '10.0.0.3')
    raw.sendHandshake({ fast: true, extended: true }, infoHash)
    await settle()
    const session = [...t.sessions.values()][0]!
    session.close(c.reason)
    await settle()
    expect(raw.closed).toBe(true)
    const rec = t.pool.findPeer('10.0.0.3', 6881)!
    expect(rec.failcount).toBe(c.failure ? 1 : 0)
    // only our own stop (a Stop, our disk failing) leaves the peer free to dial again at once (a Start
    // should not wait 60 s)
    expect(rec.state).toBe(_kind === 'stopped' || _kind === 'torrent-error' ? 'candidate' : 'disconnected')
    expect(rec.lastError).toBe(describeCloseReason(c.reason))
    expect(countsAgainstPeer(c.reason)).toBe(c.failure)
    await e.stop()
  })

  it('a refused connect counts against the peer, with the platform code as its text', async () => {
    const { clock, e, t } = await setupEngine({ seed: true })
    t.addPeer('10.0.0.9', 6881) // nothing listens there
    for (let i = 0; i < 20 && t.pool.findPeer('10.0.0.9', 6881)!.failcount === 0; i++) {
      clock.advance(100)
      await settle()
    }
    expect(t.pool.findPeer('10.0.0.9', 6881)).toMatchObject({
      state: 'disconnected',
      failcount: 1,
      lastError: 'refused',
    })
    await e.stop()
  })
})
