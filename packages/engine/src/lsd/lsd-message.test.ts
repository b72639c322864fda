import { describe, expect, it } from 'vitest'
import { decodeLsdAnnounce, encodeLsdAnnounce, MAX_INFOHASHES_PER_MESSAGE } from './lsd-message.ts'

const H = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
const enc = (s: string) => new TextEncoder().encode(s)

describe('BEP 14 messages', () => {
  it('encodes the BT-SEARCH request libtorrent and BEP 14 describe', () => {
    const text = new TextDecoder().decode(encodeLsdAnnounce(H.toUpperCase(), 6881, '1a2b', '239.192.152.143'))
    expect(text).toBe(
      `BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: ${H}\r\ncookie: 1a2b\r\n\r\n\r\n`,
    )
    expect(decodeLsdAnnounce(enc(text))).toEqual({ port: 6881, infoHashes: [H], cookie: '1a2b' })
  })

  it('reads announces as other clients write them: Transmission (no cookie), several info-hashes, any header case', () => {
    const transmission = `BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 51413\r\nInfohash: ${H.toUpperCase()}\r\n\r\n\r\n`
    expect(decodeLsdAnnounce(enc(transmission))).toEqual({ port: 51413, infoHashes: [H] })
    const H2 = 'ab'.repeat(20)
    const many = `bt-search * HTTP/1.1\r\nHOST: [ff15::efc0:152:143]:6771\r\nport:7000\r\ninfohash: ${H}\r\nINFOHASH: ${H2}\r\nInfohash: ${H}\r\nCookie: FFee\r\n\r\n`
    expect(decodeLsdAnnounce(enc(many))).toEqual({ port: 7000, infoHashes: [H, H2], cookie: 'ffee' })
  })

  it('skips bad info-hashes but keeps good ones; caps how many one message may name', () => {
    const m = `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: xyz\r\nInfohash: ${'0'.repeat(40)}\r\nInfohash: ${H}0\r\nInfohash: ${H}\r\n\r\n`
    expect(decodeLsdAnnounce(enc(m))?.infoHashes).toEqual([H])
    const lots = Array.from({ length: 25 }, (_, i) => `Infohash: ${i.toString(16).padStart(40, 'a')}\r\n`).join('')
    expect(decodeLsdAnnounce(enc(`BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n${lots}\r\n`))?.infoHashes).toHaveLength(
      MAX_INFOHASHES_PER_MESSAGE,
    )
  })

  it('refuses anything that is not a complete BT-SEARCH with a port and an info-hash', () => {
    const bad = [
      '',
      `M-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${H}\r\n\r\n`, // SSDP, not ours
      `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${H}\r\n`, // no end of headers
      `BT-SEARCH * HTTP/1.1\r\nInfohash: ${H}\r\n\r\n`, // no port
      `BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: ${H}\r\n\r\n`,
      `BT-SEARCH * HTTP/1.1\r\nPort: 65536\r\nInfohash: ${H}\r\n\r\n`,
      `BT-SEARCH * HTTP/1.1\r\nPort: 12ab\r\nInfohash: ${H}\r\n\r\n`,
      `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n\r\n`, // no info-hash
      `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nnot a header\r\nInfohash: ${H}\r\n\r\n`,
      `BT-SEARCH *\r\nPort: 1\r\nInfohash: ${H}\r\n\r\n`,
    ]
    for (const b of bad) expect(decodeLsdAnnounce(enc(b)), JSON.stringify(b)).toBeNull()
    expect(decodeLsdAnnounce(new Uint8Array([0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a]))).toBeNull() // not UTF-8
    expect(decodeLsdAnnounce(new Uint8Array(1501).fill(65))).toBeNull() // longer than a datagram we accept
  })

  it('never throws on random bytes (bounded run, fixed seed)', () => {
    let x = 12345
    const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 255
    const base = encodeLsdAnnounce(H, 6881, 'abc', '239.192.152.143')
    for (let i = 0; i < 3000; i++) {
      const b = base.slice()
      for (let k = 0; k < 1 + (i % 5); k++) b[rnd() % b.length] = rnd()
      const r = decodeLsdAnnounce(b.subarray(0, b.length - (i % 7)))
      if (r) {
        expect(r.port).toBeGreaterThan(0)
        for (const h of r.infoHashes) expect(h).toMatch(/^[0-9a-f]{40}$/)
      }
    }
  })
})
