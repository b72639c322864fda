import { Modal } from './modal.tsx'
import { createSignal, For, Show, type JSX } from 'solid-js'
import type { AddTorrentInput } from '@tidepool/engine'
import { formatBytes } from '../format.ts'
import { normaliseMagnet, readTorrentFiles, type TorrentFileInfo } from '../torrent-files.ts'
import { FolderPicker, type FolderChoice } from './folder-picker.tsx'

/** Listing more checkboxes than this makes the dialog slow; the Files tab is virtualised. */
const MAX_LISTED = 2000

export interface PendingFile {
  bytes: Uint8Array
  info: TorrentFileInfo
  fileName: string
}

/** Reads a dropped or picked .torrent; the error says which file was not a torrent. */
export async function readPendingFile(file: File): Promise<PendingFile> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  try {
    return { bytes, info: readTorrentFiles(bytes), fileName: file.name }
  } catch (e) {
    throw new Error(`${file.name}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/**
 * Add a torrent: from a .torrent (choose files first) or a magnet link / info-hash.
 * `initial` preloads a file dropped onto the window.
 */
export function AddDialog(props: {
  initial?: PendingFile | null
  onAdd: (input: AddTorrentInput) => Promise<void>
  onClose: () => void
  /** The helper's folders (where the torrent may go); no picker when absent. */
  folders?: readonly string[]
  folderPaths?: Record<string, string>
}): JSX.Element {
  // root '' = the default download folder of the settings
  const [where, setWhere] = createSignal<FolderChoice>({ root: '', dir: '' })
  /** The chosen folder, sent only when the helper has folders to choose among. */
  const place = (): Partial<AddTorrentInput> =>
    props.folders?.length && (where().root || where().dir.trim())
      ? {
          ...(where().root ? { savePath: where().root } : {}),
          ...(where().dir.trim() ? { saveDir: where().dir.trim() } : {}),
        }
      : {}
  const [pending, setPending] = createSignal<PendingFile | null>(props.initial ?? null)
  const [magnet, setMagnet] = createSignal('')
  const [chosen, setChosen] = createSignal<Set<number>>(new Set(props.initial?.info.files.map((f) => f.index) ?? []))
  const [paused, setPaused] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)

  const pick = async (file: File | undefined) => {
    if (!file) return
    setError(null)
    try {
      const p = await readPendingFile(file)
      setPending(p)
      setChosen(new Set(p.info.files.map((f) => f.index)))
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
    }
  }
  const toggle = (i: number, on: boolean) => {
    const s = new Set(chosen())
    if (on) s.add(i)
    else s.delete(i)
    setChosen(s)
  }
  const selectedSize = () =>
    pending()
      ?.info.files.filter((f) => chosen().has(f.index))
      .reduce((a, f) => a + f.size, 0) ?? 0
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(null)
    const p = pending()
    let input: AddTorrentInput
    if (p) {
      if (chosen().size === 0) return setError('Choose at least one file.')
      const all = chosen().size === p.info.files.length
      input = {
        torrentFile: p.bytes,
        paused: paused(),
        ...place(),
        ...(all ? {} : { selectedFiles: [...chosen()].sort((a, b) => a - b) }),
      }
    } else {
      const m = normaliseMagnet(magnet())
      if (!m)
        return setError(
          'Paste a magnet link (magnet:?xt=urn:btih:…) or a 40-character info-hash, or choose a .torrent file.',
        )
      input = { magnet: m, paused: paused(), ...place() }
    }
    setBusy(true)
    try {
      await props.onAdd(input)
      props.onClose()
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Modal label="Add torrent" onClose={props.onClose} onSubmit={submit}>
      <h2>Add torrent</h2>
      <Show
        when={pending()}
        fallback={
          <>
            <label class="field">
              <span>Magnet link or info-hash</span>
              <input
                name="magnet"
                type="text"
                placeholder="magnet:?xt=urn:btih:…"
                value={magnet()}
                onInput={(e) => setMagnet(e.currentTarget.value)}
                autofocus
              />
            </label>
            <div class="or">or</div>
            <label class="file-drop">
              <input
                type="file"
                accept=".torrent,application/x-bittorrent"
                onChange={(e) => void pick(e.currentTarget.files?.[0])}
              />
              <span>
                Choose a .torrent file… <span class="dim">(or drop it anywhere on the window)</span>
              </span>
            </label>
          </>
        }
      >
        {(p) => (
          <>
            <div class="add-title">
              <b>{p().info.name}</b> <span class="dim">{p().fileName}</span>
            </div>
            <div class="file-list">
              <For each={p().info.files.slice(0, MAX_LISTED)}>
                {(f) => (
                  <label class="file-choice">
                    <input
                      type="checkbox"
                      checked={chosen().has(f.index)}
                      onChange={(e) => toggle(f.index, e.currentTarget.checked)}
                    />
                    <span class="name" title={f.path}>
                      {f.path}
                    </span>
                    <span class="dim right">{formatBytes(f.size)}</span>
                  </label>
                )}
              </For>
            </div>
            <Show when={p().info.files.length > MAX_LISTED}>
              <div class="dim">
                The first {MAX_LISTED} of {p().info.files.length} files are listed; use the Files tab after adding to
                choose among the rest.
              </div>
            </Show>
            <div class="dim">
              {chosen().size} of {p().info.files.length} files, {formatBytes(selectedSize())}
            </div>
          </>
        )}
      </Show>
      <Show when={props.folders?.length}>
        <FolderPicker
          folders={props.folders!}
          paths={props.folderPaths}
          value={where()}
          onChange={setWhere}
          defaultLabel="Default download folder (Settings)"
        />
      </Show>
      <label class="check">
        <input type="checkbox" checked={paused()} onChange={(e) => setPaused(e.currentTarget.checked)} /> Add paused
      </label>
      <Show when={error()}>
        <div class="form-error" role="alert">
          {error()}
        </div>
      </Show>
      <div class="actions">
        <button type="button" onClick={() => props.onClose()}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy()}>
          Add
        </button>
      </div>
    </Modal>
  )
}
