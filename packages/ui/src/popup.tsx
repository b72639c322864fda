/** The extension popup: totals, the most active torrents, a magnet box and a button to the full UI. */
import { createMemo, createSignal, For, onCleanup, Show, type JSX } from 'solid-js'
import type { EngineApi } from '@tidepool/engine'
import { ProgressBar } from './components/progress-bar.tsx'
import { StatusBanner, type HelperHelp } from './components/status-banner.tsx'
import { STATUS_LABEL } from './components/torrent-table.tsx'
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
    return [...model.torrents].sort((a, b) => b.downloadRate + b.uploadRate - (a.downloadRate + a.uploadRate) || b.addedAt - a.addedAt).slice(0, 5)
  })
  const active = () => model.torrents.filter((t) => t.status === 'downloading').length
  const add = async (e: Event) => {
    e.preventDefault()
    const m = normaliseMagnet(magnet())
    if (!m) return setMsg('Not a magnet link.')
    try {
      await props.api.addTorrent({ magnet: m })
      setMagnet('')
      setMsg('Added.')
      void model.refresh()
    } catch (err) {
      setMsg(String((err as Error)?.message ?? err))
    }
  }
  return (
    <div class="popup">
      <div class="totals">
        <b class="brand"><span class="logo">◐</span> Tidepool</b>
        <span class="grow" />
        <span class="dim">{plural(model.torrents.length, 'torrent')}, {active()} active</span>
      </div>
      <div class="totals">
        <span style={{ color: 'var(--down)' }}>▼ {formatRate(model.status()?.downloadRate ?? 0) || '0 B/s'}</span>
        <span style={{ color: 'var(--up)' }}>▲ {formatRate(model.status()?.uploadRate ?? 0) || '0 B/s'}</span>
      </div>
      <StatusBanner status={model.status()} apiError={model.apiError()} torrents={model.torrents} {...(props.helperHelp ? { help: props.helperHelp } : {})} />
      <For each={top()} fallback={<div class="dim">No torrents yet.</div>}>
        {(t) => (
          <div class="ptorrent">
            <span class="name" title={t.name}>{t.name || t.infoHash}</span>
            <span class="dim right">{t.error ? 'Error' : STATUS_LABEL[t.status]}</span>
            <ProgressBar value={t.progress} tone={t.status} />
            <span class="dim right">{formatRate(t.downloadRate)}</span>
          </div>
        )}
      </For>
      <form class="totals" onSubmit={add}>
        <input class="grow" placeholder="Paste a magnet link" aria-label="Magnet link" value={magnet()} onInput={(e) => setMagnet(e.currentTarget.value)} />
        <button type="submit">Add</button>
      </form>
      <Show when={msg()}><div class="dim">{msg()}</div></Show>
      <button class="primary" onClick={() => props.onOpenFull()}>Open Tidepool</button>
    </div>
  )
}
