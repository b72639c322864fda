import { describe, expect, it } from 'vitest'
import { MagnetError, parseMagnet, toMagnet } from './parse-magnet.ts'
import { encodeBase32 } from '../util/base32.ts'
import { fromHex } from '../util/hex.ts'

const HASH = 'd3c57152dfffec6882294dc1da18e3af84ef6d97'

function code(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    return e instanceof MagnetError ? e.code : `other:${String(e)}`
  }
  return 'ok'
}

describe('parseMagnet', () => {
  it('reads hex info-hash, name, several trackers and peers', () => {
    const m = parseMagnet(
      `magnet:?xt=urn:btih:${HASH.toUpperCase()}&dn=My+Movie%20%D0%A4%D0%B8%D0%BB%D1%8C%D0%BC&tr=http%3A%2F%2Ft1%2Fannounce&tr=udp%3A%2F%2Ft2%3A80&tr.1=http%3A%2F%2Ft1%2Fannounce&x.pe=10.0.0.1:6881&x.pe=%5B2001%3Adb8%3A%3A1%5D%3A51413&x.pe=peer.example.org:7000`,
    )
    expect(m.infoHash).toBe(HASH)
    expect(m.infoHashBytes).toEqual(fromHex(HASH))
    expect(m.name).toBe('My Movie Фильм')
    expect(m.trackers).toEqual(['http://t1/announce', 'udp://t2:80'])
    expect(m.peers).toEqual([
      { ip: '10.0.0.1', port: 6881 },
      { ip: '2001:db8::1', port: 51413 },
      { ip: 'peer.example.org', port: 7000 },
    ])
    expect(m.selectedFiles).toBeUndefined()
  })
  it('reads base32 info-hashes in either case', () => {
    const b32 = encodeBase32(fromHex(HASH))
    expect(parseMagnet(`magnet:?xt=urn:btih:${b32}`).infoHash).toBe(HASH)
    expect(parseMagnet(`magnet:?xt=urn:btih:${b32.toLowerCase()}`).infoHash).toBe(HASH)
  })
  it('hybrid links use btih; btmh alone is a clear v2 error', () => {
    expect(parseMagnet(`magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}&xt=urn:btih:${HASH}`).infoHash).toBe(HASH)
    expect(code(() => parseMagnet(`magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}`))).toBe('v2-only')
  })
  it('so= selects files; bad peers are skipped', () => {
    const m = parseMagnet(
      `magnet:?xt=urn:btih:${HASH}&so=0,2,4-6,x,3&x.pe=1.2.3.4:0&x.pe=1.2.3.999:5&x.pe=[zz]:5&x.pe=nohost`,
    )
    expect(m.selectedFiles).toEqual([0, 2, 3, 4, 5, 6])
    expect(m.peers).toEqual([])
  })
  it('several so= are merged into one sorted, distinct list', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HASH}&so=5-7&so=0,6-9&so=2,bad&so=9-3`)
    expect(m.selectedFiles).toEqual([0, 2, 5, 6, 7, 8, 9])
    expect(parseMagnet(`magnet:?xt=urn:btih:${HASH}&so=x`).selectedFiles).toEqual([])
  })
  it('wide and repeated so= ranges list the smallest 100,000 indices', () => {
    const flood = parseMagnet(`magnet:?xt=urn:btih:${HASH}${'&so=0-9999999'.repeat(100)}&so=3`)
    expect(flood.selectedFiles).toHaveLength(100_000)
    expect(flood.selectedFiles![99_999]).toBe(99_999)
    const shifted = parseMagnet(`magnet:?xt=urn:btih:${HASH}&so=200000-9999999&so=7,9-10`).selectedFiles!
    expect(shifted.slice(0, 4)).toEqual([7, 9, 10, 200_000])
    expect(shifted).toHaveLength(100_000)
    expect(shifted[99_999]).toBe(299_996)
  })
  it('rejects garbage with clear errors', () => {
    expect(code(() => parseMagnet('http://example.com'))).toBe('not-magnet')
    expect(code(() => parseMagnet('magnet:?dn=x'))).toBe('no-info-hash')
    expect(code(() => parseMagnet('magnet:?xt=urn:sha1:abc'))).toBe('no-info-hash')
    expect(code(() => parseMagnet('magnet:?xt=urn:btih:1234'))).toBe('bad-info-hash')
    expect(code(() => parseMagnet(`magnet:?xt=urn:btih:${'g'.repeat(40)}`))).toBe('bad-info-hash')
    expect(code(() => parseMagnet(`magnet:?xt=urn:btih:${'1'.repeat(32)}`))).toBe('bad-info-hash')
    expect(code(() => parseMagnet(`magnet:?${'a'.repeat(70_000)}`))).toBe('too-large')
    expect(parseMagnet(`magnet:?xt=urn:btih:${HASH}&dn=%E0%A4%A&tr=%`).name).toBeUndefined()
  })
})

describe('toMagnet', () => {
  it('round-trips through parseMagnet', () => {
    const src = {
      infoHash: HASH,
      name: 'a & b = 日本 🎵',
      trackers: ['http://t/announce?x=1&y=2', 'udp://u:1'],
      peers: [
        { ip: '::1', port: 5 },
        { ip: '127.0.0.1', port: 6 },
      ],
      selectedFiles: [1, 3],
    }
    const m = parseMagnet(toMagnet(src))
    expect(m).toEqual({ ...src, infoHashBytes: fromHex(HASH) })
  })
  it('refuses a malformed hash', () => {
    expect(code(() => toMagnet({ infoHash: 'xyz' }))).toBe('bad-info-hash')
  })
})
