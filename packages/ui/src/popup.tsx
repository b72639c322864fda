/** The extension popup: totals, the most active torrents, a magnet box and a button to the full UI. */
import { createMemo, createSignal, For, onCleanup, Show, type JSX } from 'solid-js'
import type { EngineApi } from '@tidepool/engine'
import { ProgressBar } from './components/progress-bar.tsx'
import { DAEMON_LABEL, StatusBanner, type HelperHelp } from './components/status-banner.tsx'
import { statusText } from './components/torrent-table.tsx'
import { formatRate } from './format.ts'
import { createEngineModel } from './store/engine-model.ts'
import { normaliseMagnet } from './torrent-files.ts'

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`

export function Popup(props: { api: EngineApi; onOpenFull: () => void; helperHelp?: HelperHelp }): JSX.Element {
  const model = createEngineModel(props.api)
  onCleanup(() => model.dispose())
  const [magnet, setMagnet] = createSignal('')
  const [msg, setMsg] = createSignal<string | null>(null)
  const top = createMemo(() => {
    model.version()
    return [...model.torrents]
      .sort((a, b) => b.downloadRate + b.uploadRate - (a.downloadRate + a.uploadRate) || b.addedAt - a.addedAt)
      .slice(0, 5)
  })
  const active = () => model.torrents.filter((t) => t.status === 'downloading').length
  const add = async (e: Event) => {
    e.preventDefault()
    const m = normaliseMagnet(magnet())
    if (!m) return setMsg('That is not a magnet link: paste one that starts with magnet:?xt=urn:btih:')
    try {
      const r = await props.api.addTorrentReport({ magnet: m })
      setMagnet('')
      setMsg(r.alreadyAdded ? `“${r.name}” is already in the list.` : `Added “${r.name}”.`)
      void model.refresh()
    } catch (err) {
      setMsg(String((err as Error)?.message ?? err))
    }
  }
  return (
    <div class="popup">
      <div class="totals">
        <b class="brand">
          <span class="logo">◐</span> Tidepool
        </b>
        <span class="grow" />
        <span class="dim">
          {plural(model.torrents.length, 'torrent')}, {active()} active
        </span>
      </div>
      <div class="totals">
        <span style={{ color: 'var(--down)' }}>▼ {formatRate(model.status()?.downloadRate ?? 0) || '0 B/s'}</span>
        <span style={{ color: 'var(--up)' }}>▲ {formatRate(model.status()?.uploadRate ?? 0) || '0 B/s'}</span>
      </div>
      <StatusBanner
        status={model.status()}
        apiError={model.apiError()}
        torrents={model.torrents}
        {...(props.helperHelp ? { help: props.helperHelp } : {})}
      />
      <div class="dim helper-state" data-daemon={model.status()?.daemon ?? 'connecting'}>
        {DAEMON_LABEL[model.status()?.daemon ?? 'connecting']}
      </div>
      <For each={top()} fallback={<div class="dim">No torrents yet.</div>}>
        {(t) => {
          const paused = () => t.status === 'paused' || t.status === 'error'
          const name = () => t.name || t.infoHash
          const toggle = () => {
            const h = t.infoHash
            ;(paused() ? props.api.startTorrent(h) : props.api.stopTorrent(h)).then(
              () => model.refresh(),
              (err) => setMsg(String((err as Error)?.message ?? err)),
            )
          }
          return (
            <div class="ptorrent" data-key={t.infoHash}>
              <span class="name" title={name()}>
                {name()}
              </span>
              <span class="dim right">{statusText(t)}</span>
              <button
                type="button"
                class="ptoggle"
                onClick={toggle}
                aria-label={`${paused() ? 'Resume' : 'Pause'} ${name()}`}
                title={paused() ? 'Resume' : 'Pause'}
              >
                {paused() ? '▶' : '❚❚'}
              </button>
              <ProgressBar value={t.progress} tone={t.status} label={`Progress of ${name()}`} />
              <span class="dim right">{formatRate(t.downloadRate)}</span>
            </div>
          )
        }}
      </For>
      <form class="totals" onSubmit={add}>
        <input
          class="grow"
          placeholder="Paste a magnet link"
          aria-label="Magnet link"
          value={magnet()}
          onInput={(e) => setMagnet(e.currentTarget.value)}
        />
        <button type="submit">Add</button>
      </form>
      <Show when={msg()}>
        <div class="dim" role="status">
          {msg()}
        </div>
      </Show>
      <button type="button" class="primary" onClick={() => props.onOpenFull()}>
        Open Tidepool in a tab
      </button>
    </div>
  )
}
