// Notifications in the extension, end to end in Chromium with the real native host and daemon: a
// download that finishes (here: its folder is set to "Do not download", so nothing is left to fetch)
// is seen by the offscreen document's watcher, sent to the service worker, and shown with
// chrome.notifications; turning the kind off in the engine's settings silences the next one.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTorrent } from '../../packages/engine/src/metainfo/create-torrent.ts'
import { parseMetainfo } from '../../packages/engine/src/metainfo/parse-metainfo.ts'
import { chromiumAvailable } from './helpers/browser.ts'
import { ensureExtensionBuilt, launchWithExtension, type ExtensionBrowser } from './helpers/extension.ts'
import { addTorrentFile, openTab, torrentRow, waitHelperConnected } from './helpers/ui-actions.ts'

interface NotificationsApi {
  getAll(): Promise<Record<string, boolean>>
  clear(id: string): Promise<boolean>
}
/** chrome.notifications as the extension page sees it (the test's own types have no chrome.*). */
type PageGlobal = { chrome: { notifications: NotificationsApi } }

describe.skipIf(!chromiumAvailable())('extension notifications in Chromium', () => {
  let home = ''
  let b: ExtensionBrowser

  beforeAll(async () => {
    ensureExtensionBuilt()
    home = await mkdtemp(join(tmpdir(), 'tidepool-extnotify-'))
    b = await launchWithExtension({
      profile: join(home, 'profile'),
      configDir: join(home, 'config'),
      downloadRoot: join(home, 'downloads'),
    })
  }, 240_000)

  afterAll(async () => {
    await b?.context.close()
    if (home) await rm(home, { recursive: true, force: true })
  })

  it('a finished download raises one chrome.notifications notice through the service worker', async () => {
    const file = await createTorrent({
      name: 'notify-me',
      pieceLength: 16 * 1024,
      files: [
        { path: 'a.bin', data: new Uint8Array(40_000).fill(1) },
        { path: 'b.bin', data: new Uint8Array(30_000).fill(2) },
      ],
      announce: 'http://127.0.0.1:1/announce',
    })
    const infoHash = (await parseMetainfo(file)).infoHash
    const path = join(home, 'notify-me.torrent')
    await writeFile(path, file)
    const page = await b.context.newPage()
    await page.goto(b.appUrl)
    await waitHelperConnected(page)
    await addTorrentFile(page, path)
    await torrentRow(page, infoHash).waitFor()
    // the watcher must see it downloading once before the change (it polls every 2 s)
    await new Promise((r) => setTimeout(r, 5000))
    const ids = () =>
      page.evaluate(async () => Object.keys(await (globalThis as unknown as PageGlobal).chrome.notifications.getAll()))
    expect(await ids()).not.toContain(`completed:${infoHash}`)

    await openTab(page, infoHash, 'files')
    // the folder's priority: one engine call for every file in it
    const folder = page.getByRole('combobox', { name: 'Priority of folder notify-me' })
    await folder.waitFor({ timeout: 10_000 })
    const setAll = async (on: boolean) => {
      await folder.selectOption(on ? 'normal' : 'skip')
      await expect.poll(() => folder.inputValue(), { timeout: 10_000 }).toBe(on ? 'normal' : 'skip')
    }
    await setAll(false)
    await expect.poll(ids, { timeout: 20_000, interval: 500 }).toContain(`completed:${infoHash}`)

    // turned off in Settings: the same change again raises nothing
    await page.evaluate(
      (id) => (globalThis as unknown as PageGlobal).chrome.notifications.clear(id),
      `completed:${infoHash}`,
    )
    await page.getByRole('button', { name: /Settings/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await dialog.locator('input[name="notifyOnComplete"]').uncheck()
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.waitFor({ state: 'detached', timeout: 10_000 })
    await openTab(page, infoHash, 'files')
    await setAll(true)
    await expect
      .poll(() => torrentRow(page, infoHash).textContent(), { timeout: 10_000 })
      .toMatch(/Downloading|Stalled/i)
    await new Promise((r) => setTimeout(r, 5000))
    await setAll(false)
    await new Promise((r) => setTimeout(r, 6000))
    expect(await ids()).not.toContain(`completed:${infoHash}`)
    await page.close()
  }, 120_000)
})
