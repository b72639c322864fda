import { describe, expect, it } from 'vitest'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import { parseMagnet } from '../magnet/parse-magnet.ts'
import { PiecePicker } from '../picker/piece-picker.ts'
import { Backoff, retryAfterMs } from './webseed-backoff.ts'
import { fileSpans, groupRuns, splitRun } from './webseed-plan.ts'
import { pickRun } from './run-picker.ts'
import { bep17Url, bep19FileUrl, encodeSegment, webSeedSources } from './webseed-url.ts'

const AWKWARD = ['dir with space', 'naïve #1 100%', 'ünï ☃ ?x&y=z.bin']

async function multiFile() {
  return parseMetainfo(
    await createTorrent({
      name: 'My Set #2',
      pieceLength: 16 * 1024,
      files: [
        { path: `${AWKWARD[0]}/${AWKWARD[1]}`, length: 20_000 },
        { path: AWKWARD[2]!, length: 5 },
      ],
      urlList: ['http://mirror.example/pub/', 'ftp://x/ignored'],
      httpSeeds: ['http://seed.example/seed.php?key=1'],
    }),
  )
}

describe('web seed URLs', () => {
  it('BEP 19 single file: the URL is the file, or its folder when it ends in /', async () => {
    const info = await parseMetainfo(
      await createTorrent({ name: 'a b#%.iso', pieceLength: 16384, files: [{ path: 'a b#%.iso', length: 10 }] }),
    )
    expect(bep19FileUrl('http://h/dl/other-name.iso', info, 0)).toBe('http://h/dl/other-name.iso')
    expect(bep19FileUrl('http://h/dl/', info, 0)).toBe('http://h/dl/a%20b%23%25.iso')
  })

  it('BEP 19 multi-file: URL + name + path, each segment percent-encoded as UTF-8', async () => {
    const info = await multiFile()
    expect(bep19FileUrl('http://mirror.example/pub/', info, 0)).toBe(
      'http://mirror.example/pub/My%20Set%20%232/dir%20with%20space/na%C3%AFve%20%231%20100%25',
    )
    // a base without the final slash is a folder too
    expect(bep19FileUrl('http://mirror.example/pub', info, 1)).toBe(
      'http://mirror.example/pub/My%20Set%20%232/%C3%BCn%C3%AF%20%E2%98%83%20%3Fx%26y%3Dz.bin',
    )
    // what a server decodes is the name again
    for (const s of AWKWARD) expect(decodeURIComponent(encodeSegment(s))).toBe(s)
    expect(encodeSegment("it's (1)*!")).toBe('it%27s%20%281%29%2A%21')
  })

  it('BEP 17: info_hash percent-encoded, piece, inclusive ranges, an existing query kept', async () => {
    const hash = new Uint8Array(20).fill(0xab)
    hash[0] = 0x41
    expect(bep17Url('http://s/seed.php', hash, 3)).toBe(`http://s/seed.php?info_hash=A${'%AB'.repeat(19)}&piece=3`)
    expect(bep17Url('http://s/seed.php?k=1', hash, 8, [{ begin: 49152, length: 81920 }])).toBe(
      `http://s/seed.php?k=1&info_hash=A${'%AB'.repeat(19)}&piece=8&ranges=49152-131071`,
    )
  })

  it('the torrent, the magnet and the engine agree on which web seeds there are', async () => {
    const meta = await multiFile()
    expect(meta.urlList).toEqual(['http://mirror.example/pub/', 'ftp://x/ignored'])
    expect(meta.httpSeeds).toEqual(['http://seed.example/seed.php?key=1'])
    expect(webSeedSources(meta.urlList, meta.httpSeeds)).toEqual([
      { url: 'http://mirror.example/pub/', kind: 'url-list' },
      { url: 'http://seed.example/seed.php?key=1', kind: 'httpseeds' },
    ])
    const m = parseMagnet(
      `magnet:?xt=urn:btih:${meta.infoHash}&ws=${encodeURIComponent('https://m.example/a b/')}&ws=http%3A%2F%2Fm.example%2F&ws=http%3A%2F%2Fm.example%2F`,
    )
    expect(webSeedSources(m.webSeeds)).toEqual([
      { url: 'https://m.example/a b/', kind: 'url-list' },
      { url: 'http://m.example/', kind: 'url-list' },
    ])
  })
})

