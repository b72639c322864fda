/**
 * Input that belongs to the whole page rather than to one control: .torrent files dropped anywhere,
 * a magnet link pasted outside a text field, and the actions' keyboard shortcuts.
 */
import { actionForKey, type ActionContext, type TorrentAction } from '../actions/torrent-actions.ts'
import type { KeyLike } from '../actions/shortcut.ts'
import { normaliseMagnet } from '../torrent-files.ts'

export interface GlobalKeyDeps {
  dialogOpen(): boolean
  closeDialog(): void
  actions: readonly TorrentAction[]
  context(): ActionContext
}

export interface GlobalInputDeps extends GlobalKeyDeps {
  setDragging(on: boolean): void
  /** Only .torrent files of a drop; never empty. */
  onTorrentFiles(files: File[]): void
  /** A drop with no .torrent file in it. */
  onOtherDrop(): void
  onMagnet(magnet: string): void
}

type Target = { tagName?: string } | null

export const isTorrentFile = (f: { name: string; type: string }) =>
  /\.torrent$/i.test(f.name) || f.type === 'application/x-bittorrent'

/** Keys typed here belong to the field (Delete edits text, Ctrl+A selects it). */
const isFormField = (el: Target) => !!el?.tagName && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)
/** Pasting here puts the text into the field. */
const isTextField = (el: Target) => el?.tagName === 'INPUT' || el?.tagName === 'TEXTAREA'

/** Space and Enter press these (a button, a tab, a menu item), so they are not shortcuts there. */
const isPressable = (el: Target) => !!el?.tagName && /^(BUTTON|A|SUMMARY)$/.test(el.tagName)

export function handleGlobalKey(
  e: KeyLike & { target: unknown; preventDefault(): void; defaultPrevented?: boolean },
  deps: GlobalKeyDeps,
): void {
  if (e.key === 'Escape' && deps.dialogOpen()) return deps.closeDialog()
  // A control that handled the key itself (the torrent list, a column header) said so.
  if (e.defaultPrevented) return
  if (deps.dialogOpen() || isFormField(e.target as Target)) return
  if ((e.key === ' ' || e.key === 'Enter') && isPressable(e.target as Target)) return
  const action = actionForKey(deps.actions, e)
  if (!action) return
  // Taken even when disabled: Ctrl+A never falls back to selecting the page's text.
  e.preventDefault()
  const ctx = deps.context()
  if (action.enabled(ctx)) void action.run(ctx)
}

/** Listens on the window (drag and drop) and the document (paste, keys); returns the unsubscribe. */
export function listenGlobalInput(win: EventTarget, doc: EventTarget, deps: GlobalInputDeps): () => void {
  const over = (e: DragEvent) => {
    if (e.dataTransfer?.types.includes('Files')) {
      e.preventDefault()
      deps.setDragging(true)
    }
  }
  // relatedTarget is null only when the pointer leaves the window, not when it moves between elements.
  const leave = (e: DragEvent) => {
    if (!e.relatedTarget) deps.setDragging(false)
  }
  const drop = (e: DragEvent) => {
    e.preventDefault()
    deps.setDragging(false)
    const files = [...(e.dataTransfer?.files ?? [])].filter(isTorrentFile)
    if (files.length === 0) deps.onOtherDrop()
    else deps.onTorrentFiles(files)
  }
  const paste = (e: ClipboardEvent) => {
    if (isTextField(e.target as Target)) return
    const magnet = normaliseMagnet(e.clipboardData?.getData('text') ?? '')
    if (magnet) {
      e.preventDefault()
      deps.onMagnet(magnet)
    }
  }
  const key = (e: KeyboardEvent) => handleGlobalKey(e, deps)
  const on: Array<[EventTarget, string, (e: never) => void]> = [
    [win, 'dragover', over],
    [win, 'dragleave', leave],
    [win, 'drop', drop],
    [doc, 'paste', paste],
    [doc, 'keydown', key],
  ]
  for (const [t, type, fn] of on) t.addEventListener(type, fn as EventListener)
  return () => {
    for (const [t, type, fn] of on) t.removeEventListener(type, fn as EventListener)
  }
}
