import { isSupportedTrackerUrl } from './announce.ts'

/**
 * The user's edits of a torrent's tracker list (BEP 12 tiers), as pure functions: each returns a new
 * list with no empty tiers (tier numbers close up) and no URL twice, or throws TrackerEditError.
 */

export type TrackerEditReason = 'bad-url' | 'duplicate' | 'unknown-tracker'

export class TrackerEditError extends Error {
  constructor(
    readonly reason: TrackerEditReason,
    message: string,
  ) {
    super(message)
    this.name = 'TrackerEditError'
  }
}

/** Longer than any real announce URL; keeps a pasted blob out of the session and every announce. */
export const MAX_TRACKER_URL_LENGTH = 2048

/** A tracker URL as the user typed it, trimmed and checked: http(s) or udp, a host, no white space. */
export function checkTrackerUrl(raw: string): string {
  const url = raw.trim()
  if (url.length === 0 || url.length > MAX_TRACKER_URL_LENGTH || /[\s\0]/.test(url))
    throw new TrackerEditError('bad-url', `not a tracker URL: ${JSON.stringify(url.slice(0, 80))}`)
  if (!isSupportedTrackerUrl(url))
    throw new TrackerEditError('bad-url', `only http, https and udp trackers are supported: ${url.slice(0, 80)}`)
  let host = ''
  try {
    host = new URL(url).hostname
  } catch {
    // left empty: reported below
  }
  if (!host) throw new TrackerEditError('bad-url', `a tracker URL needs a host: ${url.slice(0, 80)}`)
  return url
}

function compact(tiers: string[][]): string[][] {
  return tiers.filter((t) => t.length > 0)
}

function find(tiers: readonly string[][], url: string): { tier: number; index: number } | null {
  for (let i = 0; i < tiers.length; i++) {
    const j = tiers[i].indexOf(url)
    if (j >= 0) return { tier: i, index: j }
  }
  return null
}

/**
 * Adds trackers not listed yet: into tier `tier` when given (a tier past the last becomes a new last
 * tier), otherwise each in a tier of its own after the others. Listed URLs are skipped, not an error.
 */
export function addTrackersTo(
  tiers: readonly string[][],
  urls: readonly string[],
  tier?: number,
): { tiers: string[][]; added: string[] } {
  const out = tiers.map((t) => [...t])
  const added: string[] = []
  for (const raw of urls) {
    const url = checkTrackerUrl(raw)
    if (find(out, url) || added.includes(url)) continue
    added.push(url)
  }
  if (tier === undefined) for (const u of added) out.push([u])
  else if (added.length > 0) {
    const at = Math.max(0, Math.floor(tier))
    if (at < out.length) out[at].push(...added)
    else out.push(added)
  }
  return { tiers: compact(out), added }
}

/** Changes one tracker's URL and/or tier (moved to the end of that tier). */
export function editTrackerIn(
  tiers: readonly string[][],
  url: string,
  change: { url?: string; tier?: number },
): string[][] {
  const at = find(tiers, url)
  if (!at) throw new TrackerEditError('unknown-tracker', `no such tracker: ${url.slice(0, 80)}`)
  const next = change.url === undefined ? url : checkTrackerUrl(change.url)
  if (next !== url && find(tiers, next)) throw new TrackerEditError('duplicate', `already listed: ${next.slice(0, 80)}`)
  const out = tiers.map((t) => [...t])
  if (change.tier === undefined || Math.floor(change.tier) === at.tier) {
    out[at.tier][at.index] = next
    return out
  }
  out[at.tier].splice(at.index, 1)
  const to = Math.max(0, Math.floor(change.tier))
  if (to < out.length) out[to].push(next)
  else out.push([next])
  return compact(out)
}

/** Removes the listed trackers; unknown URLs are an error so a stale UI hears about it. */
export function removeTrackersFrom(tiers: readonly string[][], urls: readonly string[]): string[][] {
  for (const u of urls) {
    if (!find(tiers, u)) throw new TrackerEditError('unknown-tracker', `no such tracker: ${u.slice(0, 80)}`)
  }
  const gone = new Set(urls)
  return compact(tiers.map((t) => t.filter((u) => !gone.has(u))))
}

/** A saved list read back: strings only, checked URLs, no duplicates, no empty tiers (bad entries dropped). */
export function sanitizeTiers(raw: unknown): string[][] | null {
  if (!Array.isArray(raw)) return null
  const seen = new Set<string>()
  const out: string[][] = []
  for (const tier of raw) {
    if (!Array.isArray(tier)) continue
    const t: string[] = []
    for (const u of tier) {
      if (typeof u !== 'string') continue
      try {
        const url = checkTrackerUrl(u)
        if (!seen.has(url)) {
          seen.add(url)
          t.push(url)
        }
      } catch {
        // a URL that no longer passes the check is dropped rather than failing the whole restore
      }
    }
    if (t.length > 0) out.push(t)
  }
  return out
}
