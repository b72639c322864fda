/**
 * Keys on the torrent list, as file managers and qBittorrent use them: arrows (and Home/End, Page
 * Up/Down) move the row, Shift extends the selection from its anchor, Ctrl moves without selecting and
 * Ctrl+Space toggles; Enter opens the details, Escape clears, the menu key or Shift+F10 opens the
 * context menu. Space, Delete and Ctrl+A are the actions' shortcuts (handled page-wide).
 */
import type { ClickMods } from './selection.ts'

export type ListCommand =
  | { kind: 'move'; key: string; mods: ClickMods; focusOnly: boolean }
  | { kind: 'toggle'; key: string }
  | { kind: 'details' }
  | { kind: 'clear' }
  | { kind: 'menu'; key: string }

export interface ListKey {
  key: string
  shiftKey: boolean
  ctrlKey: boolean
  metaKey: boolean
  /** Alt with the arrows moves torrents in the queue (an action), not the cursor. */
  altKey?: boolean
}

/** What a key on the list means, given the display order and the row the keyboard is on; null: not ours. */
export function listCommand(
  e: ListKey,
  order: readonly string[],
  cursor: string | null,
  pageRows = 10,
): ListCommand | null {
  if (order.length === 0) return e.key === 'Escape' ? { kind: 'clear' } : null
  if (e.altKey) return null
  const ctrl = e.ctrlKey || e.metaKey
  const at = cursor ? order.indexOf(cursor) : -1
  const step: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: pageRows, PageUp: -pageRows }
  let target = -1
  if (e.key in step) target = at < 0 ? 0 : Math.max(0, Math.min(order.length - 1, at + step[e.key]!))
  else if (e.key === 'Home') target = 0
  else if (e.key === 'End') target = order.length - 1
  if (target >= 0)
    return {
      kind: 'move',
      key: order[target]!,
      mods: { toggle: false, range: e.shiftKey },
      focusOnly: ctrl && !e.shiftKey,
    }
  if (e.key === ' ' && ctrl && at >= 0) return { kind: 'toggle', key: order[at]! }
  if (e.key === 'Enter' && at >= 0) return { kind: 'details' }
  if (e.key === 'Escape') return { kind: 'clear' }
  if ((e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) && at >= 0) return { kind: 'menu', key: order[at]! }
  return null
}
