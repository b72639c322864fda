import { describe, expect, it, vi } from 'vitest'
import { settle } from '../wire/peer-test-kit.ts'
import { encodeRequest, INTERESTED } from '../wire/wire-codec.ts'
import type { PeerSession } from './peer-session.ts'
import { incomingRaw, KIT_DATA, setupEngine } from './torrent-test-kit.ts'

// A peer asking for a piece we do not have gets a reject (BEP 6), never the bytes on disk: the
// wire checks our pieces before asking the torrent to read, and the downloader checks again.

/** Our data with piece 0 damaged on disk: after the check we have pieces 1 and 2 only. */
function damagedPiece0(): Uint8Array {
  const d = KIT_DATA.slice()
  for (let i = 0; i < 32 * 1024; i += 1000) d[i] ^= 0xff
  return d
}

describe('requests for pieces we lack', () => {
  it('an unchoked peer asking for a piece we lack gets a reject; one we have is served', async () => {
    const { net, e, t } = await setupEngine({ seed: false, onDisk: damagedPiece0() })
    expect(t.downloader!.storage.have.has(0)).toBe(false)
    expect(t.downloader!.storage.have.has(1)).toBe(true)
    const raw = await incomingRaw(net, e, t, '10.0.0.5')
    raw.write(INTERESTED)
    await settle()
    expect(raw.types()).toContain('unchoke')
    raw.write(encodeRequest(0, 0, 16384), encodeRequest(1, 0, 16384))
    await vi.waitFor(() => expect(raw.types()).toContain('piece'), { timeout: 5000, interval: 10 })
    await settle()
    const answers = raw.received.filter((m) => m.type === 'piece' || m.type === 'reject')
    expect(answers.map((m) => [m.type, 'index' in m ? m.index : -1])).toEqual([
      ['reject', 0],
      ['piece', 1],
    ])
    await e.stop()
  })

  it('the downloader does not read a piece it lacks even when asked directly', async () => {
    const { e, t } = await setupEngine({ seed: false, onDisk: damagedPiece0() })
    const s = { reject: vi.fn(), sendPiece: vi.fn(() => true), isOpen: () => true }
    await t.downloader!.serveRequest(s as unknown as PeerSession, 0, 0, 16384)
    expect(s.reject).toHaveBeenCalledWith(0, 0, 16384)
    expect(s.sendPiece).not.toHaveBeenCalled()
    await t.downloader!.serveRequest(s as unknown as PeerSession, 1, 0, 16384) // the same fake serves a piece we have
    expect(s.sendPiece).toHaveBeenCalledTimes(1)
    await e.stop()
  })
})
