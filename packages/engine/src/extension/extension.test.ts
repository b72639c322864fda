import { describe, expect, it } from 'vitest'
import { decodeExtendedHandshake, encodeExtendedHandshake, type ExtendedHandshake } from './extended-handshake.ts'
import { ExtensionError } from './extension-error.ts'
import { MetadataAssembler } from './metadata-assembler.ts'
import {
  decodeMetadataMessage,
  encodeMetadataMessage,
  metadataPieceCount,
  serveMetadataRequest,
  METADATA_PIECE_SIZE,
  type MetadataMessage,
} from './ut-metadata.ts'
import { encodeBencode } from '../util/bencode.ts'
import { concatBytes, utf8Encode } from '../util/bytes.ts'
import { sha1 } from '../util/sha1.ts'

const enc = utf8Encode

describe('BEP 10 extended handshake', () => {
  it('round-trips every field', () => {
    const h: ExtendedHandshake = {
      m: { ut_metadata: 3, ut_pex: 1, lt_donthave: 0 },
      v: 'Tidepool 0.1 ✓',
      p: 6881,
      reqq: 500,
      metadataSize: 31337,
      yourIp: '203.0.113.5',
      ipv4: '198.51.100.1',
      ipv6: '2001:db8::1',
      completeAgo: -1,
      uploadOnly: true,
    }
    expect(decodeExtendedHandshake(encodeExtendedHandshake(h))).toEqual(h)
    const v6 = decodeExtendedHandshake(encodeExtendedHandshake({ m: {}, yourIp: '::1' }))
    expect(v6).toEqual({ m: {}, yourIp: '::1' })
  })
  it('reads a libtorrent-style handshake and ignores mistyped optional fields', () => {
    const payload = encodeBencode({
      m: { ut_metadata: 2, ut_pex: 1, bad: enc('x'), neg: -1, big: 300 },
      v: enc('libtorrent/2.0.8'),
      p: 0,
      reqq: enc('500'),
      metadata_size: -5,
      yourip: new Uint8Array(5),
      upload_only: 0,
      e: 0,
    } as never)
    expect(decodeExtendedHandshake(payload)).toEqual({
      m: { ut_metadata: 2, ut_pex: 1 },
      v: 'libtorrent/2.0.8',
      uploadOnly: false,
    })
  })
  it('rejects non-dictionaries, a mistyped m, garbage and deep nesting', () => {
    for (const bad of [
      enc('li1ee'),
      encodeBencode({ m: [1] } as never),
      enc('d1:m'),
      enc('x'),
      enc(`d1:ml${'l'.repeat(40)}${'e'.repeat(41)}e`),
    ])
      expect(() => decodeExtendedHandshake(bad)).toThrow(ExtensionError)
    expect(decodeExtendedHandshake(encodeBencode({}))).toEqual({ m: {} })
  })
  it('a __proto__ key in m does not pollute anything', () => {
    const h = decodeExtendedHandshake(enc('d1:md9:__proto__i5e11:ut_metadatai3eee'))
    expect(h.m.ut_metadata).toBe(3)
    expect(({} as Record<string, unknown>).ut_metadata).toBeUndefined()
  })
})

describe('BEP 9 ut_metadata codec', () => {
  it('round-trips request, reject and data', () => {
    const msgs: MetadataMessage[] = [
      { type: 'request', piece: 0 },
      { type: 'reject', piece: 7 },
      { type: 'data', piece: 1, totalSize: METADATA_PIECE_SIZE + 10, data: new Uint8Array(10).fill(9) },
      { type: 'data', piece: 0, totalSize: 40_000, data: new Uint8Array(METADATA_PIECE_SIZE).fill(1) },
    ]
    for (const m of msgs) expect(decodeMetadataMessage(encodeMetadataMessage(m))).toEqual(m)
  })
  it('finds the data after the dictionary even when the data looks like bencode', () => {
    const data = enc(`d8:msg_typei2ee${'x'.repeat(5)}`)
    const m = decodeMetadataMessage(encodeMetadataMessage({ type: 'data', piece: 0, totalSize: data.length, data }))
    expect(m).toEqual({ type: 'data', piece: 0, totalSize: data.length, data })
  })
  it('rejects hostile messages', () => {
    const bad = [
      encodeBencode({ msg_type: 3, piece: 0 }),
      encodeBencode({ msg_type: 0 }),
      encodeBencode({ msg_type: 0, piece: -1 }),
      encodeBencode({ msg_type: 0, piece: 100_000 }),
      concatBytes([encodeBencode({ msg_type: 0, piece: 0 }), enc('junk')]),
      concatBytes([encodeBencode({ msg_type: 1, piece: 0, total_size: 100 }), new Uint8Array(99)]),
      concatBytes([encodeBencode({ msg_type: 1, piece: 1, total_size: 100 }), new Uint8Array(100)]),
      concatBytes([
        encodeBencode({ msg_type: 1, piece: 0, total_size: 9 * 1024 * 1024 }),
        new Uint8Array(METADATA_PIECE_SIZE),
      ]),
      concatBytes([encodeBencode({ msg_type: 1, piece: 0 }), new Uint8Array(10)]),
      enc('l1:ae'),
      enc('d8:msg_type'),
    ]
    for (const b of bad) expect(() => decodeMetadataMessage(b)).toThrow(ExtensionError)
  })
  it('serves pieces of our info dictionary and rejects what we lack', () => {
    const info = new Uint8Array(40_000).map((_, i) => i & 255)
    expect(serveMetadataRequest(info, 2)).toEqual({
      type: 'data',
      piece: 2,
      totalSize: 40_000,
      data: info.subarray(32768),
    })
    expect(serveMetadataRequest(info, 3)).toEqual({ type: 'reject', piece: 3 })
    expect(serveMetadataRequest(null, 0)).toEqual({ type: 'reject', piece: 0 })
  })
})

