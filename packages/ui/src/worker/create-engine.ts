/** Builds the real engine on a platform (kept apart so EngineHost stays testable without it). */
import { BtEngine, createEngineApi } from '@tidepool/engine'
import type { Platform } from '@tidepool/engine'
import type { RunningEngine } from './engine-host.ts'

export async function createBtEngine(platform: Platform): Promise<RunningEngine> {
  const engine = new BtEngine({ platform })
  await engine.start()
  return { api: createEngineApi(engine), close: () => engine.stop() }
}
