import { For, Show, type JSX } from 'solid-js'
import type { ActionContext, TorrentAction } from '../actions/torrent-actions.ts'
import { ariaShortcut, shortcutText } from '../actions/shortcut.ts'
import type { MenuItem } from './context-menu.tsx'

/** The toolbar's action buttons, in list order, a separator between groups. */
export function ToolbarActions(props: {
  actions: readonly TorrentAction[]
  context: () => ActionContext
}): JSX.Element {
  const onBar = () => props.actions.filter((a) => a.toolbar)
  return (
    <For each={onBar()}>
      {(a, i) => (
        <>
          <Show when={i() > 0 && onBar()[i() - 1]!.group !== a.group}>
            <span class="sep" />
          </Show>
          <button
            type="button"
            classList={{ primary: a.tone === 'primary', danger: a.tone === 'danger' }}
            onClick={() => void a.run(props.context())}
            disabled={!a.enabled(props.context())}
            title={a.shortcut ? `${a.title} (${shortcutText(a.shortcut)})` : a.title}
            aria-keyshortcuts={a.shortcut ? ariaShortcut(a.shortcut) : undefined}
          >
            {a.label}
          </button>
        </>
      )}
    </For>
  )
}

/** The context menu's items, enabled as the selection is when the menu opens. */
export function actionMenuItems(actions: readonly TorrentAction[], ctx: ActionContext): MenuItem[] {
  return actions
    .filter((a) => a.menu)
    .map((a) => ({
      label: a.label,
      action: () => void a.run(ctx),
      disabled: !a.enabled(ctx),
      ...(a.tone === 'danger' ? { danger: true } : {}),
      ...(a.shortcut ? { shortcut: a.shortcut } : {}),
    }))
}
