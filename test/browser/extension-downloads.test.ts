// The extension takes over .torrent downloads (chrome.downloads), in Chromium with the real native
// host and daemon: a page on 127.0.0.1 serves a .torrent as an attachment; navigating to it starts a
// browser download, which the service worker pauses and hands to the engine, and the torrent is listed
// while the download is erased. With the setting off, the browser keeps its download.
import { createServer, type Server } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTorrent } from '../../packages/engine/src/metainfo/create-torrent.ts'
import { parseMetainfo } from '../../packages/engine/src/metainfo/parse-metainfo.ts'
import { chromiumAvailable } from './helpers/browser.ts'
import { ensureExtensionBuilt, launchWithExtension, type ExtensionBrowser } from './helpers/extension.ts'
import { torrentRow, waitHelperConnected } from './helpers/ui-actions.ts'

type DownloadsGlobal = {
  chrome: { downloads: { search(q: object): Promise<Array<{ url: string; state: string; exists: boolean }>> } }
}

describe.skipIf(!chromiumAvailable())('extension takes over .torrent downloads in Chromium', () => {
  let home = ''
  let b: ExtensionBrowser
  let server: Server
  const files = new Map<string, Uint8Array>()

  beforeAll(async () => {
    ensureExtensionBuilt()
    home = await mkdtemp(join(tmpdir(), 'tidepool-extdl-'))
    server = createServer((req, res) => {
      const body = files.get(req.url ?? '')
      if (!body) return res.writeHead(404).end()
      // CORS lets the extension read it without being granted the whole site
      res.writeHead(200, {
        'content-type': 'application/x-bittorrent',
        'content-disposition': 'attachment; filename="served.torrent"',
        'access-control-allow-origin': '*',
      })
      res.end(body)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    b = await launchWithExtension({
      profile: join(home, 'profile'),
      configDir: join(home, 'config'),
      downloadRoot: join(home, 'downloads'),
    })
  }, 240_000)

  afterAll(async () => {
    await b?.context.close()
    await new Promise((r) => server?.close(r))
    if (home) await rm(home, { recursive: true, force: true })
  })

  const serve = async (name: string) => {
    const file = await createTorrent({
      name,
      pieceLength: 16 * 1024,
      files: [{ path: name, data: new Uint8Array(20_000).fill(7) }],
      announce: 'http://127.0.0.1:1/announce',
    })
    files.set(`/${name}.torrent`, file)
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${name}.torrent`,
      infoHash: (await parseMetainfo(file)).infoHash,
    }
  }

  const startDownload = async (url: string) => {
    const tab = await b.context.newPage()
    // navigating to an attachment starts a download (Playwright reports the aborted navigation)
    await tab.goto(url).catch(() => undefined)
    await tab.close()
  }

  it('a .torrent download is added to Tidepool and erased from the browser downloads', async () => {
    const page = await b.context.newPage()
    await page.goto(b.appUrl)
    await waitHelperConnected(page)
    const { url, infoHash } = await serve('taken-over')
    await startDownload(url)
    await torrentRow(page, infoHash).waitFor({ timeout: 20_000 })
    const downloads = () =>
      page.evaluate((u) => (globalThis as unknown as DownloadsGlobal).chrome.downloads.search({ url: u }), url)
    await expect.poll(async () => (await downloads()).length, { timeout: 10_000 }).toBe(0)

    // turned off: the browser keeps the download, the engine does not get it
    await page.getByRole('button', { name: /Settings/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await dialog.locator('input[name="takeOverTorrentDownloads"]').uncheck()
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.waitFor({ state: 'detached', timeout: 10_000 })
    const second = await serve('left-alone')
    await startDownload(second.url)
    const search = () =>
      page.evaluate((u) => (globalThis as unknown as DownloadsGlobal).chrome.downloads.search({ url: u }), second.url)
    await expect.poll(async () => (await search())[0]?.state, { timeout: 20_000 }).toBe('complete')
    expect(await torrentRow(page, second.infoHash).count()).toBe(0)
    await page.close()
  }, 120_000)
})
