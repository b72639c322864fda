import { createSignal, onCleanup, onMount, Show, type JSX } from 'solid-js'
import type { EngineApi, PiecesView } from '@tidepool/engine'
import { Modal } from './modal.tsx'

const AUDIO = /\.(mp3|m4a|aac|flac|ogg|oga|opus|wav)$/i
/** How often the piece map under the buffer bar is refreshed. */
const PIECES_POLL_MS = 1000

export interface PlayerTarget {
  infoHash: string
  fileIndex: number
  name: string
  /** The file's byte offset in the torrent and its size (which pieces are its own). */
  offset: number
  size: number
  url: string
}

/**
 * The built-in player: a video (or audio) element reading the file's local stream URL while the
 * torrent downloads (the daemon serves it; the engine makes what the element asks for urgent). Under
 * it the buffer bar: the file's pieces (have, downloading, missing), what the element has buffered and
 * where it plays. The URL is shown for external players (VLC, mpv).
 */
export function PlayerView(props: { api: EngineApi; target: PlayerTarget; onClose: () => void }): JSX.Element {
  const t = props.target
  const audio = AUDIO.test(t.name)
  let media!: HTMLMediaElement
  let canvas!: HTMLCanvasElement
  const [buffered, setBuffered] = createSignal<Array<[number, number]>>([])
  const [position, setPosition] = createSignal(0)
  const [copied, setCopied] = createSignal(false)
  let pieces: PiecesView | null = null

  const drawPieces = () => {
    const p = pieces
    if (!p || !canvas) return
    const first = Math.floor(t.offset / p.pieceLength)
    const last = Math.max(first, Math.floor((t.offset + Math.max(1, t.size) - 1) / p.pieceLength))
    const n = last - first + 1
    const w = Math.max(100, canvas.clientWidth)
    canvas.width = w
    canvas.height = 10
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    const css = getComputedStyle(canvas)
    const colors = [
      css.getPropertyValue('--piece-missing').trim() || '#ddd',
      css.getPropertyValue('--piece-downloading').trim() || '#f5a623',
      css.getPropertyValue('--piece-have').trim() || '#2f80ed',
      css.getPropertyValue('--piece-skip').trim() || '#aaa',
    ]
    for (let i = 0; i < n; i++) {
      ctx.fillStyle = colors[p.states[first + i] ?? 0]!
      const x0 = Math.floor((i * w) / n)
      ctx.fillRect(x0, 0, Math.max(1, Math.floor(((i + 1) * w) / n) - x0), 10)
    }
  }
  const poll = () =>
    props.api
      .getTorrentDetail(t.infoHash, ['pieces'])
      .then((d) => {
        pieces = d.pieces ?? null
        drawPieces()
      })
      .catch(() => undefined) // the torrent went away: the bar just stops changing
  onMount(() => {
    void poll()
    const timer = setInterval(poll, PIECES_POLL_MS)
    onCleanup(() => clearInterval(timer))
  })
  const onProgress = () => {
    const d = media.duration
    if (!Number.isFinite(d) || d <= 0) return
    const out: Array<[number, number]> = []
    for (let i = 0; i < media.buffered.length; i++) out.push([media.buffered.start(i) / d, media.buffered.end(i) / d])
    setBuffered(out)
    setPosition(media.currentTime / d)
  }
  const copy = () =>
    void navigator.clipboard.writeText(t.url).then(
      () => setCopied(true),
      () => setCopied(false),
    )

  const mediaProps = {
    src: t.url,
    controls: true,
    autoplay: true,
    preload: 'auto',
    onProgress,
    onTimeUpdate: onProgress,
    'aria-label': `Player: ${t.name}`,
  } as const
  return (
    <Modal label={`Play ${t.name}`} onClose={props.onClose} onSubmit={(e) => e.preventDefault()}>
      <div class="player">
        <h2>{t.name}</h2>
        {audio ? (
          <audio ref={(el) => (media = el)} class="player-media" {...mediaProps} />
        ) : (
          <video ref={(el) => (media = el)} class="player-media" {...mediaProps} />
        )}
        <div class="buffer-bar" role="img" aria-label="Pieces of this file and what the player has buffered">
          <canvas ref={canvas} class="buffer-pieces" />
          <div class="buffer-ranges">
            {buffered().map(([a, b]) => (
              <i style={{ left: `${a * 100}%`, width: `${Math.max(0.2, (b - a) * 100)}%` }} />
            ))}
            <b style={{ left: `${position() * 100}%` }} />
          </div>
        </div>
        <label class="field">
          <span>Stream URL (for VLC, mpv)</span>
          <input readonly value={t.url} onFocus={(e) => e.currentTarget.select()} />
        </label>
        <div class="actions">
          <button type="button" onClick={copy}>
            Copy stream URL
          </button>
          <Show when={copied()}>
            <span role="status">Copied</span>
          </Show>
          <button type="button" onClick={props.onClose}>
            Close
          </button>
        </div>
      </div>
    </Modal>
  )
}
