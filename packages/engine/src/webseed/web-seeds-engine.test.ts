import { afterEach, describe, expect, it } from 'vitest'
import { BtEngine } from '../engine/bt-engine.ts'
import {
  httpSeedHandler,
  staticFiles,
  testHttpServer,
  type SeenRequest,
  type TestReply,
} from '../http/test-http-server.ts'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import { testDataPlane } from '../platform/data-plane-test-kit.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { Torrent } from '../torrent/torrent.ts'
import { bytesEqual } from '../util/bytes.ts'
import { testBytes as data } from '../util/test-bytes.ts'

// A whole engine downloading from web seeds on the in-memory network: real picker, storage and
// verification, HTTP servers of our own. Timers are real (the 1 s tick); every wait is bounded.

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const NAME = 'Set #1 ünï 100%'
const FILES = [
  { path: 'dir with space/a #1.bin', data: data(300_000, 1) },
  { path: 'ü ☃ 50%/b?c.bin', data: data(123_457, 2) },
  { path: 'empty', data: new Uint8Array() },
  { path: 'z.bin', data: data(70_001, 3) },
]
const PIECE = 32 * 1024

async function leech(
  net: MemoryNetwork,
  settings: Record<string, unknown> = {},
  files = new MemoryFilePort(),
  state = new MemoryStateStore(),
) {
  const e = new BtEngine({
    settings: { dhtEnabled: false, localPeerDiscovery: false, portMapping: false, ...settings },
    platform: {
      net: net.host('10.0.0.1'),
      files,
      state,
      now: () => Date.now(),
      ...testDataPlane(files),
    },
  })
  engines.push(e)
  await e.start()
  return { e, files }
}

/** The files as a web server has them: under <root>/<name>/<path>, raw names. */
function serverFiles(root: string, corrupt = false): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>()
  for (const f of FILES) {
    const d = f.data.slice()
    if (corrupt) for (let i = 0; i < d.length; i += 997) d[i] ^= 0x5a
    m.set(`${root}/${NAME}/${f.path}`, d)
  }
  return m
}

function expectFiles(files: MemoryFilePort): void {
  for (const f of FILES) {
    if (f.data.length === 0) continue
    // '?' is not allowed on disk: the sanitized name differs from the server's
    const got = files.peek('downloads', `${NAME}/${f.path.replace('?', '_')}`)
    expect(got, f.path).not.toBeNull()
    expect(bytesEqual(got!, f.data), `${f.path} bytes`).toBe(true)
  }
}

function webRow(t: Torrent, url: string) {
  return t.detail(['peers']).peers!.find((p) => p.key === url)
}

