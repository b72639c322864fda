import { describe, expect, it } from 'vitest'
import { BtEngine } from '../engine/bt-engine.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { ManualClock } from '../util/clock.ts'
import type { StreamHandler, StreamPort } from '../platform/ports.ts'
import { RawPeer, settle } from '../wire/peer-test-kit.ts'
import { encodePiece, HAVE_ALL, UNCHOKE } from '../wire/wire-codec.ts'
import { KIT_DATA, setupEngine } from './torrent-test-kit.ts'

// A stream against a whole engine: a peer that holds our requests (a slow, rate-limited seed serves
// them in order), then a player asks for the last piece. The torrent is KIT_DATA: three pieces of
// 32 KiB (two blocks, two blocks, one block).

const PIECE = 32 * 1024

function fakeStreams() {
  const published: Array<{ path: string; length: number; handler: StreamHandler; closed: boolean }> = []
  const port: StreamPort = {
    async publish(file, handler) {
      const p = { path: file.path, length: file.length, handler, closed: false }
      published.push(p)
      return {
        url: `http://127.0.0.1:1/stream/${published.length}`,
        close: () => {
          p.closed = true
        },
      }
    },
  }
  return { port, published }
}

describe('streaming a file of a torrent', () => {
  it('a player asking for the last piece gets it first: queued requests are withdrawn, the bytes arrive', async () => {
    const streams = fakeStreams()
    const { clock, net, e, t, infoHash } = await setupEngine({ seed: false, streams: streams.port })
    const held: Array<{ index: number; begin: number; length: number }> = []
    let raw: RawPeer | undefined
    await net.host('10.0.0.9').listen({ port: 6881 }, (socket) => {
      raw = new RawPeer(socket)
      raw.sendHandshake({ fast: true, extended: false }, infoHash)
      raw.write(HAVE_ALL, UNCHOKE)
      raw.onMessage = (m) => {
        if (m.type === 'request') held.push({ index: m.index, begin: m.begin, length: m.length })
      }
    })
    t.addPeer('10.0.0.9', 6881)
    for (let i = 0; i < 50 && held.length === 0; i++) {
      clock.advance(100)
      await settle()
    }
    expect(held.length).toBeGreaterThan(0)
    const ordinary = held.map((r) => r.index)

    const url = await e.streaming(t.infoHash).openStream(0)
    expect(url).toBe('http://127.0.0.1:1/stream/1')
    expect(streams.published[0]).toMatchObject({ path: 'x.bin', length: KIT_DATA.length })
    let ready = false
    const asked = streams.published[0]!.handler.need(2 * PIECE, KIT_DATA.length - 2 * PIECE, 1).then(() => {
      ready = true
    })
    await settle()
    // every queued request for another piece was withdrawn; the asked piece is (still or newly) requested
    const cancels = raw!.received.filter((m) => m.type === 'cancel')
    expect(cancels.length).toBe(ordinary.filter((p) => p !== 2).length)
    expect(held.some((r) => r.index === 2)).toBe(true)
    // the peer answers what it was asked last; the stream's bytes become ready
    for (const r of held.filter((x) => x.index === 2)) {
      const at = r.index * PIECE + r.begin
      raw!.write(encodePiece(r.index, r.begin, KIT_DATA.subarray(at, at + r.length)))
    }
    for (let i = 0; i < 50 && !ready; i++) {
      clock.advance(100)
      await settle()
      await new Promise((r) => setTimeout(r, 0))
    }
    await asked
    expect(ready).toBe(true)
    expect(t.downloader!.have.has(2)).toBe(true)
    // the detail the UI reads
    expect(t.detail(['streaming']).streaming).toMatchObject({
      available: true,
      streams: [{ fileIndex: 0, url: 'http://127.0.0.1:1/stream/1' }],
    })
    // stopping the torrent closes its streams
    await t.stop()
    expect(streams.published[0]!.closed).toBe(true)
    await e.stop()
  })

  it('sequential and first/last pieces first are kept over a restart', async () => {
    const state = new MemoryStateStore()
    const start = async () => {
      const clock = new ManualClock(1_000_000)
      const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
      const e = new BtEngine({
        platform: { net: net.host('10.0.0.1'), files: new MemoryFilePort(), state, now: () => clock.now() },
        clock,
        settings: { dhtEnabled: false },
      })
      await e.start()
      return e
    }
    const e = await start()
    const file = await createTorrent({ name: 'x.bin', pieceLength: PIECE, files: [{ path: 'x.bin', data: KIT_DATA }] })
    const t = await e.add({ torrentFile: file, paused: true })
    e.streaming(t.infoHash).setSequential(true)
    e.streaming(t.infoHash).setFirstLastPiecesFirst(true)
    await settle()
    await e.stop()
    const e2 = await start()
    await settle()
    expect(e2.streaming(t.infoHash).state()).toMatchObject({ sequential: true, firstLastPiecesFirst: true })
    e2.streaming(t.infoHash).setSequential(false)
    await settle()
    await e2.stop()
    const e3 = await start()
    await settle()
    expect(e3.streaming(t.infoHash).state()).toMatchObject({ sequential: false, firstLastPiecesFirst: true })
    await e3.stop()
  })
})
