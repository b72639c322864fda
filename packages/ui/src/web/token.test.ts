import { describe, expect, it } from 'vitest'
import { loginFromLocation, saveToken } from './token.ts'

function env(hash: string) {
  const store = new Map<string, string>()
  const storage = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
  } as Storage
  const replaced: string[] = []
  const loc = { hash, pathname: '/', search: '' } as Location
  const hist = { replaceState: (_s: unknown, _t: string, url: string) => void replaced.push(url) } as History
  const posted: string[] = []
  return { storage, replaced, loc, hist, posted }
}

describe('web app login', () => {
  it('trades the nonce for the token, keeps it in sessionStorage, strips the fragment', async () => {
    const e = env('#login=n1')
    const post = async (n: string) => (e.posted.push(n), { status: 200, body: { token: 'tok' } })
    expect(await loginFromLocation(e.loc, e.hist, e.storage, post)).toEqual({ token: 'tok' })
    expect(e.posted).toEqual(['n1'])
    expect(e.replaced).toEqual(['/'])
    expect(e.storage.getItem('tidepool-token')).toBe('tok')
  })
  it('shows the server message for a used or expired link', async () => {
    const e = env('#login=old')
    const post = async () => ({ status: 403, body: { error: 'expired', message: 'This login link expired' } })
    expect(await loginFromLocation(e.loc, e.hist, e.storage, post)).toEqual({
      token: null,
      error: 'This login link expired',
    })
    expect(e.replaced).toEqual(['/'])
  })
  it('never takes a token from the URL any more (an old #token= link is stripped, not used)', async () => {
    const e = env('#token=abc123')
    const post = async () => ({ status: 500, body: null })
    expect(await loginFromLocation(e.loc, e.hist, e.storage, post)).toEqual({ token: null })
    expect(e.replaced).toEqual(['/'])
    expect(e.storage.getItem('tidepool-token')).toBeNull()
  })
  it('falls back to the stored token on reload and leaves the URL alone', async () => {
    const e = env('')
    saveToken('stored', e.storage)
    expect(await loginFromLocation(e.loc, e.hist, e.storage, async () => ({ status: 500, body: null }))).toEqual({
      token: 'stored',
    })
    expect(e.replaced).toEqual([])
  })
})
