import { describe, expect, it } from 'vitest'
import { ManualClock } from '../util/clock.ts'
import { xorshift } from '../util/fuzz.ts'
import { hmacSha1, sha1Sync } from '../util/sha1-sync.ts'
import { TOKEN_ROTATION_MS, TokenIssuer } from './tokens.ts'

describe('synchronous SHA-1 / HMAC-SHA1', () => {
  it('matches WebCrypto for inputs around the block boundaries', async () => {
    const rnd = xorshift(3)
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 200]) {
      const data = new Uint8Array(n).map(() => rnd() * 256)
      const want = new Uint8Array(await crypto.subtle.digest('SHA-1', data))
      expect(sha1Sync(data)).toEqual(want)
    }
  })

  it('matches WebCrypto HMAC', async () => {
    const key = new Uint8Array(20).map((_, i) => i * 7)
    const msg = new Uint8Array([1, 2, 3, 4])
    const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign'])
    expect(hmacSha1(key, msg)).toEqual(new Uint8Array(await crypto.subtle.sign('HMAC', k, msg)))
  })
})

describe('announce tokens', () => {
  const secrets = () => {
    let n = 0
    return () => new Uint8Array(20).fill(++n)
  }

  it('a token is accepted from its IP only', () => {
    const clock = new ManualClock()
    const tokens = new TokenIssuer(clock, secrets())
    const t = tokens.issue('1.2.3.4')
    expect(tokens.check('1.2.3.4', t)).toBe(true)
    expect(tokens.check('1.2.3.5', t)).toBe(false)
    const forged = t.slice()
    forged[0] ^= 1
    expect(tokens.check('1.2.3.4', forged)).toBe(false)
    expect(tokens.check('1.2.3.4', t.subarray(0, 4))).toBe(false)
    // Two spellings of one IPv6 address get the same token.
    expect(tokens.check('2001:db8:0::1', tokens.issue('2001:db8::1'))).toBe(true)
  })

  it('rotation: the current and the previous secret are accepted, older ones refused', () => {
    const clock = new ManualClock()
    const tokens = new TokenIssuer(clock, secrets())
    const first = tokens.issue('9.9.9.9')
    clock.advance(TOKEN_ROTATION_MS - 1)
    expect(tokens.check('9.9.9.9', first)).toBe(true)
    clock.advance(1) // one rotation: `first` is under the previous secret
    const second = tokens.issue('9.9.9.9')
    expect(second).not.toEqual(first)
    expect(tokens.check('9.9.9.9', first)).toBe(true)
    expect(tokens.check('9.9.9.9', second)).toBe(true)
    clock.advance(TOKEN_ROTATION_MS) // two rotations since `first`
    expect(tokens.check('9.9.9.9', first)).toBe(false)
    expect(tokens.check('9.9.9.9', second)).toBe(true)
    clock.advance(2 * TOKEN_ROTATION_MS) // a long idle spell: both secrets replaced
    expect(tokens.check('9.9.9.9', second)).toBe(false)
  })
})
