// Save folders in the local web app, real headless Chromium and the real daemon: a folder granted from a
// terminal appears after "Refresh folders"; the add dialog puts a torrent there (a subfolder of it, where
// its data already lies, so it checks and seeds); Move data… copies it to another disk with the progress
// shown, and the data is whole at the new place only.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { existsSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTorrent } from '../fixtures/make-torrent.ts'
import { REPO_ROOT } from '../fixtures/tidepool-cli.ts'
import { chromiumAvailable, launchChromium, shot, until } from './helpers/browser.ts'
import { torrentRow, waitHelperConnected, waitRowText } from './helpers/ui-actions.ts'
import { startWebApp, type WebApp } from './helpers/webapp.ts'

async function sha1File(path: string): Promise<string> {
  const h = createHash('sha1')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

// A tmpfs beside the disk: a move between them is a real copy (with progress), not a rename.
const SHM = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev ? '/dev/shm' : null

describe.skipIf(!chromiumAvailable() || !SHM)('save folders in the web app', () => {
  let app: WebApp
  let context: BrowserContext
  let home = ''
  let fast = ''

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'tidepool-folders-home-'))
    fast = await mkdtemp(join(SHM!, 'tidepool-folders-'))
    app = await startWebApp({ out: join(home, 'downloads'), configHome: join(home, 'config') })
    context = await launchChromium(join(home, 'profile'))
  }, 150_000)

  afterAll(async () => {
    await context?.close()
    await app?.stop()
    if (home) await rm(home, { recursive: true, force: true })
    if (fast) await rm(fast, { recursive: true, force: true })
  })

  it('grant from the terminal, add into the granted folder, move it back with progress', {
    timeout: 240_000,
  }, async () => {
    // 1 GiB already in <fast>/Albums/new: the torrent checks it and seeds (no peers needed). This large
    // so the move below outlasts the UI's 1 s status poll: 160 MiB moved in ~0.3 s on a quiet machine
    // and the poll sometimes never saw "Moving N%" (a clean-clone CI run failed on it)
    await mkdir(join(fast, 'Albums', 'new'), { recursive: true })
    const t = await makeTorrent({
      dir: join(fast, 'Albums', 'new'),
      name: 'big album.bin',
      size: 1024 * 1024 * 1024,
      pieceLength: 1024 * 1024,
      torrentPath: join(home, 'big album.torrent'),
      seed: 5,
    })
    const before = await sha1File(t.contentPath)
    const page = await context.newPage()
    await page.goto(app.url)
    await waitHelperConnected(page)

    // Settings: only the default folder until the owner grants another in a terminal and refreshes
    await page.getByRole('button', { name: 'Settings' }).click()
    const settings = page.getByRole('dialog', { name: 'Settings' })
    const list = settings.getByRole('list', { name: 'Folders the helper serves' })
    await expect.poll(() => list.locator('li').count()).toBe(1)
    const grant = spawnSync(
      'pnpm',
      ['--silent', 'native-host', 'grant', 'fast', fast, '--config-dir', join(home, 'config', 'tidepool')],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
    )
    expect(grant.status, grant.stderr).toBe(0)
    await settings.getByRole('button', { name: 'Refresh folders' }).click()
    await expect.poll(() => list.locator('li').count()).toBe(2)
    // the folder's path comes with the next status poll
    await expect.poll(() => list.textContent(), { timeout: 10_000 }).toContain(fast)
    await shot(page, 'folders-settings')
    await page.keyboard.press('Escape')
    await settings.waitFor({ state: 'detached' })

    // Add: choose the granted folder and a subfolder
    await page.getByRole('button', { name: '+ Add' }).click()
    const add = page.getByRole('dialog', { name: 'Add torrent' })
    await add.locator('input[type="file"]').setInputFiles(t.torrentPath)
    await add.locator('.add-title').waitFor({ timeout: 10_000 })
    await add.locator('select[name="save-root"]').selectOption('fast')
    await add.locator('input[name="save-dir"]').fill('Albums/new')
    await shot(page, 'folders-add-dialog')
    await add.getByRole('button', { name: 'Add', exact: true }).click()
    await add.waitFor({ state: 'detached', timeout: 15_000 })
    await waitRowText(page, t.infoHash, /Seeding/, 120_000)
    expect(await torrentRow(page, t.infoHash).textContent()).toContain('fast/Albums/new')

    // Move data… to the default folder (another filesystem): the row shows Moving N% on the way
    await page.evaluate(() => {
      const seen: string[] = []
      ;(window as unknown as { movingSeen: string[] }).movingSeen = seen
      new MutationObserver(() => {
        const m = /Moving \d+%/.exec(document.querySelector('[role="grid"][aria-label="Torrents"]')?.textContent ?? '')
        if (m && seen.at(-1) !== m[0]) seen.push(m[0])
      }).observe(document.body, { subtree: true, childList: true, characterData: true })
    })
    await torrentRow(page, t.infoHash).click({ button: 'right' })
    await page.getByRole('menuitem', { name: 'Move data…' }).click()
    const move = page.getByRole('dialog', { name: 'Move data' })
    await move.locator('select[name="move-root"]').selectOption('downloads')
    await move.locator('input[name="move-dir"]').fill('moved here')
    await move.getByRole('button', { name: 'Move', exact: true }).click()
    await move.waitFor({ state: 'detached' })
    await until(
      async () => ((await torrentRow(page, t.infoHash).textContent()) ?? '').includes('downloads/moved here') || null,
      120_000,
      'the row showing the new folder',
    )
    await waitRowText(page, t.infoHash, /Seeding/, 60_000)
    await shot(page, 'folders-moved')
    const seen = await page.evaluate(() => (window as unknown as { movingSeen: string[] }).movingSeen)
    expect(seen.length, 'a Moving N% status was shown').toBeGreaterThan(0)
    expect(await sha1File(join(home, 'downloads', 'moved here', t.name))).toBe(before)
    expect(existsSync(t.contentPath)).toBe(false)
  })
})
