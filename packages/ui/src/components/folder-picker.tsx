import { For, type JSX } from 'solid-js'

/** A place for data: one of the helper's folders and a subfolder in it ('' = the folder itself). */
export interface FolderChoice {
  root: string
  dir: string
}

/** How a folder is shown: its path on disk when the helper says, else its name. */
export const folderText = (root: string, paths?: Record<string, string>) => paths?.[root] ?? root

/** The full place, for people: "/home/me/Music/Albums" or "music/Albums". */
export function placeText(root: string, dir: string | undefined, paths?: Record<string, string>): string {
  const base = folderText(root, paths)
  return dir ? `${base.replace(/\/$/, '')}/${dir}` : base
}

/**
 * Picks one of the folders the helper was granted and an optional subfolder. Only granted folders are
 * offered: a page cannot name any other place on disk.
 */
export function FolderPicker(props: {
  folders: readonly string[]
  paths?: Record<string, string>
  value: FolderChoice
  onChange: (v: FolderChoice) => void
  /** Names the fields (several pickers on one page). */
  name?: string
  /** Offers "" (the default folder) first, with this text. */
  defaultLabel?: string
}): JSX.Element {
  const n = props.name ?? 'save'
  return (
    <div class="folder-picker">
      <label class="field">
        <span>Folder</span>
        <select
          name={`${n}-root`}
          value={props.value.root}
          onChange={(e) => props.onChange({ ...props.value, root: e.currentTarget.value })}
        >
          {props.defaultLabel !== undefined && <option value="">{props.defaultLabel}</option>}
          <For each={props.folders}>{(f) => <option value={f}>{folderText(f, props.paths)}</option>}</For>
        </select>
      </label>
      <label class="field">
        <span>Subfolder (optional)</span>
        <input
          name={`${n}-dir`}
          type="text"
          placeholder="e.g. Music/Albums"
          autocomplete="off"
          value={props.value.dir}
          onInput={(e) => props.onChange({ ...props.value, dir: e.currentTarget.value })}
        />
      </label>
    </div>
  )
}
