import { describe, expect, it } from 'vitest'
import { HttpAgent } from '../http/http-agent.ts'
import { staticFiles, testHttpServer, type TestReply } from '../http/test-http-server.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import { PiecePicker } from '../picker/piece-picker.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { ManualClock } from '../util/clock.ts'
import { pickRun } from './run-picker.ts'
import { WebSeed, type WebSeedHost } from './web-seed.ts'

// One WebSeed against a fake host (real picker, blocks collected) on the in-memory network, on a
// manual clock: what it asks, what it gives back, when it asks again.

const PIECE = 32 * 1024
const DATA = new Uint8Array(10 * PIECE).map((_, i) => (i * 7) & 0xff)

async function flush(): Promise<void> {
  for (let i = 0; i < 200; i++) await Promise.resolve()
}

async function setup(handle: (path: string) => TestReply | null) {
  const net = new MemoryNetwork()
  const files = new Map([['/f.bin', DATA]])
  const serve = staticFiles(files)
  const srv = await testHttpServer(net.host('10.0.0.9'), 80, (req) => handle(req.target) ?? serve(req))
  const info = await parseMetainfo(
    await createTorrent({ name: 'f.bin', pieceLength: PIECE, files: [{ path: 'f.bin', data: DATA }] }),
  )
  const clock = new ManualClock()
  const picker = new PiecePicker({
    pieceCount: info.pieceCount,
    pieceLength: PIECE,
    totalLength: DATA.length,
    randomFirstPieces: 0,
  })
  picker.addSeed('http://10.0.0.9/f.bin')
  const got = new Map<string, Uint8Array>()
  const dropped: string[] = []
  const agent = new HttpAgent(net.host('10.0.0.1'), { clock })
  const host: WebSeedHost = {
    info,
    agent: () => agent,
    clock,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    pick: (key, bytes) => pickRun(picker, key, bytes),
    release: (key, blocks) => {
      for (const b of blocks) picker.releaseBlock(key, b.piece, b.begin)
    },
    deliver: (key, piece, begin, data) => {
      picker.onBlockReceived(key, piece, begin)
      got.set(`${piece}:${begin}`, data.slice())
    },
    allowance: (w) => w,
    spend: () => undefined,
    onDropped: (key) => dropped.push(key),
  }
  const ws = new WebSeed({ url: 'http://10.0.0.9/f.bin', kind: 'url-list' }, host)
  return { srv, ws, picker, got, dropped, clock }
}

describe('WebSeed', () => {
  it('fetches a run of whole pieces in one range request and delivers its blocks', async () => {
    const { srv, ws, got } = await setup(() => null)
    ws.start()
    await flush()
    // runs of whole pieces from where the picker starts to the end, then what is left before it:
    // each request one range of several whole pieces, together the file once
    const ranges = srv.requests.map((r) =>
      /^bytes=(\d+)-(\d+)$/
        .exec(r.headers.get('range') ?? '')!
        .slice(1)
        .map(Number),
    )
    expect(ranges.length).toBeLessThanOrEqual(3)
    for (const [a, b] of ranges) {
      expect(a! % PIECE).toBe(0)
      expect((b! + 1) % PIECE).toBe(0)
    }
    expect(ranges[0]![1]! - ranges[0]![0]! + 1).toBeGreaterThanOrEqual(2 * PIECE)
    expect(ranges.reduce((n, [a, b]) => n + b! - a! + 1, 0)).toBe(DATA.length)
    expect(got.size).toBe(20)
    for (const [k, v] of got) {
      const [piece, begin] = k.split(':').map(Number) as [number, number]
      const at = piece * PIECE + begin
      expect(v).toEqual(DATA.subarray(at, at + v.length))
    }
    expect(ws.downloaded).toBe(DATA.length)
    expect(ws.state).toBe('idle')
  })

  it('a slow seed times out: its blocks go back to the picker and it backs off', async () => {
    const { ws, picker, clock, srv } = await setup(() => ({ hang: true }))
    ws.start()
    await flush()
    expect(ws.state).toBe('downloading')
    expect(ws.requests).toBeGreaterThan(0)
    // two requests at once; each may take 15 s plus its range at 32 KiB/s (256 KiB: 23 s)
    const asked = srv.requests.length
    expect(asked).toBe(2)
    const timeouts = srv.requests.map((r) => {
      const [a, b] = /^bytes=(\d+)-(\d+)$/
        .exec(r.headers.get('range') ?? '')!
        .slice(1)
        .map(Number)
      return 15_000 + ((b! - a! + 1) / (32 * 1024)) * 1000
    })
    expect(Math.max(...timeouts)).toBe(23_000)
    clock.advance(Math.min(...timeouts) - 1000)
    await flush()
    expect(ws.state).toBe('downloading')
    clock.advance(Math.max(...timeouts) - Math.min(...timeouts) + 1_500)
    await flush()
    expect(ws.state).toBe('backoff')
    expect(ws.error).toMatch(/timeout/)
    // one backoff for both (5 s from the first timeout), not two
    expect(ws.retryInSec()).toBeGreaterThanOrEqual(1)
    expect(ws.retryInSec()).toBeLessThanOrEqual(5)
    expect(ws.requests).toBe(0)
    // what it held is free for a peer now
    picker.addSeed('peer')
    expect(picker.pickBlocks('peer', { has: () => true }, 4).length).toBe(4)
    // not asked again before the backoff ends
    ws.kick()
    await flush()
    expect(srv.requests.length).toBe(asked)
    clock.advance(5_000)
    ws.kick()
    await flush()
    expect(srv.requests.length).toBeGreaterThan(asked)
  })

  it('refuses a server that ignores Range or answers another range', async () => {
    const wrong = await setup((path) =>
      path === '/f.bin' ? { status: 206, headers: { 'Content-Range': 'bytes 0-9/99' }, body: 'x' } : null,
    )
    wrong.ws.start()
    await flush()
    expect(wrong.ws.state).toBe('backoff')
    expect(wrong.ws.error).toMatch(/answered range 0-9/)
    const ignores = await setup(() => ({ body: DATA }))
    ignores.ws.start()
    await flush()
    expect(ignores.ws.state).toBe('backoff')
    expect(ignores.ws.error).toMatch(/ignores Range/)
    expect(ignores.got.size).toBe(0)
  })

  it('is dropped when blamed alone for bad data, after two shared failures otherwise', async () => {
    const a = await setup(() => null)
    a.ws.blame(true)
    expect(a.ws.state).not.toBe('dropped')
    a.ws.blame(true)
    expect(a.ws.state).toBe('dropped')
    const b = await setup(() => null)
    b.ws.start()
    b.ws.blame(false)
    expect(b.ws.state).toBe('dropped')
    expect(b.dropped).toEqual(['http://10.0.0.9/f.bin'])
    expect(b.ws.error).toMatch(/failed verification/)
    // a dropped seed never asks again
    await flush()
    const before = b.srv.requests.length
    b.ws.start()
    b.ws.kick()
    await flush()
    expect(b.srv.requests.length).toBe(before)
  })
})
