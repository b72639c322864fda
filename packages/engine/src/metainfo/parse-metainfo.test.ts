import { describe, expect, it } from 'vitest'
import { parseMetainfo } from './parse-metainfo.ts'
import {
  DEFAULT_METAINFO_LIMITS,
  MAX_PATH_BYTES,
  MAX_PATH_COMPONENTS,
  MAX_TORRENT_FILE_BYTES,
  MAX_TORRENT_VALUES,
} from './metainfo-limits.ts'
import { parseInfoDictionary, pieceHash, pieceSize } from './parse-info.ts'
import { createTorrent } from './create-torrent.ts'
import { MetainfoError } from './metainfo-error.ts'
import { LT_HYBRID, LT_V1, LT_V2 } from './lt-fixtures.ts'
import { encodeBencode, type BDict } from '../util/bencode.ts'
import { concatBytes, utf8Encode } from '../util/bytes.ts'
import { sha1 } from '../util/sha1.ts'
import { toHex } from '../util/hex.ts'

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0))
const enc = utf8Encode

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return e instanceof MetainfoError ? e.code : `other:${String(e)}`
  }
  return 'ok'
}

function torrentWith(info: BDict, extra: BDict = {}): Uint8Array {
  return encodeBencode({ announce: enc('http://t/announce'), ...extra, info })
}
const baseInfo = (): BDict => ({ name: enc('x'), 'piece length': 16384, pieces: new Uint8Array(20), length: 100 })

describe('parseMetainfo on libtorrent-made torrents', () => {
  it('v1 multi-file: same info-hash, files, offsets and trackers as libtorrent', async () => {
    const m = await parseMetainfo(b64(LT_V1))
    expect(m.infoHash).toBe('80851949d65a2e74f6c1c1a5c0eca65c451cf846')
    expect(toHex(m.infoHashBytes)).toBe(m.infoHash)
    expect(m.name).toBe('data')
    expect(m.pieceLength).toBe(16384)
    expect(m.pieceCount).toBe(4)
    expect(m.length).toBe(56385)
    expect(m.files.map((f) => [f.path, f.length, f.offset])).toEqual([
      ['data/empty.txt', 0, 0],
      ['data/sub/a b.dat', 16385, 0],
      ['data/Музыка/日本語 フォルダ/трек 1.bin', 40000, 16385],
    ])
    expect(m.files[2].pathComponents).toEqual(['data', 'Музыка', '日本語 フォルダ', 'трек 1.bin'])
    expect(m.announceTiers).toEqual([['http://127.0.0.1:8000/announce']])
    expect(m.private).toBe(false)
    expect(toHex(await sha1(m.infoBytes))).toBe(m.infoHash)
    expect(pieceSize(m, 3)).toBe(56385 - 3 * 16384)
    expect(pieceHash(m, 1)).toHaveLength(20)
  })
  it('hybrid v1/v2: uses the v1 part, marks BEP 47 padding files, reads tiers and comment', async () => {
    const m = await parseMetainfo(b64(LT_HYBRID))
    expect(m.infoHash).toBe('d3c57152dfffec6882294dc1da18e3af84ef6d97')
    expect(m.files.map((f) => [f.path, f.length, f.offset, !!f.padding])).toEqual([
      ['data/empty.txt', 0, 0, false],
      ['data/sub/a b.dat', 16385, 0, false],
      ['data/.pad/16383', 16383, 16385, true],
      ['data/Музыка/日本語 フォルダ/трек 1.bin', 40000, 32768, false],
      ['data/.pad/9152', 9152, 72768, true],
    ])
    expect(m.pieceCount).toBe(5)
    expect(m.announceTiers).toEqual([['http://127.0.0.1:8000/announce'], ['udp://127.0.0.1:8001/announce']])
    expect(m.comment).toBe('fixture')
    expect(typeof m.creationDate).toBe('number')
  })
  it('pure v2: a clear v2-only error', async () => {
    expect(await errorCode(parseMetainfo(b64(LT_V2)))).toBe('v2-only')
  })
})

