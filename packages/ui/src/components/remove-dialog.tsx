import { createSignal, For, Show, type JSX } from 'solid-js'

export function RemoveDialog(props: { names: string[]; onConfirm: (deleteData: boolean) => void; onClose: () => void }): JSX.Element {
  const [deleteData, setDeleteData] = createSignal(false)
  return (
    <div class="modal-back" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <form class="modal" role="dialog" aria-label="Remove torrents" onSubmit={(e) => { e.preventDefault(); props.onConfirm(deleteData()) }} onKeyDown={(e) => e.key === 'Escape' && props.onClose()}>
        <h2>Remove {props.names.length} torrent{props.names.length === 1 ? '' : 's'}?</h2>
        <ul class="remove-list">
          <For each={props.names.slice(0, 8)}>{(n) => <li>{n}</li>}</For>
          <Show when={props.names.length > 8}><li class="dim">and {props.names.length - 8} more</li></Show>
        </ul>
        <label class="check"><input type="checkbox" name="deleteData" checked={deleteData()} onChange={(e) => setDeleteData(e.currentTarget.checked)} /> Also delete the downloaded files</label>
        <div class="actions">
          <button type="button" onClick={() => props.onClose()}>Cancel</button>
          <button type="submit" class="danger">{deleteData() ? 'Remove and delete files' : 'Remove'}</button>
        </div>
      </form>
    </div>
  )
}
