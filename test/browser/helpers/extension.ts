// The built MV3 extension, loaded unpacked into a fresh Chromium profile with the native host installed
// into that profile (its NativeMessagingHosts is the only place Chrome reads with --user-data-dir).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { BrowserContext, Worker } from 'playwright-core'
import { install } from '../../../native-host/src/install/index.ts'
import { newestMtime } from '../../../native-host/src/webapp/build-ui.ts'
import { launchChromium, REPO_ROOT } from './browser.ts'

export const EXTENSION_DIST = join(REPO_ROOT, 'extension', 'dist')
export const EXTENSION_ID = readFileSync(join(REPO_ROOT, 'extension', 'EXTENSION_ID'), 'utf8').trim()

const SOURCES = [
  'extension/src',
  'extension/public',
  'extension/vite.config.ts',
  'packages/ui/src',
  'packages/engine/src',
  'packages/daemon-bridge/src',
]

/** True when extension/dist exists and is newer than every source it is built from. */
export function extensionBuildIsFresh(): boolean {
  const manifest = join(EXTENSION_DIST, 'manifest.json')
  if (!existsSync(manifest)) return false
  const built = statSync(manifest).mtimeMs
  return SOURCES.every((d) => {
    const p = join(REPO_ROOT, d)
    return (existsSync(p) && statSync(p).isFile() ? statSync(p).mtimeMs : newestMtime(p)) <= built
  })
}

/**
 * Builds extension/dist (`pnpm --filter @tidepool/extension build`) when missing or older than its
 * sources: a stale build once ran an engine from before peer connections worked, and the test hung.
 */
export function ensureExtensionBuilt(): void {
  if (extensionBuildIsFresh()) return
  const r = spawnSync('pnpm', ['--filter', '@tidepool/extension', 'build'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    timeout: 180_000,
  })
  if (r.status !== 0) throw new Error('extension build failed')
}

export interface ExtensionBrowser {
  context: BrowserContext
  worker: Worker
  id: string
  appUrl: string
  popupUrl: string
}

export interface ExtensionProfile {
  profile: string
  configDir: string
  downloadRoot: string
}

/** The native host into the profile's NativeMessagingHosts, its state in configDir, downloads into downloadRoot. */
export async function installNativeHost(o: ExtensionProfile): Promise<void> {
  await install({
    browser: 'chromium',
    extensionId: EXTENSION_ID,
    userDataDir: o.profile,
    configDir: o.configDir,
    downloadRoot: o.downloadRoot,
  })
}

export async function launchWithExtension(o: ExtensionProfile): Promise<ExtensionBrowser> {
  await installNativeHost(o)
  const context = await launchChromium(o.profile, EXTENSION_DIST)
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }))
  const id = new URL(worker.url()).host
  return {
    context,
    worker,
    id,
    appUrl: `chrome-extension://${id}/app.html`,
    popupUrl: `chrome-extension://${id}/popup.html`,
  }
}
