import { describe, expect, it } from 'vitest'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { webCryptoHasher } from '../platform/piece-hashers.ts'
import type { PieceHasher } from '../platform/ports.ts'
import { decodeBencode, type BDict } from '../util/bencode.ts'
import { utf8Decode } from '../util/bytes.ts'
import { CreateTorrentError } from './collect-files.ts'
import { createTorrentFromFiles } from './create-torrent-files.ts'
import { CreateCancelled, type HashProgress } from './hash-pieces.ts'
import { autoPieceLength, isValidPieceLength, parsePieceLength } from './piece-length.ts'
import { testBytes as data } from '../util/test-bytes.ts'

const R = 'downloads'
const KiB = 1024
const MiB = 1024 * KiB

describe('piece length', () => {
  it('chooses as libtorrent 2.0.8 does for the same total size', () => {
    // pairs measured with python3-libtorrent 2.0.8: create_torrent(fs, 0, v1_only).piece_length()
    // for one file of (MiB + 1) bytes
    const measured: Array<[number, number]> = [
      [0.001, 16],
      [1, 16],
      [5, 32],
      [10, 32],
      [20, 64],
      [40, 64],
      [50, 128],
      [100, 128],
      [200, 256],
      [500, 256],
      [1000, 512],
      [2000, 512],
      [4000, 1024],
      [8000, 1024],
      [16000, 2048],
      [32000, 2048],
      [64000, 4096],
      [128000, 4096],
      [1_000_000, 16384],
    ]
    for (const [mb, kib] of measured) expect(autoPieceLength(Math.floor(mb * MiB) + 1), `${mb} MiB`).toBe(kib * KiB)
    // the bounds: never below 16 KiB, never above 16 MiB
    expect(autoPieceLength(1)).toBe(16 * KiB)
    expect(autoPieceLength(2 ** 50)).toBe(16 * MiB)
  })

  it('accepts powers of two from 16 KiB to 16 MiB written with units', () => {
    expect(parsePieceLength('262144')).toBe(256 * KiB)
    expect(parsePieceLength('256K')).toBe(256 * KiB)
    expect(parsePieceLength('4MiB')).toBe(4 * MiB)
    expect(parsePieceLength('1.5M')).toBeNull()
    expect(isValidPieceLength(16 * KiB)).toBe(true)
    expect(isValidPieceLength(16 * MiB)).toBe(true)
    expect(isValidPieceLength(8 * KiB)).toBe(false)
    expect(isValidPieceLength(32 * MiB)).toBe(false)
    expect(isValidPieceLength(48 * KiB)).toBe(false)
  })
})

