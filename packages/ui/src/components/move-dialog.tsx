import { createSignal, Show, type JSX } from 'solid-js'
import { FolderPicker, type FolderChoice } from './folder-picker.tsx'
import { Modal } from './modal.tsx'

/**
 * Moves the selected torrents' data to another folder. The move runs in the engine: the dialog closes
 * at once and each torrent's row and General tab show its progress.
 */
export function MoveDialog(props: {
  names: string[]
  /** Where the first selected torrent is now (the picker starts there). */
  current: FolderChoice
  folders: readonly string[]
  paths?: Record<string, string>
  onMove: (to: FolderChoice) => void
  onClose: () => void
}): JSX.Element {
  const [to, setTo] = createSignal<FolderChoice>({ ...props.current })
  const [error, setError] = createSignal<string | null>(null)
  const unchanged = () => to().root === props.current.root && to().dir.trim() === props.current.dir
  return (
    <Modal
      label="Move data"
      onClose={props.onClose}
      onSubmit={(e) => {
        e.preventDefault()
        if (to().dir.split('/').includes('..')) return setError("A subfolder cannot go up with '..'.")
        props.onMove({ root: to().root, dir: to().dir.trim() })
      }}
    >
      <h2>Move data of {props.names.length === 1 ? props.names[0] : `${props.names.length} torrents`}</h2>
      <FolderPicker folders={props.folders} paths={props.paths} value={to()} onChange={setTo} name="move" />
      <p class="dim">
        The torrent pauses while its files move and starts again from the new folder. Between folders on different disks
        every file is copied and verified before the original is removed.
      </p>
      <Show when={error()}>
        <div class="form-error" role="alert">
          {error()}
        </div>
      </Show>
      <div class="actions">
        <button type="button" onClick={() => props.onClose()}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={unchanged()}>
          Move
        </button>
      </div>
    </Modal>
  )
}
