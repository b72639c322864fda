import type { EngineApi } from '@tidepool/engine'
import type { CompanionApi } from '@tidepool/ui'

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
  'createTorrent',
  'createTorrentStatus',
  'cancelCreateTorrent',
  'browseFolder',
  'moveTorrent',
  'refreshFolders',
  'revokeFolder',
  'moveInQueue',
  'setForceStart',
  'setSeedLimits',
  'setSequential',
  'setFirstLastPiecesFirst',
  'openStream',
  'closeStream',
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

/** The engine host's daemon choice (local helper or companion), forwarded beside the EngineApi. */
export function forwardCompanionApi(target: () => Omit<CompanionApi, 'getStatus'>): Omit<CompanionApi, 'getStatus'> {
  return {
    daemonInUse: () => target().daemonInUse(),
    pairCompanion: (address, code, clientName) => target().pairCompanion(address, code, clientName),
    useDaemon: (kind) => target().useDaemon(kind),
  }
}
