/**
 * The web app's login: the link carries `#login=<nonce>` (single use, 60 s), never the daemon token.
 * The page strips the fragment from the address bar at once, trades the nonce for the token with a
 * same-origin POST /session, and keeps the token in sessionStorage (this tab only). A nonce left in
 * history or a session file is worthless once used or expired.
 */
const KEY = 'tidepool-token'

export type LoginResult = { token: string } | { token: null; error?: string }

/** Takes `#login=` from the URL (and strips it); without one, the token saved in this tab (reload). */
export async function loginFromLocation(
  loc: Location = location,
  hist: History = history,
  store: Storage = sessionStorage,
  post: (nonce: string) => Promise<{ status: number; body: unknown }> = postSession,
): Promise<LoginResult> {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ''))
  const nonce = params.get('login')
  if (loc.hash) hist.replaceState(null, '', loc.pathname + loc.search) // no token or nonce stays visible
  if (!nonce) {
    const saved = store.getItem(KEY)
    return saved ? { token: saved } : { token: null }
  }
  try {
    const r = await post(nonce)
    const body = (r.body ?? {}) as { token?: unknown; message?: unknown }
    if (r.status === 200 && typeof body.token === 'string') {
      store.setItem(KEY, body.token)
      return { token: body.token }
    }
    const saved = store.getItem(KEY) // e.g. a reload of a tab that already logged in with this link
    if (saved) return { token: saved }
    return { token: null, error: typeof body.message === 'string' ? body.message : `login failed (HTTP ${r.status})` }
  } catch (e) {
    return { token: store.getItem(KEY), error: `login failed: ${(e as Error).message}` }
  }
}

async function postSession(nonce: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch('./session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ nonce }),
    cache: 'no-store',
    credentials: 'omit',
  })
  return { status: res.status, body: await res.json().catch(() => null) }
}

export function saveToken(token: string, store: Storage = sessionStorage): void {
  store.setItem(KEY, token)
}
