/** Pure helpers of the "Create torrent" dialog: what its fields mean, tested without a DOM. */

/**
 * Tracker tiers from the textarea: one URL per line, a blank line starts the next tier (as
 * qBittorrent's and libtorrent's tools write them). Duplicates after the first are dropped.
 */
export function parseTrackerTiers(text: string): string[][] {
  const tiers: string[][] = []
  const seen = new Set<string>()
  let tier: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '') {
      if (tier.length > 0) tiers.push(tier)
      tier = []
      continue
    }
    if (seen.has(line)) continue
    seen.add(line)
    tier.push(line)
  }
  if (tier.length > 0) tiers.push(tier)
  return tiers
}

/** Web seeds: one URL per line, blanks ignored. */
export function parseLines(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    ),
  ]
}

/** The piece sizes offered: 16 KiB to 16 MiB. 0 is automatic. */
export const PIECE_SIZES: readonly number[] = Array.from({ length: 11 }, (_, i) => 16 * 1024 * 2 ** i)

/** A folder path inside a root joined with one more name ('' is the root's top). */
export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`
}

/** The folder above `path` ('' at the top). */
export function parentPath(path: string): string {
  const at = path.lastIndexOf('/')
  return at < 0 ? '' : path.slice(0, at)
}

/**
 * Whether the engine can seed the selection where it is: anything inside a download folder (the folder
 * holding it becomes the torrent's save folder), not the download folder itself.
 */
export function seedableInPlace(path: string): boolean {
  return path !== ''
}

/** Name for the saved .torrent: the torrent's name, with characters file systems refuse replaced. */
export function torrentFileName(name: string): string {
  const clean = name.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').trim() || 'torrent'
  return `${clean}.torrent`
}
