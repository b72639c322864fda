/**
 * How this helper starts its own processes. It runs in one of two shapes:
 * - `checkout`: from a git checkout, TypeScript through tsx (`pnpm native-host`, `pnpm daemon`);
 * - `bundle`: the self-contained `tidepool-helper` package (`pnpm pack:helper`), one esbuild bundle
 *   that is the native-messaging host, the daemon and the installer at once, with no tsx and no
 *   workspace. Moving a checkout broke the installed launcher; the package lives where npm put it.
 * The bundle build defines the constants below; from a checkout they are undefined.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DATA_PATH_NODE_FLAGS } from './node-flags.ts'

declare const __TIDEPOOL_HELPER_VERSION__: string | undefined

export interface LaunchLayout {
  kind: 'checkout' | 'bundle'
  /** Node arguments that run the native-messaging host (Chrome's arguments follow). */
  hostArgs: string[]
  /** Node arguments that run the daemon (its flags follow). */
  daemonArgs: string[]
  /** Text the daemon's command line contains: how a stale daemon.json's pid is recognised as ours. */
  daemonMarker: string
  version: string
  /** The extension id this helper admits by default (a file beside the sources or the bundle). */
  extensionIdFile: string
}

const HERE = dirname(fileURLToPath(import.meta.url))

function checkoutLayout(): LaunchLayout {
  const root = join(HERE, '..', '..')
  const hostCli = join(HERE, 'cli', 'native-host.ts')
  const daemonCli = join(HERE, 'cli', 'daemon.ts')
  // tsx's ESM loader by absolute URL: the launcher runs with any working directory.
  const tsx = (): string[] => ['--import', import.meta.resolve('tsx')]
  return {
    kind: 'checkout',
    get hostArgs() {
      return [...tsx(), hostCli]
    },
    get daemonArgs() {
      return [...DATA_PATH_NODE_FLAGS, ...tsx(), daemonCli]
    },
    daemonMarker: daemonCli,
    version: (JSON.parse(readFileSync(join(HERE, '..', 'package.json'), 'utf8')) as { version: string }).version,
    extensionIdFile: join(root, 'extension', 'EXTENSION_ID'),
  }
}

/** In the bundle this module's URL is the bundle's own file: `<package>/bin/tidepool-helper.mjs`. */
function bundleLayout(version: string): LaunchLayout {
  const bundle = fileURLToPath(import.meta.url)
  return {
    kind: 'bundle',
    hostArgs: [bundle, 'host'],
    daemonArgs: [...DATA_PATH_NODE_FLAGS, bundle, 'daemon'],
    daemonMarker: `${bundle} daemon`,
    version,
    extensionIdFile: join(dirname(bundle), '..', 'EXTENSION_ID'),
  }
}

export const LAUNCH_LAYOUT: LaunchLayout =
  typeof __TIDEPOOL_HELPER_VERSION__ === 'string' ? bundleLayout(__TIDEPOOL_HELPER_VERSION__) : checkoutLayout()
