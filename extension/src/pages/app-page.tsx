/** The full UI in a tab (app.html). */
import { render } from 'solid-js/web'
import { addFromHandler, App, CompanionPanel, type CompanionApi, takeHandlerMagnet } from '@tidepool/ui'
import '@tidepool/ui/styles.css'
import { connectEngine } from './connect-engine.ts'

const api = await connectEngine()
const magnet = takeHandlerMagnet(location, history)

const root = document.getElementById('root')!
// Local helper or a companion on another device: the same daemon line as the web app's, above the app.
const companionRoot = document.createElement('div')
root.before(companionRoot)
render(
  () => (
    <CompanionPanel
      api={api as unknown as CompanionApi}
      clientName={`extension on ${navigator.platform || 'this computer'}`}
    />
  ),
  companionRoot,
)
render(() => <App api={api} helperHelp={{ kind: 'extension', extensionId: chrome.runtime.id }} />, root)
// After the app, so the notice shows above it.
if (magnet !== null) void addFromHandler(api, magnet, document.body)