describe('web seeds in a whole engine', () => {
  it('downloads a multi-file torrent with awkward names from a BEP 19 web seed alone, byte-exact, over two kept connections at most', async () => {
    const net = new MemoryNetwork()
    const srv = await testHttpServer(net.host('10.0.0.9'), 80, staticFiles(serverFiles('/pub')))
    const torrent = await createTorrent({
      name: NAME,
      pieceLength: PIECE,
      files: FILES,
      urlList: ['http://10.0.0.9/pub/'],
    })
    const { e, files } = await leech(net)
    const t = await e.add({ torrentFile: torrent })
    await until('download complete', () => t.isComplete())
    expectFiles(files)
    expect(srv.connections()).toBeLessThanOrEqual(2)
    // runs of pieces: one request per file a run touches, never one per piece. How many runs there
    // are depends on where the random picks start (16 pieces can split into many short runs), so
    // the check is that runs exist and that there are fewer requests than one per piece would make:
    // 16 pieces + 2 that straddle two files = 18.
    const pieces = Math.ceil(FILES.reduce((n, f) => n + f.data.length, 0) / PIECE)
    const straddling = 2
    expect(srv.requests.length).toBeLessThan(pieces + straddling)
    const ranges = srv.requests.map((r) => /^bytes=(\d+)-(\d+)$/.exec(r.headers.get('range') ?? ''))
    expect(ranges.every((m) => m !== null)).toBe(true)
    // the first run is 8 whole adjacent pieces (256 KiB): wherever it starts, one of its file ranges
    // is at least 3 pieces long
    const longest = Math.max(...ranges.map((m) => Number(m![2]) - Number(m![1]) + 1))
    expect(longest).toBeGreaterThanOrEqual(3 * PIECE)
    expect(srv.requests.some((r) => r.target.includes('/Set%20%231%20%C3%BCn%C3%AF%20100%25/'))).toBe(true)
    const row = webRow(t, 'http://10.0.0.9/pub/')!
    expect(row.webSeed).toMatchObject({ kind: 'url-list', url: 'http://10.0.0.9/pub/' })
    expect(row.transport).toBe('http')
    expect(row.downloaded).toBeGreaterThanOrEqual(FILES.reduce((n, f) => n + f.data.length, 0))
    expect(t.summary().downloadedTotal).toBeGreaterThanOrEqual(row.downloaded)
  })

  it('downloads from a BEP 17 HTTP seed alone', async () => {
    const net = new MemoryNetwork()
    const plain = { name: 'single.bin', pieceLength: PIECE, files: [{ path: 'single.bin', data: data(250_000, 7) }] }
    const meta = await parseMetainfo(await createTorrent(plain))
    const srv = await testHttpServer(
      net.host('10.0.0.9'),
      8000,
      httpSeedHandler(meta.infoHashBytes, plain.files[0]!.data, PIECE),
    )
    const torrent = await createTorrent({ ...plain, httpSeeds: ['http://10.0.0.9:8000/seed?x=1'] })
    const { e, files } = await leech(net)
    const t = await e.add({ torrentFile: torrent })
    await until('download complete', () => t.isComplete())
    expect(bytesEqual(files.peek('downloads', 'single.bin')!, plain.files[0]!.data)).toBe(true)
    expect(srv.requests.every((r) => /^\/seed\?x=1&info_hash=[^&]+&piece=\d+$/.test(r.target))).toBe(true)
    expect(webRow(t, 'http://10.0.0.9:8000/seed?x=1')!.client).toBe('HTTP seed (BEP 17)')
  })

  it('drops a web seed whose data fails verification; a good one finishes the download', async () => {
    const net = new MemoryNetwork()
    const good = serverFiles('/good')
    const bad = serverFiles('/bad', true)
    // the good server is slow to start, so the bad one sends the first pieces
    let goodOpen = false
    await testHttpServer(net.host('10.0.0.8'), 80, staticFiles(bad))
    await testHttpServer(net.host('10.0.0.9'), 80, (req) =>
      goodOpen ? staticFiles(good)(req) : { status: 503, headers: { 'Retry-After': '1' } },
    )
    const torrent = await createTorrent({
      name: NAME,
      pieceLength: PIECE,
      files: FILES,
      urlList: ['http://10.0.0.8/bad/', 'http://10.0.0.9/good/'],
    })
    const { e, files } = await leech(net)
    const t = await e.add({ torrentFile: torrent })
    await until('bad seed dropped', () => webRow(t, 'http://10.0.0.8/bad/')?.webSeed?.state === 'dropped')
    goodOpen = true
    await until('download complete', () => t.isComplete())
    expectFiles(files)
    expect(t.hashFailures).toBeGreaterThan(0)
    expect(webRow(t, 'http://10.0.0.8/bad/')!.webSeed!.error).toMatch(/verification/)
    expect(webRow(t, 'http://10.0.0.9/good/')!.webSeed!.state).not.toBe('dropped')
  })

  it('backs off a failing web seed: Retry-After honoured, then exponential', async () => {
    const net = new MemoryNetwork()
    const ok = staticFiles(serverFiles('/pub'))
    let mode: 'busy' | 'broken' | 'ok' = 'busy'
    const seen: Array<{ at: number; mode: string }> = []
    await testHttpServer(net.host('10.0.0.9'), 80, (req: SeenRequest): TestReply => {
      seen.push({ at: Date.now(), mode })
      if (mode === 'busy') return { status: 503, headers: { 'Retry-After': '2' }, body: 'busy' }
      if (mode === 'broken') return { status: 500, body: 'oops' }
      return ok(req)
    })
    const torrent = await createTorrent({
      name: NAME,
      pieceLength: PIECE,
      files: FILES,
      urlList: ['http://10.0.0.9/pub/'],
    })
    const { e } = await leech(net)
    const t = await e.add({ torrentFile: torrent })
    await until('first answer', () => seen.length >= 1)
    await until('backing off', () => webRow(t, 'http://10.0.0.9/pub/')?.webSeed?.state === 'backoff')
    const row = webRow(t, 'http://10.0.0.9/pub/')!
    expect(row.webSeed!.error).toMatch(/HTTP 503/)
    expect(row.webSeed!.retryInSec).toBeGreaterThan(0)
    expect(row.webSeed!.retryInSec).toBeLessThanOrEqual(2)
    mode = 'broken'
    // the first requests (two at once) all answered 503: one backoff
    const firstBatch = seen.length
    await until('asked again', () => seen.length > firstBatch, 10_000)
    // Retry-After: 2 was honoured (the tick is 1 s, so at most ~1 s late)
    expect(seen[firstBatch]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1900)
    await until(
      'backing off after the 500',
      () => webRow(t, 'http://10.0.0.9/pub/')?.webSeed?.error?.includes('500') ?? false,
    )
    // no Retry-After now: the second failure waits 10 s (5 s doubled)
    expect(webRow(t, 'http://10.0.0.9/pub/')!.webSeed!.retryInSec).toBeGreaterThan(5)
    const asked = seen.length
    await new Promise((r) => setTimeout(r, 1500))
    expect(seen.length, 'nothing asked while backing off').toBe(asked)
    expect(t.isComplete()).toBe(false)
  })

  it('asks nothing of web seeds while the setting is off, and starts when it is turned on', async () => {
    const net = new MemoryNetwork()
    const srv = await testHttpServer(net.host('10.0.0.9'), 80, staticFiles(serverFiles('/pub')))
    const torrent = await createTorrent({
      name: NAME,
      pieceLength: PIECE,
      files: FILES,
      urlList: ['http://10.0.0.9/pub/'],
    })
    const { e, files } = await leech(net, { webSeeds: false })
    const t = await e.add({ torrentFile: torrent })
    await new Promise((r) => setTimeout(r, 2500))
    expect(srv.requests.length).toBe(0)
    expect(webRow(t, 'http://10.0.0.9/pub/')!.webSeed!.state).toBe('stopped')
    await e.setSettings({ webSeeds: true })
    await until('download complete', () => t.isComplete())
    expectFiles(files)
  })

  it('keeps web seeds within the download rate limit', async () => {
    const net = new MemoryNetwork()
    await testHttpServer(net.host('10.0.0.9'), 80, staticFiles(serverFiles('/pub')))
    const torrent = await createTorrent({
      name: NAME,
      pieceLength: PIECE,
      files: FILES,
      urlList: ['http://10.0.0.9/pub/'],
    })
    const total = FILES.reduce((n, f) => n + f.data.length, 0)
    const limit = 200 * 1024
    const { e, files } = await leech(net, { downloadRateLimit: limit })
    const started = Date.now()
    const t = await e.add({ torrentFile: torrent })
    await until('download complete', () => t.isComplete())
    // one second of burst, then the rate: (493 KB - 200 KiB) / 200 KiB/s ≈ 1.4 s at least
    expect(Date.now() - started).toBeGreaterThanOrEqual(((total - limit) / limit) * 1000 - 100)
    expectFiles(files)
  })

  it('a magnet added again with ws= gives a running torrent that web seed', async () => {
    const net = new MemoryNetwork()
    const torrent = await createTorrent({ name: NAME, pieceLength: PIECE, files: FILES })
    const meta = await parseMetainfo(torrent)
    const srv = await testHttpServer(net.host('10.0.0.9'), 80, staticFiles(serverFiles('/m')))
    const { e, files } = await leech(net)
    const t = await e.add({ torrentFile: torrent })
    await new Promise((r) => setTimeout(r, 1200))
    expect(srv.requests.length).toBe(0)
    const again = await e.addWithReport({
      magnet: `magnet:?xt=urn:btih:${meta.infoHash}&ws=${encodeURIComponent('http://10.0.0.9/m/')}`,
    })
    expect(again.alreadyAdded).toBe(true)
    await until('download complete', () => t.isComplete())
    expectFiles(files)
  })

  it('web seeds merged by adding a magnet again survive a restart', async () => {
    const net = new MemoryNetwork()
    const torrent = await createTorrent({ name: NAME, pieceLength: PIECE, files: FILES })
    const meta = await parseMetainfo(torrent)
    const srv = await testHttpServer(net.host('10.0.0.9'), 80, staticFiles(serverFiles('/m')))
    const state = new MemoryStateStore()
    const first = await leech(net, {}, new MemoryFilePort(), state)
    await first.e.add({ torrentFile: torrent, paused: true })
    const again = await first.e.addWithReport({
      magnet: `magnet:?xt=urn:btih:${meta.infoHash}&ws=${encodeURIComponent('http://10.0.0.9/m/')}`,
    })
    expect(again.alreadyAdded).toBe(true)
    await first.e.stop()
    expect(srv.requests.length).toBe(0)
    const second = await leech(net, {}, first.files, state)
    const t = second.e.getTorrent(meta.infoHash)!
    expect(t.webSeeds.count).toBe(1)
    await second.e.startTorrent(meta.infoHash)
    await until('download complete', () => t.isComplete())
    expectFiles(second.files)
    expect(srv.requests.length).toBeGreaterThan(0)
  })

  it('takes magnet ws= web seeds once the metadata is known', async () => {
    const net = new MemoryNetwork()
    const torrent = await createTorrent({ name: NAME, pieceLength: PIECE, files: FILES })
    const meta = await parseMetainfo(torrent)
    await testHttpServer(net.host('10.0.0.9'), 80, staticFiles(serverFiles('/m')))
    const { e, files } = await leech(net)
    // the .torrent restored with its magnet (as a restart does): the link's ws= joins the url-list
    const magnet = `magnet:?xt=urn:btih:${meta.infoHash}&ws=${encodeURIComponent('http://10.0.0.9/m/')}`
    const t = await e.add({ torrentFile: torrent, magnet })
    await until('download complete', () => t.isComplete())
    expectFiles(files)
  })
})
