import { describe, expect, it } from 'vitest'
import { saveToken, takeTokenFromLocation } from './token.ts'

function env(hash: string) {
  const store = new Map<string, string>()
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) } as Storage
  const replaced: string[] = []
  const loc = { hash, pathname: '/', search: '' } as Location
  const hist = { replaceState: (_s: unknown, _t: string, url: string) => void replaced.push(url) } as History
  return { storage, replaced, loc, hist }
}

describe('web app token', () => {
  it('moves the token from the fragment to sessionStorage and strips it from the address bar', () => {
    const e = env('#token=abc123')
    expect(takeTokenFromLocation(e.loc, e.hist, e.storage)).toBe('abc123')
    expect(e.replaced).toEqual(['/'])
    expect(e.storage.getItem('tidepool-token')).toBe('abc123')
  })
  it('falls back to the stored token on reload and leaves the URL alone', () => {
    const e = env('')
    saveToken('stored', e.storage)
    expect(takeTokenFromLocation(e.loc, e.hist, e.storage)).toBe('stored')
    expect(e.replaced).toEqual([])
  })
  it('returns null when there is no token anywhere', () => {
    const e = env('#other=1')
    expect(takeTokenFromLocation(e.loc, e.hist, e.storage)).toBeNull()
  })
})
