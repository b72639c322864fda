/** The full UI in a tab (app.html). */
import { render } from 'solid-js/web'
import { App } from '@tidepool/ui'
import '@tidepool/ui/styles.css'
import { connectEngine, installCommand } from './connect-engine.ts'

const api = await connectEngine()
render(() => <App api={api} installCommand={installCommand()} />, document.getElementById('root')!)
