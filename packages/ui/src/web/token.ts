/**
 * The web app's daemon token travels in the URL fragment (`#token=…`): fragments are never sent to the
 * server nor put in Referer. The page moves it to sessionStorage (this tab only) and strips it from the
 * address bar, so it is not in history, bookmarks or screenshots.
 */
const KEY = 'tidepool-token'

export function takeTokenFromLocation(loc: Location = location, hist: History = history, store: Storage = sessionStorage): string | null {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ''))
  const fromHash = params.get('token')
  if (fromHash) {
    store.setItem(KEY, fromHash)
    hist.replaceState(null, '', loc.pathname + loc.search)
    return fromHash
  }
  return store.getItem(KEY)
}

export function saveToken(token: string, store: Storage = sessionStorage): void {
  store.setItem(KEY, token)
}
