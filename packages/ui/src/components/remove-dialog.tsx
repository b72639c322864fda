import { Modal } from './modal.tsx'
import { createSignal, For, Show, type JSX } from 'solid-js'

export function RemoveDialog(props: {
  names: string[]
  onConfirm: (deleteData: boolean) => void
  onClose: () => void
}): JSX.Element {
  const [deleteData, setDeleteData] = createSignal(false)
  return (
    <Modal
      label="Remove torrents"
      onClose={props.onClose}
      onSubmit={(e) => {
        e.preventDefault()
        props.onConfirm(deleteData())
      }}
    >
      <h2>
        Remove {props.names.length} torrent{props.names.length === 1 ? '' : 's'}?
      </h2>
      <ul class="remove-list">
        <For each={props.names.slice(0, 8)}>{(n) => <li>{n}</li>}</For>
        <Show when={props.names.length > 8}>
          <li class="dim">and {props.names.length - 8} more</li>
        </Show>
      </ul>
      <label class="check">
        <input
          type="checkbox"
          name="deleteData"
          checked={deleteData()}
          onChange={(e) => setDeleteData(e.currentTarget.checked)}
        />{' '}
        Also delete the downloaded files
      </label>
      <div class="actions">
        <button type="button" onClick={() => props.onClose()}>
          Cancel
        </button>
        <button type="submit" class="danger" autofocus>
          {deleteData() ? 'Remove and delete files' : 'Remove'}
        </button>
      </div>
    </Modal>
  )
}
