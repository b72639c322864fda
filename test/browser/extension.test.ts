// The MV3 extension in real headless Chromium with the native host installed into the test profile:
// add a .torrent in the full UI and finish it, close every Tidepool page and watch a second download
// finish anyway (offscreen engine + daemon), add a magnet link from the popup, download with the data
// plane off (the old path), screenshots of the views.
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readDaemonState, type DaemonState } from '../../native-host/src/native-messaging/index.ts'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import { awkwardFiles } from '../fixtures/make-torrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { chromiumAvailable, shot, until } from './helpers/browser.ts'
import { ensureExtensionBuilt, EXTENSION_ID, launchWithExtension, type ExtensionBrowser } from './helpers/extension.ts'
import { firstSightings, installPeerStateLog, lookProblems, readPeerStateLog } from './helpers/peer-state-log.ts'
import { slowSeed } from './helpers/swarm-setup.ts'
import {
  addTorrentFile,
  openTab,
  pieceDataText,
  turnDataPlaneOff,
  waitHelperConnected,
  waitRowText,
} from './helpers/ui-actions.ts'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe.skipIf(!chromiumAvailable() || !libtorrentAvailable())('extension in Chromium with the native host', () => {
  let swarm: Swarm
  let home = ''
  let b: ExtensionBrowser
  let daemon: DaemonState | null = null
  const downloads = () => join(home, 'downloads')
  const configDir = () => join(home, 'tp-config')

  beforeAll(async () => {
    ensureExtensionBuilt()
    swarm = await createSwarm('tidepool-ext-')
    home = await mkdtemp(join(tmpdir(), 'tidepool-ext-home-'))
    b = await launchWithExtension({ profile: join(home, 'profile'), configDir: configDir(), downloadRoot: downloads() })
  }, 120_000)

  afterAll(async () => {
    await b?.context.close()
    // the daemon watches the browser and exits with it; stop it by PID if it did not
    if (daemon && alive(daemon.pid)) process.kill(daemon.pid, 'SIGTERM')
    await swarm?.close()
    if (home) await rm(home, { recursive: true, force: true })
  })

  it('loads with the pinned id; the host starts a daemon whose parent is the browser', async () => {
    expect(b.id).toBe(EXTENSION_ID)
    daemon = await until(() => readDaemonState(configDir()), 30_000, 'daemon.json written by the native host')
    expect(daemon.origins).toContain(`chrome-extension://${EXTENSION_ID}`)
    expect(daemon.downloadRoot).toBe(downloads())
    expect(alive(daemon.pid)).toBe(true)
    const parentCmd = readFileSync(`/proc/${daemon.parentPid}/cmdline`, 'utf8')
    expect(parentCmd).toMatch(/chromium/)
  })

  let page: Page
  it('adds a .torrent in the full UI, shows Connecting… then Connected, finishes with the right bytes', async () => {
    const t = await swarm.torrent({
      name: 'extension file.bin',
      size: 3 * 1024 * 1024 + 777,
      pieceLength: 64 * 1024,
      tracker: 'http',
      seed: 21,
    })
    await slowSeed(swarm, t)
    page = await b.context.newPage()
    await installPeerStateLog(page)
    await page.goto(b.appUrl)
    await waitHelperConnected(page)
    await addTorrentFile(page, t.torrentPath)
    await openTab(page, t.infoHash, 'peers')
    await page.locator('.pstate.connected').first().waitFor({ timeout: 30_000 })
    await shot(page, 'extension-peers')
    await waitRowText(page, t.infoHash, /Seeding/, 60_000)
    expect(await diffTrees(t.contentPath, join(downloads(), t.name))).toEqual([])
    // the native host's daemon announces the data plane: the offscreen engine left the pieces to it
    expect(await pieceDataText(page, t.infoHash)).toBe('kept, checked and written by the helper')
    const log = await readPeerStateLog(page)
    const first = firstSightings(log)
    expect(first.connecting, 'a Connecting… row was shown').not.toBeNull()
    expect(first.connected, 'a Connected row was shown').not.toBeNull()
    expect(first.connecting!).toBeLessThan(first.connected!)
    expect(first.sameRow, `the Connecting… row turned Connected; log: ${JSON.stringify(log.slice(0, 30))}`).toBe(true)
    expect(lookProblems(log), 'connecting rows dimmed with address and client only').toEqual([])
    // extension pages (the offscreen document's hash worker among them) may compile WebAssembly: its
    // SHA-1 would otherwise fall back to WebCrypto without a word (MV3's default CSP forbids it)
    const wasm = await page.evaluate(() =>
      WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(
        () => 'compiled',
        (e: Error) => e.message,
      ),
    )
    expect(wasm).toBe('compiled')
    await shot(page, 'extension-torrent-list')
    for (const tab of ['files', 'trackers', 'pieces', 'swarm', 'general']) {
      await page.locator(`button[role="tab"][data-tab="${tab}"]`).click()
      await page.waitForTimeout(400) // let a poll fill the tab before the picture
      await shot(page, `extension-${tab}`)
    }
    await page.getByRole('button', { name: 'Settings', exact: true }).click()
    await page.getByRole('dialog', { name: 'Settings' }).waitFor()
    // The daemon the native host started inherited TIDEPOOL_NO_PORT_MAPPING: no router was asked.
    await expect
      .poll(() => page.locator('[data-testid=portmap-status]').textContent(), { timeout: 10_000 })
      .toBe('Port mapping is not available (the daemon does not offer it)')
    await shot(page, 'extension-settings')
    await page.keyboard.press('Escape')
  })

  it('keeps downloading with every Tidepool page closed', async () => {
    const t = await swarm.torrent({
      name: 'background file.bin',
      size: 6 * 1024 * 1024 + 99,
      pieceLength: 64 * 1024,
      tracker: 'http',
      seed: 22,
    })
    await slowSeed(swarm, t, { delayMs: 200, uploadLimit: 512 * 1024 })
    await addTorrentFile(page, t.torrentPath)
    const text = await waitRowText(page, t.infoHash, /Downloading/, 30_000)
    expect(text).not.toMatch(/Seeding/)
    for (const p of b.context.pages()) if (p.url().startsWith(`chrome-extension://${b.id}/`)) await p.close()
    expect(b.context.pages().filter((p) => p.url().startsWith('chrome-extension://'))).toEqual([])
    const closedAt = Date.now()
    expect(await diffTrees(t.contentPath, join(downloads(), t.name))).not.toEqual([]) // not done when closed
    await until(
      async () => (await diffTrees(t.contentPath, join(downloads(), t.name))).length === 0,
      60_000,
      'the background download to finish on disk',
      500,
    )
    expect(Date.now() - closedAt).toBeGreaterThan(1000)
  })

  it('adds a magnet link from the popup and finishes it', async () => {
    const t = await swarm.torrent({
      name: 'magnet set — ñ',
      files: awkwardFiles(16 * 1024),
      pieceLength: 16 * 1024,
      tracker: 'http',
      seed: 23,
    })
    await swarm.seed(t)
    const popup = await b.context.newPage()
    await popup.setViewportSize({ width: 380, height: 520 })
    await popup.goto(b.popupUrl)
    await popup.getByText('background file.bin').waitFor({ timeout: 30_000 })
    await shot(popup, 'extension-popup')
    await popup.getByLabel('Magnet link').fill(t.magnet())
    await popup.getByRole('button', { name: 'Add', exact: true }).click()
    await popup.locator('.ptorrent', { hasText: t.name }).waitFor({ timeout: 30_000 }) // (the confirmation names it too)
    await until(
      async () => (await diffTrees(t.contentPath, join(downloads(), t.name))).length === 0,
      60_000,
      'the magnet download on disk',
      500,
    )
    await shot(popup, 'extension-popup-magnet')
    await popup.close()
  })

  it('with "Keep piece data in the helper" off, the offscreen engine takes the old path', async () => {
    const t = await swarm.torrent({
      name: 'extension old path.bin',
      size: 2 * 1024 * 1024 + 555,
      pieceLength: 64 * 1024,
      tracker: 'http',
      seed: 24,
    })
    await swarm.seed(t)
    const tab = await b.context.newPage()
    await tab.goto(b.appUrl)
    await waitHelperConnected(tab)
    await turnDataPlaneOff(tab)
    await addTorrentFile(tab, t.torrentPath)
    // complete, then seeding or queued (it is the fourth seed: over the active-seeding limit)
    await waitRowText(tab, t.infoHash, /100\.0%/, 60_000)
    expect(await diffTrees(t.contentPath, join(downloads(), t.name))).toEqual([])
    expect(await pieceDataText(tab, t.infoHash)).toBe('checked in the browser, written by the helper')
    await tab.close()
  })

  it("the Files tab: a file unchecked and checked again stays checked across the offscreen engine's polls", async () => {
    const tab = await b.context.newPage()
    await tab.goto(b.appUrl)
    await waitHelperConnected(tab)
    await tab.locator('[role="grid"][aria-label="Torrents"] [role="row"]', { hasText: 'magnet set' }).click()
    await tab.locator('button[role="tab"][data-tab="files"]').click()
    const files = tab.locator('[role="grid"][aria-label="Files"]')
    const readme = files.getByRole('checkbox', { name: 'Download readme first.txt' })
    await readme.waitFor({ timeout: 15_000 })
    await readme.uncheck()
    await tab.waitForTimeout(1500) // a poll shows it skipped
    expect(await readme.isChecked()).toBe(false)
    await readme.check()
    await tab.waitForTimeout(2500) // two or three polls
    expect(await readme.isChecked()).toBe(true)
    await tab.close()
  })

  it('the daemon exits when the browser does', async () => {
    expect(daemon && alive(daemon.pid)).toBe(true)
    await b.context.close()
    await until(() => !alive(daemon!.pid), 10_000, 'the daemon to exit after the browser')
  })
})
