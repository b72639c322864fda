/**
 * Which torrents are selected, and which one the detail pane shows. Plain click selects one,
 * ctrl/meta toggles, shift selects from the anchor in the displayed order; a right-click on a row
 * that is not selected acts on that row alone.
 */
import { createSignal } from 'solid-js'

export interface ClickMods {
  toggle: boolean
  range: boolean
}
export interface SelectionState {
  selected: Set<string>
  anchor: string | null
}

/** Selection after a click on `key` in the displayed order (plain, ctrl/meta toggle, shift range). */
export function nextSelection(
  order: readonly string[],
  selected: ReadonlySet<string>,
  anchor: string | null,
  key: string,
  mods: ClickMods,
): { selected: Set<string>; anchor: string } {
  if (mods.range && anchor !== null) {
    const a = order.indexOf(anchor)
    const b = order.indexOf(key)
    if (a >= 0 && b >= 0) {
      const [lo, hi] = a < b ? [a, b] : [b, a]
      return { selected: new Set(order.slice(lo, hi + 1)), anchor }
    }
  }
  if (mods.toggle) {
    const s = new Set(selected)
    if (s.has(key)) s.delete(key)
    else s.add(key)
    return { selected: s, anchor: key }
  }
  return { selected: new Set([key]), anchor: key }
}

/** Selection for a context menu opened on `key`: kept when the row is part of it, else that row alone. */
export function menuSelection(selected: ReadonlySet<string>, anchor: string | null, key: string): SelectionState {
  if (selected.has(key)) return { selected: new Set(selected), anchor }
  return { selected: new Set([key]), anchor: key }
}

/** Modifier keys of a click as selection modes (Cmd on macOS toggles like Ctrl elsewhere). */
export function clickMods(e: { ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }): ClickMods {
  return { toggle: e.ctrlKey || e.metaKey, range: e.shiftKey }
}

export function createSelection() {
  const [selected, setSelected] = createSignal<ReadonlySet<string>>(new Set())
  const [anchor, setAnchor] = createSignal<string | null>(null)
  const [focus, setFocus] = createSignal<string | null>(null)
  const apply = (s: SelectionState) => {
    setSelected(s.selected)
    setAnchor(s.anchor)
  }

  return {
    /** The focused torrent: the one whose details are shown. */
    focus,
    anchor,
    has: (key: string) => selected().has(key),
    keys: (): string[] => [...selected()],
    count: () => selected().size,
    click(key: string, order: readonly string[], mods: ClickMods): void {
      apply(nextSelection(order, selected(), anchor(), key, mods))
      setFocus(key)
    },
    openMenuOn(key: string): void {
      apply(menuSelection(selected(), anchor(), key))
      setFocus(key)
    },
    /** A torrent just added becomes the selection and is shown; the anchor stays where it was. */
    showAdded(key: string): void {
      setSelected(new Set([key]))
      setFocus(key)
    },
    selectAll(keys: readonly string[]): void {
      setSelected(new Set(keys))
    },
    /** Moves the keyboard's row (and the details) without changing the selection (Ctrl+arrow). */
    moveFocus(key: string): void {
      setFocus(key)
    },
    clear(): void {
      setSelected(new Set<string>())
    },
  }
}

export type Selection = ReturnType<typeof createSelection>
