/** Extension pages reach the engine (in the offscreen document) through a runtime port. */
import * as Comlink from 'comlink'
import type { EngineApi } from '@tidepool/engine'
import { ENGINE_PORT, type ExtMessage } from '../shared/messages.ts'
import { portEndpoint } from '../shared/port-endpoint.ts'

export async function connectEngine(): Promise<EngineApi> {
  // Make sure the offscreen document exists before connecting to it.
  await chrome.runtime.sendMessage({ to: 'background', type: 'ensure-engine' } satisfies ExtMessage).catch(() => {})
  const port = chrome.runtime.connect({ name: ENGINE_PORT })
  return Comlink.wrap<EngineApi>(portEndpoint(port)) as unknown as EngineApi
}