describe('parseMetainfo', () => {
  it('hashes the info bytes as written, even with unsorted keys', async () => {
    const info = enc(`d6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces20:${'a'.repeat(20)}e`)
    const unsorted = enc(`d4:name1:x6:lengthi5e12:piece lengthi16384e6:pieces20:${'a'.repeat(20)}e`)
    const m1 = await parseMetainfo(concatBytes([enc('d4:info'), info, enc('e')]))
    const m2 = await parseMetainfo(concatBytes([enc('d4:info'), unsorted, enc('e')]))
    expect(m1.infoHash).toBe(toHex(await sha1(info)))
    expect(m2.infoHash).toBe(toHex(await sha1(unsorted)))
    expect(m1.infoHash).not.toBe(m2.infoHash)
    expect(m1.announceTiers).toEqual([])
  })
  it('round-trips createTorrent output (single and multi-file)', async () => {
    const data = new Uint8Array(50_000).map((_, i) => (i * 7) & 255)
    const single = await parseMetainfo(
      await createTorrent({
        name: 'one.bin',
        files: [{ path: 'one.bin', data }],
        pieceLength: 16384,
        announce: 'udp://t:1/announce',
      }),
    )
    expect(single.files).toEqual([{ path: 'one.bin', pathComponents: ['one.bin'], length: 50_000, offset: 0 }])
    expect(single.pieceCount).toBe(4)
    expect(pieceHash(single, 0)).toEqual(await sha1(data.subarray(0, 16384)))
    const multi = await parseMetainfo(
      await createTorrent({
        name: 'd',
        files: [
          { path: 'a/1', data },
          { path: 'b', length: 10 },
        ],
        pieceLength: 32768,
        announce: [['http://a/announce', 'http://b/announce'], ['udp://c:1']],
        private: true,
      }),
    )
    expect(multi.files.map((f) => [f.path, f.offset])).toEqual([
      ['d/a/1', 0],
      ['d/b', 50_000],
    ])
    expect(multi.announceTiers).toEqual([['http://a/announce', 'http://b/announce'], ['udp://c:1']])
    expect(multi.private).toBe(true)
    const info = await parseInfoDictionary(multi.infoBytes)
    expect(info.infoHash).toBe(multi.infoHash)
  })
  it('prefers name.utf-8 / path.utf-8 and decodes invalid UTF-8 with U+FFFD', async () => {
    const info: BDict = {
      ...baseInfo(),
      name: new Uint8Array([0x61, 0xff]),
      'name.utf-8': enc('Имя'),
    }
    delete info.length
    info.files = [
      { length: 100, path: [new Uint8Array([0xc3])], 'path.utf-8': [enc('файл')] },
      { length: 0, path: [new Uint8Array([0x62, 0xfe])] },
    ]
    const m = await parseMetainfo(torrentWith(info))
    expect(m.files.map((f) => f.path)).toEqual(['Имя/файл', 'Имя/b\uFFFD'])
  })
  it('sanitizes hostile paths instead of escaping the download folder', async () => {
    const info: BDict = { ...baseInfo(), name: enc('..') }
    delete info.length
    info.files = [{ length: 100, path: [enc('..'), enc('..'), enc('etc'), enc('CON')] }]
    const m = await parseMetainfo(torrentWith(info))
    expect(m.name).toBe(m.infoHash)
    expect(m.files[0].path).toBe(`${m.infoHash}/etc/CON_`)
  })
  it('BEP 12: announce-list wins over announce; tiers de-duplicated; flat lists tolerated', async () => {
    const m = await parseMetainfo(
      torrentWith(baseInfo(), { 'announce-list': [[enc('http://a'), enc('http://a')], [enc(' ')], enc('udp://b:1')] }),
    )
    expect(m.announceTiers).toEqual([['http://a'], ['udp://b:1']])
    const m2 = await parseMetainfo(
      torrentWith(baseInfo(), { 'url-list': enc('http://seed/x'), 'created by': enc('me 1.0') }),
    )
    expect(m2.createdBy).toBe('me 1.0')
    expect(m2.announceTiers).toEqual([['http://t/announce']])
    expect(m2.urlList).toEqual(['http://seed/x'])
  })
  it('rejects malformed torrents with typed errors', async () => {
    const cases: Array<[string, Uint8Array]> = [
      ['bencode', enc('d4:infod')],
      ['bencode', enc('garbage')],
      ['bad-type', enc('li1ee')],
      ['missing-key', encodeBencode({ announce: enc('x') })],
      ['bad-type', encodeBencode({ info: [1] })],
      ['bad-pieces', torrentWith({ ...baseInfo(), pieces: new Uint8Array(21) })],
      ['bad-pieces', torrentWith({ ...baseInfo(), length: 16385 })],
      ['bad-pieces', torrentWith({ ...baseInfo(), pieces: new Uint8Array(40) })],
      ['bad-value', torrentWith({ ...baseInfo(), length: -1 })],
      ['bad-value', torrentWith({ ...baseInfo(), length: 0, pieces: new Uint8Array(0) })],
      ['bad-value', torrentWith({ ...baseInfo(), 'piece length': 0 })],
      ['bad-type', torrentWith({ ...baseInfo(), 'piece length': enc('16384') })],
      ['bad-type', torrentWith({ ...baseInfo(), length: enc('100') })],
      ['missing-key', torrentWith({ name: enc('x'), 'piece length': 16384, pieces: new Uint8Array(20) })],
      ['missing-key', torrentWith({ name: enc('x'), 'piece length': 16384, length: 1 })],
      ['missing-key', torrentWith({ 'piece length': 16384, pieces: new Uint8Array(20), length: 1 })],
      ['bad-value', torrentWith({ ...baseInfo(), files: [{ length: 100, path: [enc('a')] }] })],
      [
        'bad-type',
        torrentWith({
          name: enc('x'),
          'piece length': 16384,
          pieces: new Uint8Array(20),
          files: [{ length: 100, path: enc('a') }],
        }),
      ],
      [
        'bad-type',
        torrentWith({
          name: enc('x'),
          'piece length': 16384,
          pieces: new Uint8Array(20),
          files: [{ length: 100, path: [1] }],
        }),
      ],
      [
        'bad-path',
        torrentWith({
          name: enc('x'),
          'piece length': 16384,
          pieces: new Uint8Array(20),
          files: [{ length: 100, path: [enc('..')] }],
        }),
      ],
      [
        'duplicate-path',
        torrentWith({
          name: enc('x'),
          'piece length': 16384,
          pieces: new Uint8Array(20),
          files: [
            { length: 50, path: [enc('a:b')] },
            { length: 50, path: [enc('a?b')] },
          ],
        }),
      ],
      [
        'duplicate-path',
        torrentWith({
          name: enc('x'),
          'piece length': 16384,
          pieces: new Uint8Array(20),
          files: [
            { length: 50, path: [enc('a')] },
            { length: 50, path: [enc('a'), enc('b')] },
          ],
        }),
      ],
      [
        'bad-value',
        concatBytes([enc('d4:info'), encodeBencode(baseInfo()), enc('4:info'), encodeBencode(baseInfo()), enc('e')]),
      ],
    ]
    for (const [code, bytes] of cases)
      expect(await errorCode(parseMetainfo(bytes)), new TextDecoder().decode(bytes.subarray(0, 80))).toBe(code)
  })
  it('ignores bytes after the root dictionary', async () => {
    const t = torrentWith(baseInfo())
    const m = await parseMetainfo(concatBytes([t, enc('\n\r\n')]))
    expect(m.infoHash).toBe((await parseMetainfo(t)).infoHash)
  })
  it('caps the input size before parsing', async () => {
    expect(await errorCode(parseMetainfo(new Uint8Array(MAX_TORRENT_FILE_BYTES + 1)))).toBe('too-large')
  })
  it('parseInfoDictionary rejects trailing garbage and non-dictionaries', async () => {
    expect(await errorCode(parseInfoDictionary(concatBytes([encodeBencode(baseInfo()), enc('x')])))).toBe('bencode')
    expect(await errorCode(parseInfoDictionary(enc('i1e')))).toBe('bad-type')
    expect((await parseInfoDictionary(encodeBencode(baseInfo()))).length).toBe(100)
  })
})

