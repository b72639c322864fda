import { createSignal, For, onMount, Show, type JSX } from 'solid-js'
import type { EngineApi } from '@tidepool/engine'
import { FolderPicker, folderText, type FolderChoice } from './folder-picker.tsx'

/**
 * Settings → Save folders: the folders the helper was granted, refreshed on demand, each removable
 * except the default; how to grant another (a terminal command: a page can never grant itself a
 * folder); and the incomplete-downloads folder.
 */
export function SaveFoldersSettings(props: {
  api: EngineApi
  folders: readonly string[]
  paths?: Record<string, string>
}): JSX.Element {
  const [folders, setFolders] = createSignal<readonly string[]>(props.folders)
  const [note, setNote] = createSignal<string | null>(null)
  const [incomplete, setIncomplete] = createSignal<FolderChoice>({ root: '', dir: '' })
  const [useIncomplete, setUseIncomplete] = createSignal(false)
  onMount(async () => {
    const s = await props.api.getSettings()
    setUseIncomplete(s.incompleteRoot !== '')
    setIncomplete({ root: s.incompleteRoot || props.folders[0] || '', dir: s.incompleteDir })
  })
  const refresh = async () => {
    try {
      const list = await props.api.refreshFolders()
      setFolders(list)
      setNote(`The helper serves ${list.length} folder(s).`)
    } catch (err) {
      setNote(err instanceof Error ? err.message : String(err))
    }
  }
  const revoke = async (root: string) => {
    try {
      await props.api.revokeFolder(root)
      setFolders(folders().filter((f) => f !== root))
      setNote(`${root} removed: the helper no longer serves it.`)
    } catch (err) {
      setNote(err instanceof Error ? err.message : String(err))
    }
  }
  const saveIncomplete = async () => {
    try {
      const on = useIncomplete()
      await props.api.setSettings({
        incompleteRoot: on ? incomplete().root : '',
        incompleteDir: on ? incomplete().dir : '',
      })
      setNote(on ? 'Incomplete downloads go to the folder chosen.' : 'Downloads stay in their save folder throughout.')
    } catch (err) {
      setNote(err instanceof Error ? err.message : String(err))
    }
  }
  return (
    <fieldset class="save-folders">
      <legend>Save folders</legend>
      <ul class="folder-list" aria-label="Folders the helper serves">
        <For each={folders()}>
          {(f) => (
            <li>
              <span class="name">{f}</span> <span class="dim">{folderText(f, props.paths)}</span>
              <Show when={f !== 'downloads'}>
                <button type="button" aria-label={`Remove folder ${f}`} onClick={() => void revoke(f)}>
                  Remove
                </button>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <small class="dim">
        To add a folder, run <code>pnpm native-host grant NAME /path/to/folder</code> in a terminal (only you can grant
        the helper a folder, never a web page), then
      </small>{' '}
      <button type="button" onClick={() => void refresh()}>
        Refresh folders
      </button>
      <label class="check">
        <input
          type="checkbox"
          name="useIncomplete"
          checked={useIncomplete()}
          onChange={(e) => setUseIncomplete(e.currentTarget.checked)}
        />{' '}
        Keep incomplete downloads in another folder (moved to their save folder when complete)
      </label>
      <Show when={useIncomplete()}>
        <FolderPicker
          folders={folders()}
          paths={props.paths}
          value={incomplete()}
          onChange={setIncomplete}
          name="incomplete"
        />
      </Show>
      <button type="button" onClick={() => void saveIncomplete()}>
        Apply incomplete folder
      </button>
      <Show when={note()}>
        <small class="dim" role="status">
          {note()}
        </small>
      </Show>
    </fieldset>
  )
}
