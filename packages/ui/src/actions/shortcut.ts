/** Keyboard shortcuts of actions: matching a key event, and the text that shows them. */

export interface Shortcut {
  /** KeyboardEvent.key, e.g. 'Delete' or 'a'. */
  key: string
  /** Needs Ctrl (Cmd on macOS). */
  mod?: boolean
  /** Needs Alt (Option on macOS); Ctrl with the arrows already moves the list's cursor. */
  alt?: boolean
}

export interface KeyLike {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  altKey?: boolean
}

export function matchesShortcut(e: KeyLike, s: Shortcut): boolean {
  if (e.key.toLowerCase() !== s.key.toLowerCase()) return false
  if (s.alt) return !!e.altKey && !(e.ctrlKey || e.metaKey)
  // Ctrl+O is add; a plain O is not (and Ctrl+Space is not Space).
  return s.mod ? e.ctrlKey || e.metaKey : !(e.ctrlKey || e.metaKey)
}

const isMac = () => typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform ?? '')

const keyName = (key: string) => (key === ' ' ? 'Space' : key.length === 1 ? key.toUpperCase() : key)

/** As people read it: 'Ctrl+A' (or '⌘A' on macOS), 'Delete'. */
export function shortcutText(s: Shortcut, mac = isMac()): string {
  if (s.alt) return mac ? `⌥${keyName(s.key)}` : `Alt+${keyName(s.key)}`
  if (!s.mod) return keyName(s.key)
  return mac ? `⌘${keyName(s.key)}` : `Ctrl+${keyName(s.key)}`
}

/** As aria-keyshortcuts wants it: 'Control+A', 'Meta+A', 'Delete'. */
export function ariaShortcut(s: Shortcut, mac = isMac()): string {
  if (s.alt) return `Alt+${keyName(s.key)}`
  if (!s.mod) return keyName(s.key)
  return `${mac ? 'Meta' : 'Control'}+${keyName(s.key)}`
}
