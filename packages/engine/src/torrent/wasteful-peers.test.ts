import { describe, expect, it, vi } from 'vitest'
import type { MemoryFilePort } from '../platform/memory-files.ts'
import type { MemoryNetwork } from '../platform/memory-net.ts'
import { bytesEqual } from '../util/bytes.ts'
import type { ManualClock } from '../util/clock.ts'
import { describeCloseReason } from '../wire/close-reason.ts'
import { RawPeer, settle } from '../wire/peer-test-kit.ts'
import {
  encodeBitfield,
  encodeHave,
  encodePiece,
  encodeReject,
  encodeRequest,
  HAVE_ALL,
  INTERESTED,
  UNCHOKE,
} from '../wire/wire-codec.ts'
import { dialedRaw, incomingRaw, KIT_DATA, setupEngine } from './torrent-test-kit.ts'

// Peers that waste our time, against a whole engine on a ManualClock. The torrent is KIT_DATA:
// three pieces of 32 KiB (two blocks, two blocks, one block).

const PIECE = 32 * 1024
/** A hostile peer stops answering after this many rejects, so a client that asks forever still ends. */
const REJECT_CAP = 10_000

interface Listener {
  dials: number
  requests: number
  peers: RawPeer[]
}

/**
 * A peer listening at `host`:6881 that claims every piece, unchokes us and answers every request
 * with a BEP 6 reject (up to REJECT_CAP).
 */
async function hostilePeer(net: MemoryNetwork, host: string, infoHash: Uint8Array<ArrayBuffer>): Promise<Listener> {
  const l: Listener = { dials: 0, requests: 0, peers: [] }
  await net.host(host).listen({ port: 6881 }, (socket) => {
    l.dials++
    const raw = new RawPeer(socket)
    l.peers.push(raw)
    raw.sendHandshake({ fast: true, extended: false }, infoHash)
    raw.write(HAVE_ALL, UNCHOKE)
    raw.onMessage = (m) => {
      if (m.type !== 'request') return
      if (++l.requests <= REJECT_CAP) raw.write(encodeReject(m.index, m.begin, m.length))
    }
  })
  return l
}

/** An honest peer at `host`:6881 with the pieces in `has` (more with `announce`), serving every request. */
async function honestPeer(net: MemoryNetwork, host: string, infoHash: Uint8Array<ArrayBuffer>, has: Set<number>) {
  const l: Listener = { dials: 0, requests: 0, peers: [] }
  await net.host(host).listen({ port: 6881 }, (socket) => {
    l.dials++
    const raw = new RawPeer(socket)
    l.peers.push(raw)
    raw.sendHandshake({ fast: true, extended: false }, infoHash)
    let bits = 0
    for (const p of has) bits |= 0x80 >> p
    raw.write(encodeBitfield(Uint8Array.of(bits)), UNCHOKE)
    raw.onMessage = (m) => {
      if (m.type !== 'request') return
      l.requests++
      if (!has.has(m.index)) return raw.write(encodeReject(m.index, m.begin, m.length))
      const at = m.index * PIECE + m.begin
      raw.write(encodePiece(m.index, m.begin, KIT_DATA.subarray(at, at + m.length)))
    }
  })
  return {
    l,
    announce(piece: number) {
      has.add(piece)
      for (const raw of l.peers) if (!raw.closed) raw.write(encodeHave(piece))
    },
  }
}

/** Moves simulated time in 100 ms steps, letting wire messages and (real, async) hashing run. */
async function run(clock: ManualClock, ms: number, until: () => boolean = () => false): Promise<void> {
  for (let waited = 0; waited < ms && !until(); waited += 100) {
    clock.advance(100)
    await settle()
    await new Promise((r) => setTimeout(r, 0))
  }
}