describe('piece runs', () => {
  it('groups blocks into adjacent runs and splits the bytes back', () => {
    const runs = groupRuns(
      [
        { piece: 2, begin: 0, length: 16384 },
        { piece: 1, begin: 16384, length: 16384 },
        { piece: 5, begin: 0, length: 16384 },
        { piece: 1, begin: 0, length: 16384 },
      ],
      32768,
    )
    expect(runs.map((r) => [r.start, r.length])).toEqual([
      [32768, 49152],
      [163840, 16384],
    ])
    const bytes = new Uint8Array(49152).map((_, i) => i >> 14)
    const blocks = splitRun(runs[0]!, bytes, 32768)
    expect(blocks.map((b) => [b.piece, b.begin, b.data[0]])).toEqual([
      [1, 0, 0],
      [1, 16384, 1],
      [2, 0, 2],
    ])
  })

  it('maps a run to file spans, across files, skipping empty files, marking padding', () => {
    const layout = {
      pieceLength: 16,
      pieceCount: 3,
      length: 40,
      pieceHashes: new Uint8Array(60),
      files: [
        { path: 'a', length: 10, offset: 0 },
        { path: 'empty', length: 0, offset: 10 },
        { path: '.pad/6', length: 6, offset: 10, padding: true },
        { path: 'b', length: 24, offset: 16 },
      ],
    }
    expect(fileSpans(layout, 4, 30)).toEqual([
      { file: 0, fileOffset: 4, runOffset: 0, length: 6, padding: false },
      { file: 2, fileOffset: 0, runOffset: 6, length: 6, padding: true },
      { file: 3, fileOffset: 0, runOffset: 12, length: 18, padding: false },
    ])
    expect(() => fileSpans(layout, 30, 11)).toThrow(RangeError)
  })

  it('asks the picker for a run of whole adjacent pieces, then stops at a piece someone else is fetching', () => {
    const picker = new PiecePicker({
      pieceCount: 40,
      pieceLength: 32768,
      totalLength: 40 * 32768,
      randomFirstPieces: 0,
    })
    picker.addSeed('web')
    picker.addSeed('peer')
    const first = pickRun(picker, 'web', 4 * 32768)
    const pieces = [...new Set(first.map((b) => b.piece))]
    expect(first.length).toBe(8) // 4 whole pieces of 2 blocks
    expect(pieces.length).toBe(4)
    expect(groupRuns(first, 32768).length).toBe(1) // one range
    // a peer holds a block of the piece after the next run's first piece: the run ends before it
    const peerBlocks = picker.pickBlocks('peer', { has: () => true }, 1)
    const taken = peerBlocks[0]!.piece
    const second = pickRun(picker, 'web', 40 * 32768)
    expect(second.every((b) => b.piece !== taken || b.begin !== peerBlocks[0]!.begin)).toBe(true)
    for (const run of groupRuns(second, 32768)) expect(run.length % 16384).toBe(0)
  })

  it('gives back blocks of pieces it may not take (a suspect piece retried by another sender)', () => {
    const picker = new PiecePicker({ pieceCount: 4, pieceLength: 16384, totalLength: 4 * 16384, randomFirstPieces: 0 })
    picker.addSeed('web')
    const got = pickRun(picker, 'web', 4 * 16384, (p) => p !== 1)
    expect(got.map((b) => b.piece).includes(1)).toBe(false)
    picker.addSeed('peer')
    expect(picker.pickBlocks('peer', { has: (p) => p === 1 }, 1).map((b) => b.piece)).toEqual([1])
  })
})

describe('backoff', () => {
  it('doubles from 5 s up to 10 min and resets on success', () => {
    const b = new Backoff()
    const delays = Array.from({ length: 10 }, () => b.fail(0))
    expect(delays).toEqual([5, 10, 20, 40, 80, 160, 320, 600, 600, 600].map((s) => s * 1000))
    expect(b.ready(599_999)).toBe(false)
    expect(b.ready(600_000)).toBe(true)
    b.succeed()
    expect(b.fail(0)).toBe(5000)
  })

  it('honours Retry-After (seconds or a date) and a BEP 17 503 body, within an hour', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(retryAfterMs('120', now)).toBe(120_000)
    expect(retryAfterMs('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000)
    expect(retryAfterMs(undefined, now, ' 30\n')).toBe(30_000)
    expect(retryAfterMs('soon', now, 'busy')).toBeUndefined()
    const b = new Backoff()
    expect(b.fail(0, 120_000)).toBe(120_000)
    expect(b.fail(0, 10 * 3600_000)).toBe(3600_000)
  })
})
