import { join, resolve } from 'node:path'
import { BtEngine, type LogPort } from '@tidepool/engine'
import type { DhtChoice, DownloadArgs } from './args.ts'
import { setupBridge, type BridgeSetup } from './bridge-setup.ts'
import { DirStateStore } from './dir-state-store.ts'
import { startSha1Workers, type Sha1Workers } from './sha1-workers.ts'

/** The flags `download` and `seed` share that shape the engine and its daemon. */
export type EngineArgs = Pick<
  DownloadArgs,
  'daemonUrl' | 'tokenFile' | 'stateDir' | 'port' | 'lsd' | 'portMapping' | 'encryption' | 'dht' | 'utp'
> &
  Partial<Pick<DownloadArgs, 'webSeeds'>>

/**
 * The bridge (own daemon or a running one) plus one BtEngine over it, as both CLI commands use them:
 * `dir` is served as the root `rootName`, state lives in `stateDir` or `dir/.tidepool`.
 */
export async function createCliEngine(opts: {
  dir: string
  rootName: string
  /** What both commands' flags say about the daemon, the listen port, discovery and encryption. */
  args: EngineArgs
  /** Where log lines go (`--debug`); none when absent. */
  log?: LogPort
  /** `tidepool stream`: the daemon serves streams on this port (0: any). */
  streamPort?: number
}): Promise<{ bridge: BridgeSetup; engine: BtEngine; root: string; hasher: Sha1Workers }> {
  const bridge = await setupBridge({
    roots: { [opts.rootName]: opts.dir },
    daemonUrl: opts.args.daemonUrl,
    tokenFile: opts.args.tokenFile,
    portMapping: opts.args.portMapping,
    ...(opts.streamPort !== undefined ? { streamPort: opts.streamPort } : {}),
  })
  const root = bridge.roots.includes(opts.rootName) ? opts.rootName : bridge.roots[0]
  const state = new DirStateStore(opts.args.stateDir ? resolve(opts.args.stateDir) : join(opts.dir, '.tidepool'))
  const hasher = startSha1Workers()
  const engine = new BtEngine({
    platform: {
      net: bridge.net,
      files: bridge.files,
      streams: bridge.streams,
      ...(bridge.dataPlane ? { dataPlane: bridge.dataPlane } : {}),
      state,
      hasher,
      now: () => Date.now(),
      log: opts.log,
    },
    settings: {
      downloadRoot: root,
      listenPort: opts.args.port,
      localPeerDiscovery: opts.args.lsd,
      portMapping: opts.args.portMapping,
      encryption: opts.args.encryption,
      utp: opts.args.utp,
      ...dhtSettings(opts.args.dht),
      ...(opts.args.webSeeds === false ? { webSeeds: false } : {}),
      ...dataPlaneSetting(),
      // every torrent named on the command line runs at once: the user asked for all of them now
      queueingEnabled: false,
    },
    restoreSession: false,
  })
  return { bridge, engine, root, hasher }
}

/** TIDEPOOL_DATA_PLANE=0 turns the data plane off (A/B comparisons, the suite over the old path). */
export function dataPlaneSetting(env: Record<string, string | undefined> = process.env): { dataPlane?: boolean } {
  return env.TIDEPOOL_DATA_PLANE === '0' ? { dataPlane: false } : {}
}

/**
 * The DHT settings for the flags; without flags the engine's defaults (on, public routers), unless
 * TIDEPOOL_DHT=off, which test and benchmark harnesses set so nothing of theirs reaches the public DHT.
 * The DHT's UDP port follows `--port` (its default, 0, means the listen port).
 */
export function dhtSettings(
  choice: DhtChoice,
  env: Record<string, string | undefined> = process.env,
): { dhtEnabled?: boolean; dhtBootstrap?: string[] } {
  if (choice) return choice.enabled ? { dhtEnabled: true, dhtBootstrap: choice.bootstrap } : { dhtEnabled: false }
  return env.TIDEPOOL_DHT === 'off' ? { dhtEnabled: false } : {}
}