describe('createTorrentFromFiles', () => {
  it('writes a single file as the single-file layout, keys sorted, nothing optional unless asked', async () => {
    const port = new MemoryFilePort()
    const content = data(100_000, 1)
    port.put(R, 'movie.bin', content)
    const made = await createTorrentFromFiles(port, webCryptoHasher, {
      root: R,
      path: 'movie.bin',
      pieceLength: 32 * KiB,
    })
    // the same torrent as the in-memory builder makes from the same bytes: same info-hash
    const reference = parseMetainfo(
      await createTorrent({ name: 'movie.bin', pieceLength: 32 * KiB, files: [{ path: 'movie.bin', data: content }] }),
    )
    expect(made.infoHash).toBe((await reference).infoHash)
    expect(made.pieceCount).toBe(4)
    const text = utf8Decode(made.torrentFile.subarray(0, 100))
    expect(text.startsWith('d4:infod6:lengthi100000e4:name9:movie.bin12:piece lengthi32768e6:pieces80:')).toBe(true)
    const root = decodeBencode(made.torrentFile) as BDict
    expect(Object.keys(root)).toEqual(['info'])
    expect(Object.keys(root.info as BDict)).toEqual(['length', 'name', 'piece length', 'pieces'])
  })

  it('lists a folder depth first in byte order of names, hidden and empty files included, empty folders not', async () => {
    const port = new MemoryFilePort()
    const files: Record<string, Uint8Array> = {
      'set/b.bin': data(70_000, 2),
      'set/A.txt': data(5_000, 3),
      'set/a.txt': data(9, 4),
      'set/.dot': data(7, 5),
      'set/empty.txt': new Uint8Array(0),
      'set/sub/Zed/z': data(3, 6),
      'set/sub/c.dat': data(40_000, 7),
      'set/sub2': data(300, 8),
      'set/ünï/x': data(11, 9),
    }
    for (const [p, d] of Object.entries(files)) port.put(R, p, d)
    await port.mkdir(R, 'set/nothing-here')
    const made = await createTorrentFromFiles(port, webCryptoHasher, { root: R, path: 'set', pieceLength: 16 * KiB })
    const meta = await parseMetainfo(made.torrentFile)
    expect(meta.name).toBe('set')
    expect(meta.files.map((f) => f.path)).toEqual([
      'set/.dot',
      'set/A.txt',
      'set/a.txt',
      'set/b.bin',
      'set/empty.txt',
      'set/sub/Zed/z',
      'set/sub/c.dat',
      'set/sub2',
      'set/ünï/x',
    ])
    // path lists, one component each, not '/'-joined strings
    const info = (decodeBencode(made.torrentFile) as BDict).info as BDict
    const sixth = (info.files as BDict[])[5]!
    expect((sixth.path as Uint8Array[]).map((c) => utf8Decode(c))).toEqual(['sub', 'Zed', 'z'])
    // the pieces are those of the files laid end to end in that order
    const reference = await parseMetainfo(
      await createTorrent({
        name: 'set',
        pieceLength: 16 * KiB,
        files: meta.files.map((f) => ({ path: f.path.slice('set/'.length), data: files[f.path]! })),
      }),
    )
    expect(made.infoHash).toBe(reference.infoHash)
    expect(made.totalBytes).toBe(Object.values(files).reduce((n, d) => n + d.length, 0))
  })

  it('writes the private flag, tracker tiers, web seeds, comment, creator and date when given', async () => {
    const port = new MemoryFilePort()
    port.put(R, 'f.bin', data(20_000, 1))
    const base = { root: R, path: 'f.bin', pieceLength: 16 * KiB }
    const plain = await createTorrentFromFiles(port, webCryptoHasher, base)
    const made = await createTorrentFromFiles(port, webCryptoHasher, {
      ...base,
      private: true,
      trackers: [['http://a.example/announce', 'http://b.example/announce'], ['udp://c.example:80']],
      webSeeds: ['http://w.example/f.bin', 'https://v.example/'],
      comment: 'hello',
      createdBy: 'Tidepool test',
      creationDate: 1_700_000_000,
    })
    expect(made.infoHash).not.toBe(plain.infoHash) // `private` is inside the info dictionary
    const meta = await parseMetainfo(made.torrentFile)
    expect(meta.private).toBe(true)
    expect(meta.announceTiers).toEqual([
      ['http://a.example/announce', 'http://b.example/announce'],
      ['udp://c.example:80'],
    ])
    expect(meta.urlList).toEqual(['http://w.example/f.bin', 'https://v.example/'])
    expect(meta.comment).toBe('hello')
    expect(meta.createdBy).toBe('Tidepool test')
    expect(meta.creationDate).toBe(1_700_000_000)
    const root = decodeBencode(made.torrentFile) as BDict
    expect(Object.keys(root)).toEqual([
      'announce',
      'announce-list',
      'comment',
      'created by',
      'creation date',
      'info',
      'url-list',
    ])
    expect((root.info as BDict).private).toBe(1)
    // one tracker: `announce` alone; one web seed: a string
    const one = decodeBencode(
      (
        await createTorrentFromFiles(port, webCryptoHasher, {
          ...base,
          trackers: [['http://a.example/announce']],
          webSeeds: ['http://w.example/f.bin'],
        })
      ).torrentFile,
    ) as BDict
    expect(Object.keys(one)).toEqual(['announce', 'info', 'url-list'])
    expect(utf8Decode(one['url-list'] as Uint8Array)).toBe('http://w.example/f.bin')
  })

  it('refuses bad piece sizes, bad URLs, empty data and missing paths before hashing', async () => {
    const port = new MemoryFilePort()
    port.put(R, 'f.bin', data(10, 1))
    port.put(R, 'empty/none', new Uint8Array(0))
    const go = (extra: object) => createTorrentFromFiles(port, webCryptoHasher, { root: R, path: 'f.bin', ...extra })
    await expect(go({ pieceLength: 20_000 })).rejects.toThrow(/power of two/)
    await expect(go({ trackers: [['ftp://x/announce']] })).rejects.toThrow(/tracker/)
    await expect(go({ webSeeds: ['udp://x/'] })).rejects.toThrow(/web seed/)
    await expect(go({ path: 'nope' })).rejects.toThrow(/does not exist/)
    await expect(go({ path: 'empty' })).rejects.toBeInstanceOf(CreateTorrentError)
    await expect(go({ path: '' })).rejects.toThrow(/pick a file or folder/)
  })

  it('reports progress per piece and keeps at most `inFlight` pieces in memory', async () => {
    const port = new MemoryFilePort()
    port.put(R, 'big.bin', data(20 * 16 * KiB + 5, 1))
    let inHasher = 0
    let most = 0
    const buffers = new Set<ArrayBufferLike>()
    const slow: PieceHasher = {
      async sha1(d) {
        inHasher++
        most = Math.max(most, inHasher)
        buffers.add(d.buffer)
        await new Promise((r) => setTimeout(r, 2))
        inHasher--
        return webCryptoHasher.sha1(d)
      },
    }
    const seen: HashProgress[] = []
    const made = await createTorrentFromFiles(
      port,
      slow,
      { root: R, path: 'big.bin', pieceLength: 16 * KiB },
      {
        inFlight: 3,
        onProgress: (p) => seen.push({ ...p }),
      },
    )
    expect(made.pieceCount).toBe(21)
    expect(seen).toHaveLength(21)
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.hashedBytes).toBeGreaterThan(seen[i - 1]!.hashedBytes)
    expect(seen.at(-1)).toEqual({
      hashedBytes: 20 * 16 * KiB + 5,
      totalBytes: 20 * 16 * KiB + 5,
      piecesDone: 21,
      pieceCount: 21,
    })
    expect(most).toBeLessThanOrEqual(3)
    // buffers come back from the hasher and are filled again: a few, not one per piece
    expect(buffers.size).toBeLessThanOrEqual(5)
  })

  it('stops at once when cancelled and closes what it opened', async () => {
    const port = new MemoryFilePort()
    port.put(R, 'big.bin', data(64 * 16 * KiB, 1))
    const abort = new AbortController()
    let done = 0
    const run = createTorrentFromFiles(
      port,
      webCryptoHasher,
      { root: R, path: 'big.bin', pieceLength: 16 * KiB },
      {
        signal: abort.signal,
        onProgress: (p) => {
          done = p.piecesDone
          if (p.piecesDone === 5) abort.abort()
        },
      },
    )
    await expect(run).rejects.toBeInstanceOf(CreateCancelled)
    expect(done).toBeLessThan(64)
    expect(port.openHandles).toBe(0)
  })

  it('fails when a file changes while it is hashed (its hashes would not describe it)', async () => {
    const port = new MemoryFilePort()
    port.put(R, 'set/a.bin', data(40_000, 1), 1000)
    port.put(R, 'set/b.bin', data(40_000, 2), 1000)
    let touched = false
    const meddling: PieceHasher = {
      async sha1(d) {
        if (!touched) {
          touched = true
          port.put(R, 'set/b.bin', data(40_000, 3), 2000) // same size, new mtime
        }
        return webCryptoHasher.sha1(d)
      },
    }
    await expect(
      createTorrentFromFiles(port, meddling, { root: R, path: 'set', pieceLength: 16 * KiB }),
    ).rejects.toThrow(/changed while hashing/)
  })

  it('reads a piece made of thousands of small files a few files at a time', async () => {
    let most = 0
    const port: MemoryFilePort = new MemoryFilePort({
      fault: (op) => {
        if (op === 'read') most = Math.max(most, port.openHandles)
        return null
      },
    })
    const contents: Uint8Array[] = []
    for (let i = 0; i < 3000; i++) {
      const d = data(7 + (i % 5), i + 1)
      contents.push(d)
      port.put(R, `tiny/${String(i).padStart(4, '0')}.txt`, d)
    }
    const made = await createTorrentFromFiles(port, webCryptoHasher, { root: R, path: 'tiny', pieceLength: 16 * KiB })
    const reference = await parseMetainfo(
      await createTorrent({
        name: 'tiny',
        pieceLength: 16 * KiB,
        files: contents.map((d, i) => ({ path: `${String(i).padStart(4, '0')}.txt`, data: d })),
      }),
    )
    expect(made.infoHash).toBe(reference.infoHash)
    expect(most).toBeGreaterThan(1)
    expect(most).toBeLessThanOrEqual(16 + 8) // the span limit, plus files left open across pieces
    expect(port.openHandles).toBe(0)
  })

  it('names a file it cannot open (a symbolic link the daemon refuses)', async () => {
    const port = new MemoryFilePort({
      fault: (op, _root, path) => (op === 'open' && path === 'set/link' ? 'bad-path' : null),
    })
    port.put(R, 'set/a.bin', data(100, 1))
    port.put(R, 'set/link', data(10, 2))
    await expect(createTorrentFromFiles(port, webCryptoHasher, { root: R, path: 'set' })).rejects.toThrow(
      'cannot read set/link: a symbolic link or a path outside the folder',
    )
    expect(port.openHandles).toBe(0)
  })

  it('passes hashing failures on', async () => {
    const port = new MemoryFilePort()
    port.put(R, 'f.bin', data(100_000, 1))
    const broken: PieceHasher = { sha1: async () => Promise.reject(new Error('worker died')) }
    await expect(createTorrentFromFiles(port, broken, { root: R, path: 'f.bin' })).rejects.toThrow('worker died')
  })
})
