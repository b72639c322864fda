/** The toolbar popup (popup.html): totals, a few torrents, a magnet box, a button to the full UI. */
import { render } from 'solid-js/web'
import { Popup } from '@tidepool/ui'
import '@tidepool/ui/styles.css'
import { connectEngine } from './connect-engine.ts'

const api = await connectEngine()
const openFull = () => {
  void chrome.tabs.create({ url: chrome.runtime.getURL('app.html') })
  window.close()
}
render(
  () => <Popup api={api} onOpenFull={openFull} helperHelp={{ kind: 'extension', extensionId: chrome.runtime.id }} />,
  document.getElementById('root')!,
)
