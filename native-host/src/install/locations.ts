/** Where Chrome and Chromium look for native-messaging host manifests (per user). */
import { homedir } from 'node:os'
import { join } from 'node:path'

export type Browser = 'chrome' | 'chromium'

export const HOST_NAME = 'com.tidepool.daemon'

export interface LocationInput {
  browser: Browser
  /** A custom --user-data-dir: then DIR/NativeMessagingHosts is the only place Chrome reads. */
  userDataDir?: string
  platform?: NodeJS.Platform
  home?: string
  env?: NodeJS.ProcessEnv
}

export function manifestDir(i: LocationInput): string {
  if (i.userDataDir) return join(i.userDataDir, 'NativeMessagingHosts')
  const platform = i.platform ?? process.platform
  const home = i.home ?? homedir()
  const env = i.env ?? process.env
  if (platform === 'linux') {
    // Chrome's default user-data-dir follows XDG_CONFIG_HOME on Linux.
    const cfg = env.XDG_CONFIG_HOME || join(home, '.config')
    return join(cfg, i.browser === 'chrome' ? 'google-chrome' : 'chromium', 'NativeMessagingHosts')
  }
  if (platform === 'darwin') {
    const base = join(home, 'Library', 'Application Support')
    return join(base, i.browser === 'chrome' ? join('Google', 'Chrome') : 'Chromium', 'NativeMessagingHosts')
  }
  throw new Error(
    `automatic install is for Linux and macOS; on ${platform} see docs/native-host.md (Windows registry key)`,
  )
}

/** Where the launcher script goes: beside the profile for a custom user-data-dir, else the user's data dir. */
export function launcherPath(i: LocationInput): string {
  if (i.userDataDir) return join(i.userDataDir, 'tidepool', 'native-host.sh')
  const platform = i.platform ?? process.platform
  const home = i.home ?? homedir()
  const env = i.env ?? process.env
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Tidepool', 'native-host.sh')
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'tidepool', 'native-host.sh')
}

export function manifestPath(i: LocationInput): string {
  return join(manifestDir(i), `${HOST_NAME}.json`)
}
