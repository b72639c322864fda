import { For, onCleanup, onMount, Show, type JSX } from 'solid-js'
import { ariaShortcut, shortcutText, type Shortcut } from '../actions/shortcut.ts'

export interface MenuItem { label: string; action: () => void; danger?: boolean; disabled?: boolean; shortcut?: Shortcut }

/** A small menu at the pointer; closes on any click elsewhere, Escape, scroll or resize. */
export function ContextMenu(props: { x: number; y: number; items: MenuItem[]; onClose: () => void }): JSX.Element {
  let el: HTMLDivElement | undefined
  onMount(() => {
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
    <div class="ctx-menu" role="menu" ref={el} style={{ left: `${left()}px`, top: `${top()}px` }} onContextMenu={(e) => e.preventDefault()}>
      <For each={props.items}>
        {(it) => (
          <button
            role="menuitem"
            classList={{ danger: !!it.danger }}
            disabled={it.disabled}
            aria-keyshortcuts={it.shortcut ? ariaShortcut(it.shortcut) : undefined}
            onClick={() => { props.onClose(); it.action() }}
          >
            {it.label}
            <Show when={it.shortcut}>{(s) => <kbd class="shortcut" aria-hidden="true">{shortcutText(s())}</kbd>}</Show>
          </button>
        )}
      </For>
    </div>
  )
}
