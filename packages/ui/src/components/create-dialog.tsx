import type { CreateJobStatus, EngineApi, FolderEntry } from '@tidepool/engine'
import { createEffect, createSignal, For, on, onCleanup, Show, type JSX } from 'solid-js'
import {
  joinPath,
  parentPath,
  parseLines,
  parseTrackerTiers,
  PIECE_SIZES,
  seedableInPlace,
  torrentFileName,
} from '../create-form.ts'
import { formatBytes } from '../format.ts'
import { Modal } from './modal.tsx'
import { ProgressBar } from './progress-bar.tsx'

/** How often a running creation's progress is asked for. */
const POLL_MS = 250

/**
 * Creates a torrent from a file or folder inside one of the helper's download folders: browse and
 * pick it, set trackers (a blank line between tiers), web seeds, piece size, private flag and
 * comment; the engine hashes it in its hash workers while a bar shows how far it got. The result
 * can be saved as a .torrent, and seeded at once from where the data is.
 */
export function CreateDialog(props: {
  api: Pick<EngineApi, 'createTorrent' | 'createTorrentStatus' | 'cancelCreateTorrent' | 'browseFolder'>
  folders: string[]
  onClose: () => void
}): JSX.Element {
  const [root, setRoot] = createSignal(props.folders[0] ?? '')
  const [dir, setDir] = createSignal('')
  const [entries, setEntries] = createSignal<FolderEntry[]>([])
  const [browseError, setBrowseError] = createSignal<string | null>(null)
  const [selected, setSelected] = createSignal<string | null>(null)
  const [trackers, setTrackers] = createSignal('')
  const [webSeeds, setWebSeeds] = createSignal('')
  const [pieceLength, setPieceLength] = createSignal(0)
  const [isPrivate, setPrivate] = createSignal(false)
  const [comment, setComment] = createSignal('')
  const [seed, setSeed] = createSignal(true)
  const [job, setJob] = createSignal<CreateJobStatus | null>(null)
  const [error, setError] = createSignal<string | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined
  let saveUrl: string | null = null

  createEffect(
    on([root, dir], ([r, d]) => {
      setBrowseError(null)
      if (!r) return setEntries([])
      props.api.browseFolder(r, d).then(
        (list) => {
          if (root() === r && dir() === d) setEntries(list)
        },
        (e: unknown) => setBrowseError(e instanceof Error ? e.message : String(e)),
      )
    }),
  )

  const running = () => job()?.state === 'hashing'
  const result = () => job()?.result
  const canSeed = () => {
    const s = selected()
    return s !== null && seedableInPlace(s)
  }

  const poll = (id: number) => {
    timer = setTimeout(async () => {
      const s = await props.api.createTorrentStatus(id).catch(() => null)
      if (!s) return setError('The creation was lost (the engine restarted?).')
      setJob(s)
      if (s.state === 'hashing') poll(id)
      else if (s.state === 'error') setError(s.error ?? 'Creating the torrent failed.')
    }, POLL_MS)
  }

  onCleanup(() => {
    clearTimeout(timer)
    const j = job()
    // closing the dialog abandons a creation still hashing
    if (j?.state === 'hashing') void props.api.cancelCreateTorrent(j.id)
    if (saveUrl) URL.revokeObjectURL(saveUrl)
  })

  const submit = async (e: Event) => {
    e.preventDefault()
    setError(null)
    const path = selected()
    if (!path) return setError('Choose a file or folder to share.')
    const pl = pieceLength()
    try {
      const id = await props.api.createTorrent({
        root: root(),
        path,
        trackers: parseTrackerTiers(trackers()),
        webSeeds: parseLines(webSeeds()),
        private: isPrivate(),
        comment: comment().trim(),
        seed: seed() && canSeed(),
        ...(pl ? { pieceLength: pl } : {}),
      })
      setJob({ id, state: 'hashing', hashedBytes: 0, totalBytes: 0, piecesDone: 0, pieceCount: 0 })
      poll(id)
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    }
  }

  const downloadHref = () => {
    const r = result()
    if (!r) return undefined
    if (saveUrl) URL.revokeObjectURL(saveUrl)
    saveUrl = URL.createObjectURL(new Blob([r.torrentFile.slice()], { type: 'application/x-bittorrent' }))
    return saveUrl
  }

  const entryLabel = (e: FolderEntry) => (e.isDirectory ? `${e.name}/` : `${e.name} (${formatBytes(e.size)})`)

  return (
    <Modal label="Create torrent" onClose={props.onClose} onSubmit={submit}>
      <h2>Create torrent</h2>
      <Show
        when={props.folders.length > 0}
        fallback={<p class="dim">The helper serves no download folder yet: add one in Settings first.</p>}
      >
        <fieldset class="create-source" disabled={running() || !!result()}>
          <legend>File or folder to share</legend>
          <label class="field">
            <span>Download folder</span>
            <select
              name="root"
              value={root()}
              onChange={(e) => {
                setRoot(e.currentTarget.value)
                setDir('')
                setSelected(null)
              }}
            >
              <For each={props.folders}>{(f) => <option value={f}>{f}</option>}</For>
            </select>
          </label>
          <div class="browse-bar">
            <button type="button" disabled={dir() === ''} onClick={() => setDir(parentPath(dir()))}>
              Up
            </button>
            <span class="browse-where" title={dir()}>
              {root()}/{dir()}
            </span>
          </div>
          <ul class="browse-list" aria-label={`Contents of ${dir() || root()}`}>
            <For each={entries()} fallback={<li class="dim">(empty)</li>}>
              {(e) => {
                const path = () => joinPath(dir(), e.name)
                return (
                  <li>
                    <button
                      type="button"
                      class="browse-entry"
                      aria-pressed={selected() === path()}
                      onClick={() => setSelected(path())}
                    >
                      {entryLabel(e)}
                    </button>
                    <Show when={e.isDirectory}>
                      <button type="button" aria-label={`Open ${e.name}`} onClick={() => setDir(path())}>
                        Open
                      </button>
                    </Show>
                  </li>
                )
              }}
            </For>
          </ul>
          <Show when={browseError()}>
            <div class="form-error" role="alert">
              {browseError()}
            </div>
          </Show>
          <div class="dim" data-testid="create-selected">
            {selected() ? `Selected: ${root()}/${selected()}` : 'Nothing selected yet.'}
          </div>
        </fieldset>
        <fieldset class="create-options" disabled={running() || !!result()}>
          <legend>Torrent</legend>
          <label class="field">
            <span>Trackers</span>
            <textarea
              name="trackers"
              rows={3}
              placeholder={'http://tracker.example/announce\n\nudp://backup.example:6969'}
              value={trackers()}
              onInput={(e) => setTrackers(e.currentTarget.value)}
            />
            <small class="dim">One URL per line; a blank line starts the next tier.</small>
          </label>
          <label class="field">
            <span>Web seeds</span>
            <textarea name="webSeeds" rows={2} value={webSeeds()} onInput={(e) => setWebSeeds(e.currentTarget.value)} />
          </label>
          <div class="grid2">
            <label class="field">
              <span>Piece size</span>
              <select
                name="pieceSize"
                value={String(pieceLength())}
                onChange={(e) => setPieceLength(Number(e.currentTarget.value))}
              >
                <option value="0">Automatic</option>
                <For each={PIECE_SIZES}>{(n) => <option value={String(n)}>{formatBytes(n)}</option>}</For>
              </select>
            </label>
            <label class="field">
              <span>Comment</span>
              <input type="text" name="comment" value={comment()} onInput={(e) => setComment(e.currentTarget.value)} />
            </label>
          </div>
          <label class="check">
            <input type="checkbox" checked={isPrivate()} onChange={(e) => setPrivate(e.currentTarget.checked)} />{' '}
            Private (trackers only: no DHT, peer exchange or local discovery)
          </label>
          <label class="check">
            <input
              type="checkbox"
              name="seed"
              checked={seed() && canSeed()}
              disabled={!canSeed()}
              onChange={(e) => setSeed(e.currentTarget.checked)}
            />{' '}
            Start seeding
            <Show when={selected() !== null && !canSeed()}>
              <span class="dim"> (not a whole download folder: pick something inside it)</span>
            </Show>
          </label>
        </fieldset>
      </Show>
      <Show when={job()}>
        {(j) => (
          <div class="create-progress">
            <ProgressBar
              label="Hashing"
              value={j().totalBytes > 0 ? j().hashedBytes / j().totalBytes : j().state === 'done' ? 1 : 0}
            />
            <div class="dim" role="status">
              {j().state === 'hashing'
                ? `Hashing… ${formatBytes(j().hashedBytes)} of ${j().totalBytes ? formatBytes(j().totalBytes) : '?'}`
                : j().state === 'cancelled'
                  ? 'Cancelled.'
                  : j().state === 'done'
                    ? `Created ${result()?.name}: ${formatBytes(result()?.totalBytes ?? 0)}, pieces of ${formatBytes(result()?.pieceLength ?? 0)}.`
                    : ''}
            </div>
          </div>
        )}
      </Show>
      <Show when={result()}>
        {(r) => (
          <div class="create-result">
            <div>
              Info-hash <code data-testid="created-info-hash">{r().infoHash}</code>
            </div>
            <div>
              {r().seeding
                ? 'Seeding: it is in the torrent list.'
                : r().seedError
                  ? `Not seeding: ${r().seedError}`
                  : 'Not seeding.'}
            </div>
            <a class="button" href={downloadHref()} download={torrentFileName(r().name)}>
              Save .torrent
            </a>
          </div>
        )}
      </Show>
      <Show when={error()}>
        <div class="form-error" role="alert">
          {error()}
        </div>
      </Show>
      <div class="actions">
        <Show
          when={running()}
          fallback={
            <button type="button" onClick={() => props.onClose()}>
              {result() ? 'Close' : 'Cancel'}
            </button>
          }
        >
          <button type="button" onClick={() => void props.api.cancelCreateTorrent(job()!.id)}>
            Stop
          </button>
        </Show>
        <Show when={!result()}>
          <button type="submit" class="primary" disabled={running() || props.folders.length === 0}>
            Create
          </button>
        </Show>
      </div>
    </Modal>
  )
}
