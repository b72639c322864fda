/** Extension pages reach the engine (in the offscreen document) through a runtime port. */
import * as Comlink from 'comlink'
import type { EngineApi } from '@tidepool/engine'
import { ENGINE_PORT, type ExtMessage } from '../shared/messages.ts'
import { reconnectingEndpoint } from '../shared/port-endpoint.ts'

export async function connectEngine(): Promise<EngineApi> {
  const endpoint = reconnectingEndpoint(async () => {
    // Make sure the offscreen document exists before connecting to it; if it is not listening yet,
    // the port closes at once and the endpoint connects again.
    await chrome.runtime.sendMessage({ to: 'background', type: 'ensure-engine' } satisfies ExtMessage).catch(() => {})
    const port = chrome.runtime.connect({ name: ENGINE_PORT })
    // "Receiving end does not exist" is expected while the offscreen document starts: read it so
    // Chrome does not log it as unchecked
    port.onDisconnect.addListener(() => void chrome.runtime.lastError)
    return port
  })
  return Comlink.wrap<EngineApi>(endpoint) as unknown as EngineApi
}
