import type { EncryptionPolicy, EngineSettings } from '../api/types.ts'
import { parseIp } from '../pool/ip-address.ts'
import { normalizeSaveDir } from './torrent-moves.ts'
import { mergeAltSpeedSettings } from './alt-speed.ts'

/** The one place engine settings are defined: defaults and bounds. */
export const DEFAULT_SETTINGS: EngineSettings = {
  downloadRoot: 'downloads',
  incompleteRoot: '',
  incompleteDir: '',
  maxConnectionsGlobal: 200,
  maxPeersPerTorrent: 50,
  // The fair connection queue's token bucket: 10 grants a second, bursts of 20.
  connectionRatePerSec: 10,
  connectionBurst: 20,
  downloadRateLimit: 0,
  uploadRateLimit: 0,
  listenPort: 0,
  localPeerDiscovery: true,
  announceIpv6: '',
  portMapping: true,
  encryption: 'prefer',
  utp: true,
  dhtEnabled: true,
  dhtBootstrap: [
    'router.bittorrent.com:6881',
    'dht.transmissionbt.com:6881',
    'router.utorrent.com:6881',
    'dht.libtorrent.org:25401',
  ],
  dhtPort: 0,
  webSeeds: true,
  dataPlane: true,
  // qBittorrent's queueing defaults
  queueingEnabled: true,
  maxActiveDownloads: 3,
  maxActiveSeeds: 3,
  maxActiveTorrents: 5,
  dontCountSlowTorrents: true,
  shareRatioLimit: 0,
  seedingTimeLimitMin: 0,
  seedLimitAction: 'stop',
  // alternative limits as qBittorrent's defaults: 10 KiB/s each way, scheduler off (08:00-20:00 every day)
  altDownloadRateLimit: 10 * 1024,
  altUploadRateLimit: 10 * 1024,
  altSpeedActive: false,
  altScheduleEnabled: false,
  altScheduleFrom: 8 * 60,
  altScheduleTo: 20 * 60,
  altScheduleDays: [0, 1, 2, 3, 4, 5, 6],
  notifyOnComplete: true,
  notifyOnError: true,
  takeOverTorrentDownloads: true,
}

const ENCRYPTION: readonly EncryptionPolicy[] = ['prefer', 'require', 'disable']

type NumericSetting = {
  [K in keyof EngineSettings]: EngineSettings[K] extends number ? K : never
}[keyof EngineSettings]

/** Bounds of the numeric settings: the engine clamps to them and the settings dialog checks them. */
export const SETTING_BOUNDS: Readonly<Record<NumericSetting, readonly [number, number]>> = {
  maxConnectionsGlobal: [1, 5000],
  maxPeersPerTorrent: [1, 1000],
  connectionRatePerSec: [0, 1000],
  connectionBurst: [0, 10000],
  downloadRateLimit: [0, 1e12],
  uploadRateLimit: [0, 1e12],
  listenPort: [0, 65535],
  dhtPort: [0, 65535],
  maxActiveDownloads: [1, 1000],
  maxActiveSeeds: [1, 1000],
  maxActiveTorrents: [1, 1000],
  shareRatioLimit: [0, 9998],
  seedingTimeLimitMin: [0, 525600],
  altDownloadRateLimit: [0, 1e12],
  altUploadRateLimit: [0, 1e12],
  altScheduleFrom: [0, 24 * 60 - 1],
  altScheduleTo: [0, 24 * 60 - 1],
}

/** A folder inside a root, or the previous value when it is not one ('..', NUL, backslash). */
function safeDir(dir: string, prev: string): string {
  try {
    return normalizeSaveDir(dir)
  } catch {
    return prev
  }
}

/** At most this many bootstrap nodes are kept. */
const MAX_BOOTSTRAP = 32

/** Applies a patch, keeping only known keys with values of the right type, clamped to bounds. */
export function mergeSettings(
  base: EngineSettings,
  patch: Partial<EngineSettings> | Record<string, unknown>,
): EngineSettings {
  const out: EngineSettings = { ...base }
  const p = patch as Record<string, unknown>
  if (typeof p.downloadRoot === 'string' && p.downloadRoot.length > 0) out.downloadRoot = p.downloadRoot
  if (typeof p.incompleteRoot === 'string') out.incompleteRoot = p.incompleteRoot
  if (typeof p.incompleteDir === 'string') out.incompleteDir = safeDir(p.incompleteDir, out.incompleteDir)
  if (typeof p.localPeerDiscovery === 'boolean') out.localPeerDiscovery = p.localPeerDiscovery
  if (typeof p.announceIpv6 === 'string') {
    // only an IPv6 address (or '' to clear): the value goes into every HTTP announce
    const ip = p.announceIpv6 === '' ? null : parseIp(p.announceIpv6)
    if (p.announceIpv6 === '') out.announceIpv6 = ''
    else if (ip?.family === 6) out.announceIpv6 = ip.text
  }
  if (typeof p.portMapping === 'boolean') out.portMapping = p.portMapping
  if (ENCRYPTION.includes(p.encryption as EncryptionPolicy)) out.encryption = p.encryption as EncryptionPolicy
  if (typeof p.utp === 'boolean') out.utp = p.utp
  if (typeof p.dhtEnabled === 'boolean') out.dhtEnabled = p.dhtEnabled
  if (typeof p.webSeeds === 'boolean') out.webSeeds = p.webSeeds
  if (typeof p.dataPlane === 'boolean') out.dataPlane = p.dataPlane
  if (Array.isArray(p.dhtBootstrap))
    out.dhtBootstrap = p.dhtBootstrap
      .filter((e): e is string => typeof e === 'string' && parseHostPort(e) !== null)
      .slice(0, MAX_BOOTSTRAP)
  mergeAltSpeedSettings(out, p)
  if (typeof p.notifyOnComplete === 'boolean') out.notifyOnComplete = p.notifyOnComplete
  if (typeof p.notifyOnError === 'boolean') out.notifyOnError = p.notifyOnError
  if (typeof p.takeOverTorrentDownloads === 'boolean') out.takeOverTorrentDownloads = p.takeOverTorrentDownloads
  for (const key of Object.keys(SETTING_BOUNDS) as Array<keyof typeof SETTING_BOUNDS>) {
    const v = p[key]
    if (typeof v !== 'number' || !Number.isFinite(v)) continue
    const [lo, hi] = SETTING_BOUNDS[key]
    out[key] = Math.round(Math.min(hi, Math.max(lo, v)))
  }
  if (typeof p.queueingEnabled === 'boolean') out.queueingEnabled = p.queueingEnabled
  if (typeof p.dontCountSlowTorrents === 'boolean') out.dontCountSlowTorrents = p.dontCountSlowTorrents
  if (p.seedLimitAction === 'stop' || p.seedLimitAction === 'remove') out.seedLimitAction = p.seedLimitAction
  // a ratio keeps two decimals (1.5 is a common limit), where the loop above rounds to integers
  const ratio = p.shareRatioLimit
  if (typeof ratio === 'number' && Number.isFinite(ratio))
    out.shareRatioLimit = Math.round(Math.min(9998, Math.max(0, ratio)) * 100) / 100
  return out
}

/** "host:port" or "[v6]:port" → parts; null when malformed. */
export function parseHostPort(s: string): { host: string; port: number } | null {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(s.trim()) ?? /^([^\s:[\]]+):(\d{1,5})$/.exec(s.trim())
  if (!m) return null
  const port = Number(m[2])
  if (port < 1 || port > 65535 || m[1].length > 253) return null
  return { host: m[1], port }
}
