import { describe, expect, it } from 'vitest'
import { describeCloseReason } from './close-reason.ts'
import { rawAgainstSeed, settle } from './peer-test-kit.ts'
import * as W from './wire-codec.ts'
import type { WireMessage } from './wire-codec.ts'

/** Random but mostly well-formed messages: indices and lengths near the torrent's limits. */
function randomMessage(rnd: () => number): WireMessage {
  const index = rnd() % 6 // 4 pieces: sometimes out of range
  const begin = [0, 16384, 32768, 1][rnd() % 4]!
  const length = [16384, 10000, 1, 16385, 0][rnd() % 5]!
  switch (rnd() % 16) {
    case 0:
      return { type: 'choke' }
    case 1:
      return { type: 'unchoke' }
    case 2:
      return { type: 'interested' }
    case 3:
      return { type: 'not-interested' }
    case 4:
      return { type: 'have', index }
    case 5:
      return { type: 'bitfield', bits: new Uint8Array([rnd() & 0xf0]) }
    case 6:
      return { type: 'request', index, begin, length }
    case 7:
      return { type: 'cancel', index, begin, length }
    case 8:
      return { type: 'piece', index, begin, block: new Uint8Array(rnd() % 3 === 0 ? 16384 : 16) }
    case 9:
      return { type: 'have-all' }
    case 10:
      return { type: 'have-none' }
    case 11:
      return { type: 'reject', index, begin, length }
    case 12:
      return { type: 'allowed-fast', index }
    case 13:
      return { type: 'suggest', index }
    case 14:
      return { type: 'extended', extId: rnd() % 3, payload: new Uint8Array(rnd() % 40) }
    default:
      return { type: 'keep-alive' }
  }
}

describe('PeerConnection under random message sequences', () => {
  it('never throws; it stays open or closes with a recorded reason, and stays consistent', async () => {
    let seed = 424242
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8
    const reasons = new Map<string, number>()
    for (let run = 0; run < 60; run++) {
      const { raw, conn } = await rawAgainstSeed()
      conn.setHandlers({
        onInterested: () => conn.unchoke(),
        onUploadRequest: (r) => {
          if (rnd() % 2) conn.sendPiece(r.index, r.begin, new Uint8Array(r.length))
          else conn.rejectRequest(r.index, r.begin, r.length)
        },
      })
      raw.sendHandshake(rnd() % 4 === 0 ? { extended: true } : { fast: true, extended: true })
      const n = 1 + (rnd() % 40)
      for (let i = 0; i < n && !raw.closed; i++) raw.write(W.encodeMessage(randomMessage(rnd)))
      await settle(300)
      if (conn.closeReason !== null) {
        const key = describeCloseReason(conn.closeReason).replace(/\d+/g, 'N')
        reasons.set(key, (reasons.get(key) ?? 0) + 1)
        expect(conn.isOpen).toBe(false)
      } else {
        expect(conn.isOpen).toBe(true)
        expect(conn.stats().uploadQueue).toBeLessThanOrEqual(conn.config.maxIncomingRequests)
      }
      expect(conn.closeReason?.kind).not.toBe('internal')
      conn.close({ kind: 'done' })
    }
    // The generator produces violations often: several kinds were seen and named.
    expect(reasons.size).toBeGreaterThanOrEqual(3)
    expect([...reasons.keys()].every((r) => r.startsWith('protocol violation:'))).toBe(true)
  })
})