describe('a peer that claims every piece and rejects every request', () => {
  it('is asked a few times, held off, dropped and not redialled at once; the download completes from an honest peer', async () => {
    const { clock, net, e, t, infoHash } = await setupEngine({ seed: false })
    const hostile = await hostilePeer(net, '10.0.0.3', infoHash)
    // the honest peer has pieces 0 and 1; for a while only the liar claims piece 2
    const honest = await honestPeer(net, '10.0.0.4', infoHash, new Set([0, 1]))
    t.addPeer('10.0.0.3', 6881)
    t.addPeer('10.0.0.4', 6881)
    await run(clock, 40_000)
    expect(hostile.dials).toBe(1)
    const liar = t.pool.findPeer('10.0.0.3', 6881)!
    expect(liar.state).toBe('disconnected')
    expect(liar.drops).toBe(1)
    expect(liar.dropReason).toMatch(/^rejected \d+ requests, delivered 0 blocks$/)
    expect(liar.nextAttemptAt - clock.now()).toBeGreaterThan(60_000)
    expect(t.droppedPeers()).toEqual([{ peer: '10.0.0.3:6881', reason: liar.dropReason }])
    // one failure, charged by the drop itself (the close that follows is not counted again)
    expect(liar).toMatchObject({ failcount: 1, lastError: liar.dropReason })
    // the Log tab says why, without any debug setting
    expect(await e.torrentLog(t.infoHash)).toContainEqual(
      expect.objectContaining({
        level: 'info',
        component: 'peer',
        message: `10.0.0.3:6881: dropped for its conduct: ${liar.dropReason}`,
      }),
    )
    // what the Swarm tab shows
    const row = t.detail(['swarm']).swarm!.find((r) => r.key === '10.0.0.3:6881')
    expect(row).toMatchObject({ state: 'disconnected', rejects: liar.rejects, drops: 1, dropReason: liar.dropReason })
    expect(row!.rejects).toBeGreaterThan(4)

    honest.announce(2)
    await run(clock, 10_000, () => t.isComplete())
    expect(t.isComplete()).toBe(true)
    const files = e.platform.files as MemoryFilePort
    expect(bytesEqual(files.peek('downloads', 'x.bin')!, KIT_DATA)).toBe(true)

    await run(clock, 60_000)
    expect(hostile.dials, 'not redialled within a minute of the drop').toBe(1)
    // today's client asked again at once after every reject: the cap of 10,000 answers was reached
    expect(hostile.requests).toBeLessThanOrEqual(20) // 7 here: 4 at first, then one per hold-off
    expect(honest.l.dials).toBe(1)
    await e.stop()
  })
})

describe('other waste', () => {
  it('a peer asking for pieces we never advertised is rejected each time and dropped past the limit', async () => {
    const { net, e, t } = await setupEngine({ seed: false })
    const raw = await incomingRaw(net, e, t, '10.0.0.5')
    const close = vi.spyOn([...t.sessions.values()][0]!, 'close')
    raw.write(INTERESTED)
    for (let i = 0; i < 16; i++) raw.write(encodeRequest(0, 0, 16384))
    await settle()
    expect(raw.types().filter((m) => m === 'reject')).toHaveLength(16)
    expect(raw.closed).toBe(false)
    raw.write(encodeRequest(1, 0, 16384))
    await settle()
    expect(raw.closed).toBe(true)
    expect(t.sessions.size).toBe(0)
    const [drop] = t.droppedPeers()
    expect(drop?.peer).toMatch(/^10\.0\.0\.5:\d+$/)
    expect(drop?.reason).toBe('sent 17 requests for pieces we never advertised')
    // closed with a typed reason, whose text is the drop's
    expect(close.mock.calls).toEqual([[{ kind: 'wasteful', detail: drop!.reason }]])
    expect(describeCloseReason(close.mock.calls[0]![0])).toBe(drop!.reason)
    await e.stop()
  })

  it('a peer that leaves our requests unanswered is charged a snub', async () => {
    const { clock, net, e, t, infoHash } = await setupEngine({ seed: false })
    const raw = await dialedRaw(clock, net, t, '10.0.0.6')
    raw.sendHandshake({ fast: true, extended: false }, infoHash)
    raw.write(HAVE_ALL, UNCHOKE)
    await settle()
    expect(raw.types()).toContain('request')
    await run(clock, 21_000)
    expect(t.pool.findPeer('10.0.0.6', 6881)).toMatchObject({ state: 'connected', snubs: 1, rejects: 0 })
    await e.stop()
  })
})
