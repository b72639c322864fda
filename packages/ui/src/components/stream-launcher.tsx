import { createEffect, createSignal, Show, type JSX } from 'solid-js'
import type { EngineApi, FileRow } from '@tidepool/engine'
import { plainError } from '../format.ts'
import { PlayerView, type PlayerTarget } from './player-view.tsx'

/** What the Files tab offers per file when streaming is possible. */
export interface StreamActions {
  play(file: FileRow): void
  copyUrl(file: FileRow): void
}

/**
 * Opens a file's stream (the engine publishes it at a local URL) for the built-in player or for the
 * clipboard. One per detail pane; `view` renders the open player and the last error.
 */
export function createStreamLauncher(
  api: EngineApi,
  infoHash: () => string | undefined,
  files: () => readonly FileRow[],
): { actions: StreamActions; view: () => JSX.Element; options: () => JSX.Element } {
  const [target, setTarget] = createSignal<PlayerTarget | null>(null)
  const [error, setError] = createSignal<string | null>(null)
  const [notice, setNotice] = createSignal<string | null>(null)
  const open = async (file: FileRow): Promise<PlayerTarget | null> => {
    const hash = infoHash()
    if (!hash) return null
    setError(null)
    try {
      const url = await api.openStream(hash, file.index)
      if (!url) throw new Error('the helper does not serve streams on a port')
      // files are laid out in index order: a file's offset is the sizes before it
      let offset = 0
      for (const f of files()) if (f.index < file.index) offset += f.size
      const name = file.path.split('/').pop() ?? file.path
      return { infoHash: hash, fileIndex: file.index, name, offset, size: file.size, url }
    } catch (err) {
      setError(`Cannot stream ${file.path}: ${plainError(String((err as Error)?.message ?? err))}`)
      return null
    }
  }
  const actions: StreamActions = {
    play: (file) => void open(file).then((t) => t && setTarget(t)),
    copyUrl: (file) =>
      void open(file).then((t) => {
        if (!t) return
        navigator.clipboard.writeText(t.url).then(
          () => setNotice(`Copied the stream URL of ${t.name}`),
          () => setNotice(`Stream URL of ${t.name}: ${t.url}`),
        )
      }),
  }
  const view = () => (
    <>
      <Show when={error()}>
        <div class="banner bad" role="alert">
          {error()}
        </div>
      </Show>
      <Show when={notice()}>
        <div class="banner" role="status">
          {notice()}
        </div>
      </Show>
      <Show when={target()}>{(t) => <PlayerView api={api} target={t()} onClose={() => setTarget(null)} />}</Show>
    </>
  )
  // the torrent's download order (sequential, first/last pieces first), read when the torrent changes
  const [order, setOrder] = createSignal({ sequential: false, firstLast: false })
  createEffect(() => {
    const hash = infoHash()
    if (!hash) return
    api
      .getTorrentDetail(hash, ['streaming'])
      .then((d) => {
        if (d.streaming && infoHash() === hash)
          setOrder({ sequential: d.streaming.sequential, firstLast: d.streaming.firstLastPiecesFirst })
      })
      .catch(() => undefined) // the torrent went away: the switches show their last state
  })
  const change = (patch: { sequential?: boolean; firstLast?: boolean }) => {
    const hash = infoHash()
    if (!hash) return
    setOrder({ ...order(), ...patch })
    if (patch.sequential !== undefined) void api.setSequential(hash, patch.sequential)
    if (patch.firstLast !== undefined) void api.setFirstLastPiecesFirst(hash, patch.firstLast)
  }
  const options = () => (
    <div class="files-toolbar" role="group" aria-label="Download order">
      <label>
        <input
          type="checkbox"
          checked={order().sequential}
          onChange={(e) => change({ sequential: e.currentTarget.checked })}
        />{' '}
        Sequential download
      </label>
      <label>
        <input
          type="checkbox"
          checked={order().firstLast}
          onChange={(e) => change({ firstLast: e.currentTarget.checked })}
        />{' '}
        First and last pieces first
      </label>
    </div>
  )
  return { actions, view, options }
}
