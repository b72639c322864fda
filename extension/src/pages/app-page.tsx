/** The full UI in a tab (app.html). */
import { render } from 'solid-js/web'
import { addFromHandler, App, takeHandlerMagnet } from '@tidepool/ui'
import '@tidepool/ui/styles.css'
import { connectEngine } from './connect-engine.ts'

const api = await connectEngine()
const magnet = takeHandlerMagnet(location, history)

const root = document.getElementById('root')!
render(() => <App api={api} helperHelp={{ kind: 'extension', extensionId: chrome.runtime.id }} />, root)
// After the app, so the notice shows above it.
if (magnet !== null) void addFromHandler(api, magnet, document.body)