describe('MetadataAssembler', () => {
  const info = encodeBencode({
    name: enc('x'),
    'piece length': 16384,
    pieces: new Uint8Array(20 * 2000),
    length: 16384 * 2000,
  })
  const pieces = metadataPieceCount(info.length)
  const piece = (i: number) => info.subarray(i * METADATA_PIECE_SIZE, (i + 1) * METADATA_PIECE_SIZE)

  it('spreads requests over peers, times out stalled ones, and completes when the hash matches', async () => {
    expect(pieces).toBe(3)
    const a = new MetadataAssembler(await sha1(info), { perPeer: 2, requestTimeoutMs: 1000 })
    expect(a.nextRequest('A', 0)).toBeNull() // size unknown
    expect(a.setSize(info.length)).toBe(true)
    expect(a.setSize(info.length + 1)).toBe(false)
    expect([a.nextRequest('A', 0), a.nextRequest('A', 0), a.nextRequest('A', 0)]).toEqual([0, 1, null])
    expect(a.nextRequest('B', 500)).toBe(2)
    expect(a.nextRequest('C', 999)).toBeNull()
    expect([a.nextRequest('C', 1000), a.nextRequest('C', 1000), a.nextRequest('C', 1000)]).toEqual([0, 1, null]) // A's requests timed out
    expect(a.nextRequest('D', 1000)).toBeNull()
    a.peerGone('B')
    expect(a.nextRequest('D', 1000)).toBe(2)
    expect(await a.onData('A', 0, info.length, piece(0))).toEqual({ status: 'progress', have: 1, total: 3 })
    expect(await a.onData('A', 0, info.length, piece(0))).toEqual({ status: 'ignored' })
    expect(await a.onData('A', 1, info.length, piece(1).subarray(1))).toEqual({ status: 'ignored' })
    expect(await a.onData('A', 1, info.length, piece(1))).toEqual({ status: 'progress', have: 2, total: 3 })
    const r = await a.onData('C', 2, info.length, piece(2))
    expect(r).toEqual({ status: 'done', infoBytes: info })
    expect(a.done).toBe(true)
    expect(a.nextRequest('A', 5000)).toBeNull()
  })
  it('starts over on a hash mismatch and names the peers that sent pieces', async () => {
    const a = new MetadataAssembler(await sha1(info))
    a.setSize(info.length)
    await a.onData('good', 0, info.length, piece(0))
    await a.onData('evil', 1, info.length, new Uint8Array(METADATA_PIECE_SIZE).fill(0xff))
    const r = await a.onData('good', 2, info.length, piece(2))
    expect(r.status).toBe('bad')
    expect(r.status === 'bad' && r.peers.sort()).toEqual(['evil', 'good'])
    expect(a.size).toBeNull()
    expect(a.progress()).toEqual({ have: 0, total: 0 })
    for (let i = 0; i < 3; i++) await a.onData('good', i, info.length, piece(i))
    expect(a.done).toBe(true)
  })
  it('caps the size and lets real data override a lying handshake size', async () => {
    const a = new MetadataAssembler(await sha1(info), { maxSize: 1024 * 1024 })
    expect(a.setSize(2 * 1024 * 1024)).toBe(false)
    expect(a.setSize(0)).toBe(false)
    expect(a.setSize(123)).toBe(true) // a liar's handshake
    expect((await a.onData('honest', 0, info.length, piece(0))).status).toBe('progress')
    expect(a.size).toBe(info.length)
  })
})

describe('ut_metadata end to end (codec + serving + assembler)', () => {
  it('fetches a real info dictionary from two serving peers through encoded messages', async () => {
    const { createTorrent } = await import('../metainfo/create-torrent.ts')
    const { parseMetainfo } = await import('../metainfo/parse-metainfo.ts')
    const { parseInfoDictionary } = await import('../metainfo/parse-info.ts')
    const files = Array.from({ length: 1000 }, (_, i) => ({ path: `dir ${i % 7}/файл ${i}.bin`, length: 1000 + i }))
    const meta = await parseMetainfo(await createTorrent({ name: 'many', files, pieceLength: 16384 }))
    expect(meta.infoBytes.length).toBeGreaterThan(2 * METADATA_PIECE_SIZE)
    const a = new MetadataAssembler(meta.infoHashBytes)
    // Peer handshakes advertise the size; each peer answers requests with our own codec.
    const hs = decodeExtendedHandshake(
      encodeExtendedHandshake({ m: { ut_metadata: 2 }, metadataSize: meta.infoBytes.length }),
    )
    expect(a.setSize(hs.metadataSize!)).toBe(true)
    let result = null
    for (let round = 0; round < 10 && !result; round++) {
      for (const peer of ['p1', 'p2']) {
        const piece = a.nextRequest(peer, round)
        if (piece === null) continue
        const req = decodeMetadataMessage(encodeMetadataMessage({ type: 'request', piece }))
        const reply = decodeMetadataMessage(encodeMetadataMessage(serveMetadataRequest(meta.infoBytes, req.piece)))
        if (reply.type !== 'data') throw new Error('expected data')
        const r = await a.onData(peer, reply.piece, reply.totalSize, reply.data)
        if (r.status === 'done') result = r.infoBytes
      }
    }
    expect(result).toEqual(meta.infoBytes)
    const info = await parseInfoDictionary(result!)
    expect(info.infoHash).toBe(meta.infoHash)
    expect(info.files).toHaveLength(1000)
  })
})
