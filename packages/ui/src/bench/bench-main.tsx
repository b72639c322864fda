/**
 * Bench and screenshot page: the real App on a FakeEngine (200 torrents; 2,000 peers in the first).
 * Query: ?torrents=N&peers=N&files=N (files of the first torrent)&daemon=unreachable|auth-failed|not-installed&theme=dark|light&empty=1
 * window.__bench exposes the engine and a frame meter for test/bench/ui.ts.
 */
import { render } from 'solid-js/web'
import type { EngineStatus } from '@tidepool/engine'
import { App } from '../app.tsx'
import { Popup } from '../popup.tsx'
import { FakeEngine } from '../dev/fake-engine.ts'
import { setTheme } from '../theme.ts'
import '../styles.css'

const q = new URLSearchParams(location.search)
const theme = q.get('theme')
if (theme === 'dark' || theme === 'light') setTheme(theme)
const daemon = q.get('daemon') as EngineStatus['daemon'] | null
const engine = new FakeEngine({
  torrents: q.get('empty') ? 0 : Number(q.get('torrents') ?? 200),
  peersInFirst: Number(q.get('peers') ?? 2000),
  peersPerTorrent: 10,
  filesInFirst: Number(q.get('files') ?? 0),
  ...(daemon
    ? { status: { daemon, message: daemon === 'not-installed' ? 'Specified native messaging host not found.' : '' } }
    : {}),
})
if (!q.get('diskfull'))
  for (const t of engine.torrents.values())
    if (t.summary.error?.startsWith('no-space')) {
      t.summary.error = 'tracker: all trackers failed'
    }
engine.tick()
setInterval(() => engine.tick(), 1000)

const frames: number[] = []
let measuring = false
let last = 0
function loop(t: number): void {
  if (measuring && last) frames.push(t - last)
  last = t
  requestAnimationFrame(loop)
}
requestAnimationFrame(loop)

;(window as unknown as { __bench: unknown }).__bench = {
  engine,
  start() {
    frames.length = 0
    last = 0
    measuring = true
  },
  stop() {
    measuring = false
    return frames.slice()
  },
}

render(
  () => (q.get('popup') ? <Popup api={engine} onOpenFull={() => {}} /> : <App api={engine} />),
  document.getElementById('root')!,
)
