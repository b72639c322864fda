// Theme: 'auto' follows prefers-color-scheme; an explicit choice is kept in localStorage.
import { createSignal } from 'solid-js'

export type ThemeChoice = 'auto' | 'light' | 'dark'
const KEY = 'tidepool-theme'

function read(): ThemeChoice {
  try {
    const v = globalThis.localStorage?.getItem(KEY)
    return v === 'light' || v === 'dark' ? v : 'auto'
  } catch {
    return 'auto'
  }
}

const [theme, setThemeSignal] = createSignal<ThemeChoice>(read())

function applyTheme(t: ThemeChoice): void {
  if (typeof document === 'undefined') return
  if (t === 'auto') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = t
}

export function setTheme(t: ThemeChoice): void {
  setThemeSignal(t)
  applyTheme(t)
  try {
    if (t === 'auto') globalThis.localStorage?.removeItem(KEY)
    else globalThis.localStorage?.setItem(KEY, t)
  } catch {
    /* storage may be unavailable (opaque origins); the choice then lasts for this page */
  }
}

export function effectiveTheme(): 'light' | 'dark' {
  const t = theme()
  if (t !== 'auto') return t
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

/** Flips between light and dark (leaving 'auto'). */
export function toggleTheme(): void {
  setTheme(effectiveTheme() === 'dark' ? 'light' : 'dark')
}

export { theme }
applyTheme(theme())
