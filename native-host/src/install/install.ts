/** Writes or removes the host manifest and the launcher script Chrome executes (it cannot pass arguments). */
import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LAUNCH_LAYOUT } from '../launch-layout.ts'
import { configDir as defaultConfigDir } from '../native-messaging/config.ts'
import { HOST_NAME, launcherPath, manifestPath, type Browser } from './locations.ts'

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const HOST_CLI = join(REPO_ROOT, 'native-host', 'src', 'cli', 'native-host.ts')
const LAUNCHER_MARK = '# tidepool native-messaging host launcher'

export interface InstallOptions {
  browser: Browser
  extensionId?: string
  userDataDir?: string
  /** Baked into the launcher as TIDEPOOL_CONFIG_DIR (isolated state for test profiles). */
  configDir?: string
  /** Written as downloadRoot into <configDir or ~/.config/tidepool>/config.json. */
  downloadRoot?: string
  platform?: NodeJS.Platform
  home?: string
  env?: NodeJS.ProcessEnv
  /** Node binary the launcher execs; default this process's. */
  nodePath?: string
}

export interface InstallResult {
  manifestPath: string
  launcherPath: string
  extensionId: string
  configFile?: string
}

export function defaultExtensionId(): string | undefined {
  const f = LAUNCH_LAYOUT.extensionIdFile
  return existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

export function launcherScript(o: {
  nodePath: string
  /** What node runs: the host's script (and tsx's loader, from a checkout), absolute paths. */
  nodeArgs: readonly string[]
  configDir?: string
}): string {
  return [
    '#!/bin/sh',
    `${LAUNCHER_MARK} (written by \`pnpm native-host install\` or \`tidepool-helper install\`).`,
    "# exec keeps one process, so the host's parent is the browser (the daemon watches it).",
    ...(o.configDir ? [`TIDEPOOL_CONFIG_DIR=${shq(o.configDir)}`, 'export TIDEPOOL_CONFIG_DIR'] : []),
    `exec ${[o.nodePath, ...o.nodeArgs].map(shq).join(' ')} "$@"`,
    '',
  ].join('\n')
}

export async function install(o: InstallOptions): Promise<InstallResult> {
  const id = o.extensionId ?? defaultExtensionId()
  if (!id || !/^[a-p]{32}$/.test(id))
    throw new Error(
      `need an extension id (32 letters a-p): --extension-id ID, or build the extension (extension/EXTENSION_ID)`,
    )
  const loc = { browser: o.browser, userDataDir: o.userDataDir, platform: o.platform, home: o.home, env: o.env }
  const manifest = manifestPath(loc)
  const launcher = launcherPath(loc)
  const configDir = o.configDir ? resolve(o.configDir) : undefined
  await mkdir(dirname(launcher), { recursive: true })
  await writeFile(
    launcher,
    launcherScript({
      nodePath: o.nodePath ?? process.execPath,
      nodeArgs: LAUNCH_LAYOUT.hostArgs,
      configDir,
    }),
    { mode: 0o755 },
  )
  await chmod(launcher, 0o755)
  await mkdir(dirname(manifest), { recursive: true })
  const body = {
    name: HOST_NAME,
    description: 'Tidepool helper: sockets and files for the Tidepool extension',
    path: launcher,
    type: 'stdio',
    allowed_origins: [`chrome-extension://${id}/`],
  }
  await writeFile(manifest, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o644 })
  let configFile: string | undefined
  if (o.downloadRoot) {
    const dir = configDir ?? defaultConfigDir(o.env)
    configFile = join(dir, 'config.json')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const old = await readFile(configFile, 'utf8').then(
      (t) => JSON.parse(t) as Record<string, unknown>,
      () => ({}),
    )
    await writeFile(configFile, `${JSON.stringify({ ...old, downloadRoot: resolve(o.downloadRoot) }, null, 2)}\n`, {
      mode: 0o600,
    })
  }
  return { manifestPath: manifest, launcherPath: launcher, extensionId: id, configFile }
}

/** Removes the manifest, and the launcher only if we wrote it. Config, token and downloads stay. */
export async function uninstall(
  o: Pick<InstallOptions, 'browser' | 'userDataDir' | 'platform' | 'home' | 'env'>,
): Promise<{ removed: string[] }> {
  const loc = { browser: o.browser, userDataDir: o.userDataDir, platform: o.platform, home: o.home, env: o.env }
  const removed: string[] = []
  const manifest = manifestPath(loc)
  if (existsSync(manifest)) {
    await rm(manifest)
    removed.push(manifest)
  }
  const launcher = launcherPath(loc)
  if (existsSync(launcher) && (await readFile(launcher, 'utf8')).includes(LAUNCHER_MARK)) {
    await rm(launcher)
    removed.push(launcher)
  }
  return { removed }
}
