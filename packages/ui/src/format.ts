// Human-readable numbers for the tables. Pure functions so they are cheap inside row renders.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–'
  let i = 0
  let v = n
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024
    i++
  }
  const digits = i === 0 ? 0 : v < 10 ? 2 : v < 100 ? 1 : 0
  return `${v.toFixed(digits)} ${UNITS[i]}`
}

/** Rates below 1 B/s show as empty so idle columns stay quiet. */
export function formatRate(bytesPerSec: number): string {
  if (!(bytesPerSec >= 1)) return ''
  return `${formatBytes(bytesPerSec)}/s`
}

export function formatPercent(fraction: number): string {
  const p = Math.max(0, Math.min(1, fraction)) * 100
  // Never show 100.0% for an incomplete torrent.
  if (p < 100 && p >= 99.95) return '99.9%'
  return `${p.toFixed(1)}%`
}

export function formatEta(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec) || sec < 0) return '∞'
  if (sec < 60) return `${Math.ceil(sec)}s`
  const m = Math.floor(sec / 60)
  if (m < 60) return `${m}m ${Math.floor(sec % 60)}s`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h ${m % 60}m`
  const d = Math.floor(h / 24)
  return d > 365 ? '∞' : `${d}d ${h % 24}h`
}

export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return '∞'
  return r.toFixed(2)
}

/** Relative time against `now` ("in 4m", "3m ago"); '' for null. */
export function formatWhen(ts: number | null, now: number): string {
  if (ts === null || ts <= 0) return ''
  const d = Math.round((ts - now) / 1000)
  const abs = formatEta(Math.abs(d))
  return d >= 0 ? `in ${abs}` : `${abs} ago`
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** Local time of day with milliseconds ("14:03:07.042"): log lines of the same second stay apart. */
export function formatClock(ts: number): string {
  const d = new Date(ts)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** Parses "10 MiB", "512k", "0" into bytes; null when unreadable. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)?\s*$/i.exec(text)
  if (!m) return null
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase()]!
  return Math.round(Number(m[1]) * mult)
}

const SOURCE_LABELS: Record<string, string> = {
  dht: 'DHT',
  pex: 'PEX',
  lsd: 'LSD',
  tracker: 'tracker',
  incoming: 'incoming',
  manual: 'manual',
  resume: 'saved',
}

/** Where the engine learned of a peer, as people read it ("DHT, PEX"). */
export function formatSources(sources: readonly string[]): string {
  return sources.map((s) => SOURCE_LABELS[s] ?? s).join(', ')
}

/**
 * An engine or helper error in words a user can act on: the codes people cannot act on are replaced
 * by what happened and what to do next; other messages pass through.
 */
export function plainError(message: string): string {
  if (/bad-path|unknown root/i.test(message))
    return 'Tidepool cannot save there: that download folder is not one the helper serves. Choose a download folder in Settings, then start the torrent again.'
  if (/no-space|ENOSPC|disk full/i.test(message))
    return 'The disk is full. Free some space, then start the torrent again.'
  if (/permission|EACCES|EPERM/i.test(message))
    return "Tidepool may not write to the download folder. Check the folder's permissions, then start the torrent again."
  return message
}
