import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../util/hex.ts'
import { parseScrapeResponse } from './http-scrape.ts'

// A reply captured from npm bittorrent-tracker 11.2 (the tracker the e2e tests run) to
// GET /scrape?info_hash=%41%41…&info_hash=%F0%F1…%FF%00%01%02%03 after one seed announced the first
// hash and one leecher the second. Its HTTP side turns each key into text: the all-ASCII hash comes
// back intact, the binary one UTF-8 encoded (36 bytes), and it adds a top-level 'flags' dictionary.
const CAPTURED =
  '64353a66696c65736432303a414141414141414141414141414141414141414164383a636f6d706c65746569316531303a646f776e6c6f6164656469316531303a696e636f6d706c6574656930656533363ac3b0c3b1c3b2c3b3c3b4c3b5c3b6c3b7c3b8c3b9c3bac3bbc3bcc3bdc3bec3bf0001020364383a636f6d706c65746569306531303a646f776e6c6f6164656469306531303a696e636f6d706c6574656931656565353a666c6167736432303a6d696e5f726571756573745f696e74657276616c6935656565'

describe('HTTP scrape, a real reply', () => {
  it('reads the intact entry and ignores the mangled key and the flags', () => {
    const r = parseScrapeResponse(fromHex(CAPTURED))
    expect([...r.keys()]).toEqual(['41'.repeat(20)])
    expect(r.get(toHex(new Uint8Array(20).fill(0x41)))).toEqual({ complete: 1, downloaded: 1, incomplete: 0 })
    // so a scrape of the binary hash finds nothing, which the scraper reports as the row's scrape error
    expect(r.has('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00010203')).toBe(false)
  })
})
