/** The full UI in a tab (app.html). */
import { render } from 'solid-js/web'
import { App } from '@tidepool/ui'
import '@tidepool/ui/styles.css'
import { connectEngine, installCommand } from './connect-engine.ts'

const api = await connectEngine()

// magnet: links opened in the browser arrive as app.html#magnet=<escaped link> (manifest
// protocol_handlers, where Chrome supports it for extensions).
const m = /^#magnet=(.+)$/.exec(location.hash)
if (m) {
  history.replaceState(null, '', location.pathname)
  const magnet = decodeURIComponent(m[1]!)
  if (/^magnet:\?/i.test(magnet)) void api.addTorrent({ magnet }).catch((e) => console.warn('tidepool: could not add magnet', e))
}

render(() => <App api={api} installCommand={installCommand()} />, document.getElementById('root')!)
