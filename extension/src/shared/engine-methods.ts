import type { EngineApi } from '@tidepool/engine'

/** Every EngineApi method, for forwarding objects (a comlink Remote cannot be re-exposed directly). */
export const ENGINE_METHODS = [
  'getStatus',
  'listTorrents',
  'getTorrentDetail',
  'addTorrent',
  'addTorrentReport',
  'removeTorrent',
  'startTorrent',
  'stopTorrent',
  'recheckTorrent',
  'setFilePriority',
  'setFilePriorities',
  'getSettings',
  'setSettings',
  'torrentLog',
  'magnetLink',
  'setTorrentLabel',
  'editTrackers',
  'setTorrentRateLimits',
] as const satisfies ReadonlyArray<keyof EngineApi>

type Missing = Exclude<keyof EngineApi, (typeof ENGINE_METHODS)[number]>
// Fails to compile when EngineApi gains a method this list lacks.
const complete: Missing extends never ? true : false = true
void complete

export function forwardEngineApi(target: () => EngineApi): EngineApi {
  const out: Record<string, unknown> = {}
  for (const m of ENGINE_METHODS)
    out[m] = (...args: unknown[]) => (target()[m] as (...a: unknown[]) => unknown)(...args)
  return out as unknown as EngineApi
}
