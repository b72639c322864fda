import { For, onCleanup, onMount, Show, type JSX } from 'solid-js'
import { ariaShortcut, shortcutText, type Shortcut } from '../actions/shortcut.ts'

export interface MenuItem {
  label: string
  action: () => void
  danger?: boolean
  disabled?: boolean
  shortcut?: Shortcut
}

/** A small menu at the pointer; closes on any click elsewhere, Escape, scroll or resize. */
export function ContextMenu(props: {
  x: number
  y: number
  items: MenuItem[]
  onClose: () => void
  label?: string
}): JSX.Element {
  let el: HTMLDivElement | undefined
  // Keyboard use: focus goes to the first item, arrows move, Escape closes, focus goes back after.
  const before = document.activeElement as HTMLElement | null
  onCleanup(() => {
    if (before?.isConnected) before.focus()
  })
  const items = () => [...(el?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]:not(:disabled)') ?? [])]
  const onKeyDown = (e: KeyboardEvent) => {
    const list = items()
    const at = list.indexOf(document.activeElement as HTMLButtonElement)
    const go = (i: number) => list[(i + list.length) % list.length]?.focus()
    if (e.key === 'ArrowDown') go(at + 1)
    else if (e.key === 'ArrowUp') go(at - 1)
    else if (e.key === 'Home') go(0)
    else if (e.key === 'End') go(list.length - 1)
    else if (e.key === 'Escape' || e.key === 'Tab') props.onClose()
    else return
    e.preventDefault()
    e.stopPropagation()
  }
  onMount(() => {
    items()[0]?.focus()
    const close = (e: Event) => {
      if (e instanceof MouseEvent && el?.contains(e.target as Node)) return
      props.onClose()
    }
    const key = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose()
    // Registered after the opening right-click has finished dispatching.
    const t = setTimeout(() => {
      document.addEventListener('mousedown', close)
      window.addEventListener('blur', close)
      window.addEventListener('resize', close)
      document.addEventListener('scroll', close, true)
      document.addEventListener('keydown', key)
    })
    onCleanup(() => {
      clearTimeout(t)
      document.removeEventListener('mousedown', close)
      window.removeEventListener('blur', close)
      window.removeEventListener('resize', close)
      document.removeEventListener('scroll', close, true)
      document.removeEventListener('keydown', key)
    })
  })
  // Keep the menu on screen.
  const left = () => Math.min(props.x, window.innerWidth - 200)
  const top = () => Math.min(props.y, window.innerHeight - props.items.length * 30 - 12)
  return (
    <div
      class="ctx-menu"
      role="menu"
      aria-label={props.label ?? 'Torrent actions'}
      ref={el}
      style={{ left: `${left()}px`, top: `${top()}px` }}
      onContextMenu={(e) => e.preventDefault()}
      onKeyDown={onKeyDown}
    >
      <For each={props.items}>
        {(it) => (
          <button
            type="button"
            role="menuitem"
            classList={{ danger: !!it.danger }}
            disabled={it.disabled}
            aria-keyshortcuts={it.shortcut ? ariaShortcut(it.shortcut) : undefined}
            onClick={() => {
              props.onClose()
              it.action()
            }}
          >
            {it.label}
            <Show when={it.shortcut}>
              {(s) => (
                <kbd class="shortcut" aria-hidden="true">
                  {shortcutText(s())}
                </kbd>
              )}
            </Show>
          </button>
        )}
      </For>
    </div>
  )
}
