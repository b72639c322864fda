/** Page side: start the engine worker and get its API (an EngineApi plus init/setUnavailable). */
import * as Comlink from 'comlink'
import type { EngineHost } from './engine-host.ts'

export type EngineWorkerApi = Comlink.Remote<EngineHost>

export function startEngineWorker(): { api: EngineWorkerApi; worker: Worker } {
  const worker = new Worker(new URL('./engine-worker.ts', import.meta.url), { type: 'module', name: 'tidepool-engine' })
  return { api: Comlink.wrap<EngineHost>(worker), worker }
}