describe('metainfo limits', () => {
  const multi = (files: BDict[]): BDict => ({
    name: enc('x'),
    'piece length': 16384,
    pieces: new Uint8Array(20),
    files,
  })
  const file = (path: string[]) => ({ length: 1, path: path.map(enc) })

  it('a flood of empty strings in an unused key is too-large, refused before it is built', async () => {
    const flood = concatBytes([
      enc('d4:info'),
      encodeBencode(baseInfo()),
      enc('4:junkl'),
      enc('0:'.repeat(MAX_TORRENT_VALUES)),
      enc('ee'),
    ])
    expect(flood.length).toBeLessThan(MAX_TORRENT_FILE_BYTES)
    expect(await errorCode(parseMetainfo(flood))).toBe('too-large')
    const small = concatBytes([
      enc('d4:info'),
      encodeBencode(baseInfo()),
      enc('4:junkl'),
      enc('0:'.repeat(100)),
      enc('ee'),
    ])
    expect(await errorCode(parseMetainfo(small))).toBe('ok')
    expect(await errorCode(parseMetainfo(small, { ...DEFAULT_METAINFO_LIMITS, maxValues: 100 }))).toBe('too-large')
  })
  it('the same budget holds for an info dictionary fetched from peers', async () => {
    const info = encodeBencode({ ...baseInfo(), junk: Array.from({ length: 200 }, () => new Uint8Array(0)) })
    expect(await errorCode(parseInfoDictionary(info))).toBe('ok')
    expect(await errorCode(parseInfoDictionary(info, { ...DEFAULT_METAINFO_LIMITS, maxValues: 200 }))).toBe('too-large')
  })
  it('the parsed torrent does not keep the whole file alive through its piece hashes', async () => {
    const m = await parseMetainfo(torrentWith(baseInfo(), { comment: new Uint8Array(1 << 20).fill(0x61) }))
    expect(m.pieceHashes.buffer.byteLength).toBe(20)
  })
  it('caps the file count', async () => {
    const t = torrentWith(multi([file(['a']), file(['b']), file(['c']), file(['d'])]))
    expect(await errorCode(parseMetainfo(t, { ...DEFAULT_METAINFO_LIMITS, maxFiles: 4 }))).toBe('ok') // within the cap
    expect(await errorCode(parseMetainfo(t, { ...DEFAULT_METAINFO_LIMITS, maxFiles: 3 }))).toBe('too-large')
  })
  it('caps path depth and path length', async () => {
    const deep = Array.from({ length: MAX_PATH_COMPONENTS + 1 }, (_, i) => `d${i}`)
    expect(await errorCode(parseMetainfo(torrentWith(multi([file(deep)]))))).toBe('too-large')
    expect(await errorCode(parseMetainfo(torrentWith(multi([file(deep.slice(1))]))))).toBe('ok') // within the cap
    const long = Array.from({ length: Math.ceil(MAX_PATH_BYTES / 200) + 1 }, (_, i) => String(i).padEnd(200, 'x'))
    expect(await errorCode(parseMetainfo(torrentWith(multi([file(long)]))))).toBe('too-large')
  })
})
