// Headless Debian Chromium through playwright-core (no browser download), optionally with the
// unpacked extension loaded; screenshots go to test-results/screenshots/.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

/** Debian's Chromium; TIDEPOOL_CHROMIUM points elsewhere (also how a test proves a missing browser fails in CI). */
export const CHROMIUM = process.env.TIDEPOOL_CHROMIUM || '/usr/bin/chromium'
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const SHOTS = join(REPO_ROOT, 'test-results', 'screenshots')

/** True when the browser exists, or CI demands it: there a missing browser must fail the browser tests, not skip them. */
export function chromiumAvailable(): boolean {
  if (process.env.TIDEPOOL_REQUIRE_INTEROP === '1') return true
  return existsSync(CHROMIUM)
}

/** The flags every test and benchmark Chromium runs with (no sync, no updates, no QUIC), and the unpacked extension if given. */
export function chromiumArgs(extensionDir?: string): string[] {
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ]
  if (extensionDir) args.unshift(`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`)
  return args
}

export async function launchChromium(userDataDir: string, extensionDir?: string): Promise<BrowserContext> {
  const args = chromiumArgs(extensionDir)
  // playwright's own message for a missing executable suggests `npx playwright install`, which cannot work here
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM} (install Debian's chromium or set TIDEPOOL_CHROMIUM)`)
  // the native host and the daemon it starts inherit this environment: no multicast from a browser test
  const env = { ...process.env, TIDEPOOL_NO_MULTICAST: '1' } as Record<string, string>
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    env,
    viewport: { width: 1280, height: 800 },
  })
}

export async function shot(page: Page, name: string): Promise<string> {
  await mkdir(SHOTS, { recursive: true })
  const path = join(SHOTS, `${name}.png`)
  await page.screenshot({ path })
  return path
}

/** Polls `fn` until it returns a truthy value; throws with `what` after timeoutMs. */
export async function until<T>(
  fn: () => Promise<T> | T,
  timeoutMs: number,
  what: string,
  everyMs = 200,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (let i = 0; i < 100_000; i++) {
    try {
      const v = await fn()
      if (v) return v as NonNullable<T>
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
  throw new Error(`gave up waiting for ${what}`)
}
