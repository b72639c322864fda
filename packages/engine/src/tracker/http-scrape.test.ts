import { describe, expect, it } from 'vitest'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { encodeBencode } from '../util/bencode.ts'
import { concatBytes, utf8Encode } from '../util/bytes.ts'
import { toHex } from '../util/hex.ts'
import { httpScrape, parseScrapeResponse, scrapeUrlFor } from './http-scrape.ts'
import { fakeHttpServer } from './test-http-server.ts'
import { TrackerError } from './tracker-error.ts'

// A hash whose bytes are not valid UTF-8, so a text-keyed decoder would mangle it.
const H1 = new Uint8Array(20).map((_, i) => 0xf0 + (i % 16))
const H2 = new Uint8Array(20).fill(0x41)

function rawScrape(): Uint8Array {
  const entry = (h: Uint8Array, c: number) =>
    concatBytes([utf8Encode('20:'), h, encodeBencode({ complete: c, downloaded: 7, incomplete: 2 })])
  // keys in sorted order: H2 (0x41...) before H1 (0xf0...)
  return concatBytes([utf8Encode('d5:filesd'), entry(H2, 1), entry(H1, 5), utf8Encode('ee')])
}

describe('HTTP scrape (BEP 48)', () => {
  it('derives the scrape URL', () => {
    expect(scrapeUrlFor('http://t/announce')).toBe('http://t/scrape')
    expect(scrapeUrlFor('http://t/x/announce.php?pk=1')).toBe('http://t/x/scrape.php?pk=1')
    expect(scrapeUrlFor('http://t/a')).toBeNull()
    expect(scrapeUrlFor('http://t/announce/x')).toBeNull()
  })
  it('reads raw binary info-hash keys', () => {
    const r = parseScrapeResponse(rawScrape())
    expect(r.get(toHex(H1))).toEqual({ complete: 5, downloaded: 7, incomplete: 2 })
    expect(r.get(toHex(H2))).toEqual({ complete: 1, downloaded: 7, incomplete: 2 })
    expect(() => parseScrapeResponse(encodeBencode({ 'failure reason': utf8Encode('no') }))).toThrow(TrackerError)
    expect(() => parseScrapeResponse(utf8Encode('d5:files'))).toThrow(TrackerError)
  })
  it('scrapes over NetPort', async () => {
    const net = new MemoryNetwork()
    const body = rawScrape()
    const srv = await fakeHttpServer(net.host('10.0.0.2'), 80, () => ({
      pieces: [`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, body],
    }))
    const r = await httpScrape(net.host('10.0.0.1'), 'http://10.0.0.2/announce', [H1, H2])
    expect(r.size).toBe(2)
    expect(srv.requests[0].target).toMatch(/^\/scrape\?info_hash=%F0%F1.*&info_hash=AAAA/)
  })
})
