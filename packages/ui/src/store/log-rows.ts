/**
 * A torrent's log arrives whole on every poll (oldest first, capped), but between two polls it only
 * lost lines at the front and gained lines at the end. Keeping the entry objects the two answers
 * share lets the log table keep their rows and add only the new ones.
 */
import type { LogEntry } from '@tidepool/engine'

const same = (a: LogEntry, b: LogEntry) =>
  a.at === b.at && a.level === b.level && a.component === b.component && a.message === b.message

/** `next`, reusing the entries of `prev` it still holds; `prev` itself when nothing changed. */
export function mergeLog(prev: readonly LogEntry[], next: readonly LogEntry[]): readonly LogEntry[] {
  if (next.length === 0 || prev.length === 0) return next
  // Where does next start in prev? Lines the log dropped come first in prev.
  for (let k = 0; k < prev.length; k++) {
    const overlap = Math.min(prev.length - k, next.length)
    let i = 0
    while (i < overlap && same(prev[k + i]!, next[i]!)) i++
    if (i < overlap) continue
    if (k === 0 && next.length === prev.length) return prev
    return prev.slice(k, k + overlap).concat(next.slice(overlap))
  }
  return next
}
