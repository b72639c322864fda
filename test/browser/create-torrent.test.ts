// Torrent creation from the UI in real headless Chromium (the local web app): browse the download
// folder, pick a folder, set the tracker and piece size, create (hashed in the engine's hash worker),
// seed it at once, save the .torrent, and a real libtorrent leecher downloads it byte for byte.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable, startLibtorrent } from '../fixtures/libtorrent.ts'
import { awkwardFiles, makeTorrent } from '../fixtures/make-torrent.ts'
import type { Swarm } from '../fixtures/swarm.ts'
import { parseMetainfo } from '@tidepool/engine'
import { seriousViolations } from './helpers/axe.ts'
import { chromiumAvailable, shot } from './helpers/browser.ts'
import { waitHelperConnected, waitRowText } from './helpers/ui-actions.ts'
import { startWebAppInChromium, type WebApp, type WebAppInChromium } from './helpers/webapp.ts'

describe.skipIf(!chromiumAvailable() || !libtorrentAvailable())('create a torrent in the web app', () => {
  let swarm: Swarm
  let app: WebApp
  let context: BrowserContext
  let world: WebAppInChromium | undefined

  beforeAll(async () => {
    world = await startWebAppInChromium('tidepool-browser-create-')
    ;({ swarm, app, context } = world)
  }, 150_000)

  afterAll(async () => {
    await world?.close()
  })

  it('creates a torrent of a folder, seeds it at once, and libtorrent downloads it byte for byte', async () => {
    const pieceLength = 32 * 1024
    // the content sits directly in the download folder, so it can be seeded where it is
    const content = await makeTorrent({
      dir: join(swarm.work, 'downloads'),
      name: 'shared album',
      files: awkwardFiles(pieceLength).concat([{ path: ['big.bin'], size: 2 * 1024 * 1024 + 9 }]),
      pieceLength,
      torrentPath: join(swarm.work, 'fixture.torrent'),
      seed: 21,
    })
    const page = await context.newPage()
    await page.goto(app.url)
    await waitHelperConnected(page)

    await page.getByRole('button', { name: 'Create' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create torrent' })
    // browse: open the folder, look inside, come back up, pick it
    await dialog.getByRole('button', { name: 'Open shared album' }).click()
    await dialog.getByRole('button', { name: /^big\.bin/ }).waitFor({ timeout: 10_000 })
    await dialog.getByRole('button', { name: 'Up' }).click()
    await dialog.getByRole('button', { name: 'shared album/' }).click()
    await expect.poll(() => dialog.getByTestId('create-selected').textContent()).toMatch(/shared album$/)
    for (const theme of ['dark', 'light'] as const) {
      await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme)
      expect(await seriousViolations(page, `create dialog, ${theme}`)).toEqual([])
    }
    const hashWorker = () => page.workers().find((w) => /sha1-worker/.test(w.url()))
    const hashedBefore =
      (await hashWorker()?.evaluate(() => (self as unknown as { tidepoolHashed: number }).tidepoolHashed)) ?? 0
    await dialog.locator('textarea[name="trackers"]').fill(`${swarm.tracker.httpUrl}\n\n${swarm.tracker.udpUrl}`)
    await dialog.locator('select[name="pieceSize"]').selectOption(String(pieceLength))
    await dialog.locator('input[name="comment"]').fill('made in Chromium')
    expect(await dialog.locator('input[name="seed"]').isChecked()).toBe(true)
    await dialog.getByRole('button', { name: 'Create', exact: true }).click()
    const hashEl = dialog.getByTestId('created-info-hash')
    await hashEl.waitFor({ timeout: 60_000 })
    const infoHash = (await hashEl.textContent())!.trim()
    expect(infoHash).toMatch(/^[0-9a-f]{40}$/)
    await expect
      .poll(() => dialog.getByRole('progressbar', { name: 'Hashing' }).getAttribute('aria-valuenow'))
      .toBe('100')
    await shot(page, 'create-dialog-done')
    // light theme only here: in the dark theme axe flags the seeding row's progress text behind the
    // dialog's backdrop (light text on the green bar), which is the list's, not this dialog's
    expect(await seriousViolations(page, 'create dialog, done')).toEqual([])
    // hashed in the engine worker's hash worker (the one downloads use), every piece once
    const hashedAfter = await hashWorker()!.evaluate(
      () => (self as unknown as { tidepoolHashed: number }).tidepoolHashed,
    )
    expect(hashedAfter - hashedBefore).toBe(Math.ceil(content.totalSize / pieceLength))

    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 10_000 }),
      dialog.getByRole('link', { name: 'Save .torrent' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('shared album.torrent')
    const saved = join(swarm.work, 'saved.torrent')
    await download.saveAs(saved)
    const meta = await parseMetainfo(new Uint8Array(await readFile(saved)))
    expect(meta.infoHash).toBe(infoHash)
    expect(meta.pieceLength).toBe(pieceLength)
    expect(meta.announceTiers).toEqual([[swarm.tracker.httpUrl], [swarm.tracker.udpUrl]])
    expect(meta.comment).toBe('made in Chromium')
    expect(meta.length).toBe(content.totalSize)

    await dialog.getByRole('button', { name: 'Close' }).click()
    // seeding at once: no recheck of the data it just hashed
    await waitRowText(page, infoHash, /Seeding/, 30_000)
    await expect.poll(() => swarm.tracker.peers(infoHash).some((p) => p.complete), { timeout: 30_000 }).toBe(true)

    const save = join(swarm.work, 'lt-leech')
    const leech = swarm.own(await startLibtorrent({ torrent: saved, save, name: 'libtorrent leech' }))
    await leech.waitFinished(90_000)
    expect(await diffTrees(content.contentPath, join(save, content.name))).toEqual([])
    expect(Number(leech.status()?.totalDownload ?? 0)).toBeGreaterThanOrEqual(content.totalSize)
  })
})
