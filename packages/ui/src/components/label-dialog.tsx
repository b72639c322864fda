import { createSignal, For, Show, type JSX } from 'solid-js'
import { Modal } from './modal.tsx'

/**
 * Sets one label on the selected torrents, or clears it. The field starts with their common label
 * (empty when they differ) and offers the labels already in use.
 */
export function LabelDialog(props: {
  count: number
  labels: Array<string | undefined>
  inUse: string[]
  onSet: (label: string | null) => void
  onClose: () => void
}): JSX.Element {
  const first = props.labels[0]
  const common = props.labels.every((l) => l === first) ? (first ?? '') : ''
  const [value, setValue] = createSignal(common)
  const anyLabelled = props.labels.some((l) => l)
  return (
    <Modal
      label="Label torrents"
      onClose={props.onClose}
      onSubmit={(e) => {
        e.preventDefault()
        props.onSet(value().trim() || null)
      }}
    >
      <h2>Label {props.count === 1 ? 'the torrent' : `${props.count} torrents`}</h2>
      <label class="field">
        <span>Label</span>
        <input
          type="text"
          name="label"
          list="labels-in-use"
          maxLength={64}
          autocomplete="off"
          value={value()}
          onInput={(e) => setValue(e.currentTarget.value)}
          autofocus
        />
      </label>
      <datalist id="labels-in-use">
        <For each={props.inUse}>{(l) => <option value={l} />}</For>
      </datalist>
      <p class="dim">The sidebar filters by label. An empty label removes it.</p>
      <div class="actions">
        <button type="button" onClick={() => props.onClose()}>
          Cancel
        </button>
        <Show when={anyLabelled && value().trim() !== ''}>
          <button type="button" onClick={() => props.onSet(null)}>
            Remove label
          </button>
        </Show>
        <button type="submit" class="primary">
          {value().trim() ? 'Set label' : 'Remove label'}
        </button>
      </div>
    </Modal>
  )
}
