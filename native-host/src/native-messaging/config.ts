/** Where the host keeps its state and what the user may configure (~/.config/tidepool/config.json). */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'

export interface HostConfig {
  /** Directory the daemon's `downloads` root points at. */
  downloadRoot: string
  /** Local web app origins the daemon also admits (besides the calling extension). */
  webAppOrigins: string[]
}

/** TIDEPOOL_CONFIG_DIR (set by the launcher for test profiles), else $XDG_CONFIG_HOME/tidepool, else ~/.config/tidepool. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TIDEPOOL_CONFIG_DIR) return resolve(env.TIDEPOOL_CONFIG_DIR)
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'tidepool')
}

export const DEFAULT_WEB_APP_ORIGINS = ['http://127.0.0.1:8741', 'http://localhost:8741']

function expandHome(p: string): string {
  return p.replace(/^~(?=\/|$)/, homedir())
}

/** Reads config.json in `dir`; a missing file means defaults, a broken one is an error worth reporting. */
export async function loadHostConfig(dir: string): Promise<HostConfig> {
  const defaults: HostConfig = {
    downloadRoot: join(homedir(), 'Downloads', 'Tidepool'),
    webAppOrigins: DEFAULT_WEB_APP_ORIGINS,
  }
  let raw: string
  try {
    raw = await readFile(join(dir, 'config.json'), 'utf8')
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return defaults
    throw e
  }
  const j = JSON.parse(raw) as Record<string, unknown>
  const out = { ...defaults }
  if (typeof j.downloadRoot === 'string' && j.downloadRoot) {
    const p = expandHome(j.downloadRoot)
    if (!isAbsolute(p)) throw new Error(`config.json: downloadRoot must be absolute: ${j.downloadRoot}`)
    out.downloadRoot = p
  }
  if (Array.isArray(j.webAppOrigins))
    out.webAppOrigins = j.webAppOrigins.filter(
      (o): o is string => typeof o === 'string' && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(o),
    )
  return out
}

/** `chrome-extension://ID/` (argv form) → `chrome-extension://ID` (Origin header form), or null if not an extension origin. */
export function extensionOrigin(arg: string | undefined): string | null {
  const m = /^chrome-extension:\/\/([a-p]{32})\/?$/.exec(arg ?? '')
  return m ? `chrome-extension://${m[1]}` : null
}
