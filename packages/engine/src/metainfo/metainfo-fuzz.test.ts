import { describe, expect, it } from 'vitest'
import { parseMetainfo } from './parse-metainfo.ts'
import { MetainfoError } from './metainfo-error.ts'
import { LT_HYBRID, LT_V1 } from './lt-fixtures.ts'
import { mutate, xorshift } from '../util/fuzz.ts'
import { sha1 } from '../util/sha1.ts'
import { toHex } from '../util/hex.ts'

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0))

describe('parseMetainfo fuzz', () => {
  it('mutated torrents either parse consistently or throw MetainfoError, never anything else', async () => {
    const rnd = xorshift(12345)
    const seeds = [b64(LT_V1), b64(LT_HYBRID)]
    let parsed = 0, rejected = 0
    for (let i = 0; i < 3000; i++) {
      let input: Uint8Array = seeds[i % 2]
      for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) input = mutate(input, rnd)
      try {
        const m = await parseMetainfo(input)
        parsed++
        expect(m.infoHash).toBe(toHex(await sha1(m.infoBytes)))
        expect(m.pieceCount).toBe(Math.ceil(m.length / m.pieceLength))
        for (const f of m.files) expect(f.pathComponents.every((c) => c !== '' && c !== '.' && c !== '..' && !/[/\\\u0000]/.test(c))).toBe(true)
      } catch (e) {
        if (!(e instanceof MetainfoError)) throw e
        rejected++
      }
    }
    expect(parsed).toBeGreaterThan(0)
    expect(rejected).toBeGreaterThan(0)
  })
})
