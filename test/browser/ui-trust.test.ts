// The web app as a person uses it, in real headless Chromium against the real engine and daemon (no
// peers needed: magnets whose trackers are dead ports on 127.0.0.1). Keyboard only where it says so;
// each fixed bug is asserted as the user sees it; axe-core checks every view and dialog in both themes;
// a restart of `pnpm app` is survived by the open tab and by a new one.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTorrent } from '../../packages/engine/src/metainfo/create-torrent.ts'
import { seriousViolations } from './helpers/axe.ts'
import { chromiumAvailable, launchChromium, shot, until } from './helpers/browser.ts'
import { addTorrentFile, torrentRow, waitHelperConnected } from './helpers/ui-actions.ts'
import { startWebApp, type WebApp } from './helpers/webapp.ts'
import { freeTcpPort } from '../fixtures/free-port.ts'

const hash = (c: string) => c.repeat(40)
const DEAD_UDP = 'udp://127.0.0.1:9/announce'
const DEAD_HTTP = 'http://127.0.0.1:1/announce'
const magnet = (h: string, name: string, trackers: string[]) =>
  `magnet:?xt=urn:btih:${h}&dn=${encodeURIComponent(name)}${trackers.map((t) => `&tr=${encodeURIComponent(t)}`).join('')}`
const A = hash('a')
const B = hash('b')
const C = hash('c')

const grid = (page: Page) => page.locator('[role="grid"][aria-label="Torrents"]')
const toast = (page: Page) => page.locator('.toast')
const selectedKeys = (page: Page) =>
  grid(page)
    .locator('[role="row"][aria-selected="true"]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')))
const rowKeys = (page: Page) =>
  grid(page)
    .locator('[role="row"][data-key]:not([data-key=""])')
    .evaluateAll((rows) =>
      rows
        .filter((r) => (r as HTMLElement).style.display !== 'none')
        .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
        .map((r) => r.getAttribute('data-key')),
    )

/** Ctrl+O, type the link, Enter: adding with the keyboard only. */
async function addByKeyboard(page: Page, link: string): Promise<string> {
  await page.locator('body').press('Control+o')
  const dialog = page.getByRole('dialog', { name: 'Add torrent' })
  await dialog.waitFor()
  expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('magnet')
  await page.keyboard.type(link)
  await page.keyboard.press('Enter')
  await dialog.waitFor({ state: 'detached', timeout: 15_000 })
  return (await toast(page).textContent({ timeout: 5000 })) ?? ''
}

describe.skipIf(!chromiumAvailable())('a UI people trust (web app in Chromium)', () => {
  let app: WebApp
  let context: BrowserContext
  let page: Page
  let home = ''
  let port = 0
  const config = () => join(home, 'config')

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'tidepool-uitrust-'))
    port = await freeTcpPort()
    app = await startWebApp({ out: join(home, 'downloads'), configHome: config(), port })
    context = await launchChromium(join(home, 'profile'))
    page = await context.newPage()
    page.on('pageerror', (e) => console.log('pageerror', e.message))
    await page.goto(app.url)
    await waitHelperConnected(page)
  }, 150_000)

  afterAll(async () => {
    await context?.close()
    await app?.stop()
    if (home) await rm(home, { recursive: true, force: true })
  })

  it('adds with the keyboard only and says so; adding a listed torrent says it is there and merges its trackers', async () => {
    expect(await addByKeyboard(page, magnet(A, 'alpha one', [DEAD_HTTP]))).toMatch(/Added “alpha one”/)
    expect(await addByKeyboard(page, magnet(B, 'beta two', [DEAD_HTTP]))).toMatch(/Added “beta two”/)
    expect(await addByKeyboard(page, magnet(C, 'gamma three', [DEAD_HTTP]))).toMatch(/Added “gamma three”/)
    await until(async () => (await rowKeys(page)).length === 3, 10_000, 'three rows')
    // nothing can move (dead trackers, no peers): the row says Stalled and why
    await until(
      async () => /Stalled/.test((await torrentRow(page, A).textContent()) ?? ''),
      20_000,
      'alpha shown as Stalled',
    )
    expect(await torrentRow(page, A).locator('.status').getAttribute('title')).toMatch(/No peers/)

    const again = await addByKeyboard(page, magnet(A, 'alpha one', [DEAD_HTTP, DEAD_UDP]))
    expect(again).toMatch(/already in the list; nothing was added twice/)
    expect(again).toMatch(/1 new tracker was added/)
    expect(await rowKeys(page)).toHaveLength(3)
    await torrentRow(page, A).click()
    await page.locator('button[role="tab"][data-tab="trackers"]').click()
    await until(
      async () => (await page.locator('.tab-body').textContent())?.includes('udp://127.0.0.1:9/announce'),
      10_000,
      'the merged tracker in the Trackers tab',
    )
  })

  it('a UDP tracker on a dead port says so instead of announcing silently', async () => {
    await torrentRow(page, A).click()
    await page.locator('button[role="tab"][data-tab="trackers"]').click()
    // 15 s without a reply: the row says so (the tracker gives up with an error after 45 s)
    await until(
      async () =>
        /No reply from this tracker yet|no answer from udp tracker/.test(
          (await page.locator('.tab-body').textContent()) ?? '',
        ),
      40_000,
      'a message on the dead UDP tracker',
    )
    // the Peers tab explains its flag letters, qBittorrent's meanings (E is encryption)
    await page.locator('button[role="tab"][data-tab="peers"]').click()
    expect(await page.locator('.flag-legend').textContent()).toMatch(/E encrypted connection/)
  }, 60_000)

  it('with a filter typed, actions touch only the rows shown; an empty result says No torrents match', async () => {
    await grid(page).focus()
    await page.keyboard.press('Control+a')
    expect((await selectedKeys(page)).sort()).toEqual([A, B, C])
    await page.getByRole('searchbox', { name: 'Filter torrents' }).fill('beta')
    await expect.poll(() => page.locator('.statusbar').textContent()).toMatch(/1 of 3 torrents, 1 selected/)
    await page.getByRole('button', { name: '■ Stop' }).click()
    await until(async () => /Paused/.test((await torrentRow(page, B).textContent()) ?? ''), 10_000, 'beta paused')
    await page.getByRole('searchbox', { name: 'Filter torrents' }).fill('')
    // the hidden rows were not stopped
    for (const h of [A, C]) expect(await torrentRow(page, h).textContent()).not.toMatch(/Paused/)
    await page.getByRole('searchbox', { name: 'Filter torrents' }).fill('beta')
    await page.getByRole('button', { name: '✕ Remove…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Remove torrents' })
    await expect.poll(() => dialog.locator('h2').textContent()).toBe('Remove 1 torrent?')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    await page.getByRole('searchbox', { name: 'Filter torrents' }).fill('zzz')
    await expect.poll(() => grid(page).textContent()).toMatch(/No torrents match “zzz”/)
    await shot(page, 'uitrust-no-match')
    await page.getByRole('searchbox', { name: 'Filter torrents' }).fill('')
  })

  it('toolbar buttons follow the selection: Start only for paused torrents, Stop only for running ones', async () => {
    await torrentRow(page, B).click() // paused above
    await expect.poll(() => page.getByRole('button', { name: '▶ Start' }).isEnabled()).toBe(true)
    expect(await page.getByRole('button', { name: '■ Stop' }).isEnabled()).toBe(false)
    await torrentRow(page, A).click()
    await expect.poll(() => page.getByRole('button', { name: '■ Stop' }).isEnabled()).toBe(true)
    expect(await page.getByRole('button', { name: '▶ Start' }).isEnabled()).toBe(false)
  })

  it('the sidebar filters by state and by tracker, with counts, and actions follow what it shows', async () => {
    const side = page.getByRole('navigation', { name: 'Filter torrents' })
    await expect.poll(() => side.locator('[data-state-filter="paused"] .side-count').textContent()).toBe('1')
    await side.locator('[data-state-filter="paused"]').click()
    await expect.poll(() => rowKeys(page)).toEqual([B])
    expect(await side.locator('[data-state-filter="paused"]').getAttribute('aria-pressed')).toBe('true')
    await side.locator('[data-state-filter="seeding"]').click()
    await expect.poll(() => grid(page).textContent()).toMatch(/No torrents match this filter/)
    await side.locator('[data-state-filter="all"]').click()
    expect(await side.locator('[data-tracker-filter="127.0.0.1"] .side-count').textContent()).toBe('3')
    await side.locator('[data-tracker-filter="127.0.0.1"]').click()
    await expect.poll(async () => (await rowKeys(page)).length).toBe(3)
    await side.locator('[data-tracker-filter="*"]').click()
  })

  it('labels: L on the keyboard labels the selection, the sidebar filters by label with counts, the menu clears it', async () => {
    const side = page.getByRole('navigation', { name: 'Filter torrents' })
    expect(await side.locator('.side-hint').textContent()).toMatch(/press L/)
    await torrentRow(page, A).click()
    await grid(page).focus()
    await page.keyboard.press('l')
    const dialog = page.getByRole('dialog', { name: 'Label torrents' })
    await dialog.waitFor()
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('label')
    await page.keyboard.type('Linux ISOs')
    await page.keyboard.press('Enter')
    await dialog.waitFor({ state: 'detached' })
    expect(await toast(page).textContent()).toMatch(/Labelled the torrent “Linux ISOs”/)
    await expect.poll(() => torrentRow(page, A).locator('.label-cell').textContent()).toBe('Linux ISOs')
    await expect.poll(() => side.locator('[data-label-filter="Linux ISOs"] .side-count').textContent()).toBe('1')
    expect(await side.locator('[data-label-filter=""] .side-count').textContent()).toBe('2')
    await side.locator('[data-label-filter="Linux ISOs"]').click()
    await expect.poll(() => rowKeys(page)).toEqual([A])
    await side.locator('[data-label-filter=""]').click()
    await expect.poll(async () => (await rowKeys(page)).sort()).toEqual([B, C])
    // a second torrent gets the same label through the context menu, keyboard only
    await side.locator('[data-label-filter="*"]').click()
    await torrentRow(page, B).click()
    await grid(page).focus()
    await page.keyboard.press('Shift+F10')
    const menu = page.getByRole('menu', { name: 'Torrent actions' })
    await menu.waitFor()
    await menu.getByRole('menuitem', { name: /Label/ }).focus()
    await page.keyboard.press('Enter')
    await dialog.waitFor()
    await page.keyboard.type('Linux ISOs')
    await page.keyboard.press('Enter')
    await dialog.waitFor({ state: 'detached' })
    await expect.poll(() => side.locator('[data-label-filter="Linux ISOs"] .side-count').textContent()).toBe('2')
    // and cleared again: the field starts with the label; emptied, Enter removes it
    await torrentRow(page, B).click()
    await grid(page).focus()
    await page.keyboard.press('l')
    await dialog.waitFor()
    expect(await dialog.locator('input[name="label"]').inputValue()).toBe('Linux ISOs')
    await page.keyboard.press('Control+a')
    await page.keyboard.press('Backspace')
    await page.keyboard.press('Enter')
    await dialog.waitFor({ state: 'detached' })
    await expect.poll(() => torrentRow(page, B).locator('.label-cell').textContent()).toBe('')
    await expect.poll(() => side.locator('[data-label-filter="Linux ISOs"] .side-count').textContent()).toBe('1')
    await shot(page, 'uitrust-labels')
  })

  it('keyboard only: arrows select, Shift extends, Space pauses and resumes, headers sort, menu key, Escape clears, Delete removes', async () => {
    await grid(page).focus()
    await page.keyboard.press('Escape')
    expect(await selectedKeys(page)).toEqual([])
    // sort by name from the keyboard: Tab reaches the header, Enter sorts
    const nameHeader = grid(page).locator('[role="columnheader"][data-col="name"]')
    await nameHeader.focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => nameHeader.getAttribute('aria-sort')).toBe('ascending')
    expect(await rowKeys(page)).toEqual([A, B, C])
    await page.keyboard.press('Enter')
    await expect.poll(() => nameHeader.getAttribute('aria-sort')).toBe('descending')
    expect(await rowKeys(page)).toEqual([C, B, A])
    await page.keyboard.press('Enter')
    await expect.poll(() => nameHeader.getAttribute('aria-sort')).toBe('ascending')

    await grid(page).focus()
    await page.keyboard.press('Home')
    expect(await selectedKeys(page)).toEqual([A])
    await page.keyboard.press('Shift+ArrowDown')
    expect((await selectedKeys(page)).sort()).toEqual([A, B])
    expect(await grid(page).getAttribute('aria-activedescendant')).toMatch(new RegExp(`${B}$`))
    // A runs, B is paused: Space pauses the running one, then resumes both
    await page.keyboard.press('Space')
    await until(
      async () => /Paused/.test((await torrentRow(page, A).textContent()) ?? ''),
      10_000,
      'alpha paused by Space',
    )
    await page.keyboard.press('Space')
    await until(
      async () => {
        const [a, b] = [await torrentRow(page, A).textContent(), await torrentRow(page, B).textContent()]
        return !/Paused/.test(a ?? '') && !/Paused/.test(b ?? '')
      },
      10_000,
      'both resumed by Space',
    )

    await page.keyboard.press('Shift+F10')
    const menu = page.getByRole('menu', { name: 'Torrent actions' })
    await menu.waitFor()
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('menuitem')
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Escape')
    await menu.waitFor({ state: 'detached' })
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Torrents') // focus came back

    await page.keyboard.press('Escape')
    await page.keyboard.press('End')
    expect(await selectedKeys(page)).toEqual([C])
    await page.keyboard.press('Enter') // details: focus moves to the open tab
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('tab')
    await grid(page).focus()
    await page.keyboard.press('Delete')
    const dialog = page.getByRole('dialog', { name: 'Remove torrents' })
    await dialog.waitFor()
    expect(await dialog.getAttribute('aria-modal')).toBe('true')
    // focus is in the dialog and Tab stays there
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab')
      expect(await page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]'))).toBe(true)
    }
    await dialog.getByRole('button', { name: 'Remove', exact: true }).focus()
    await page.keyboard.press('Enter')
    await dialog.waitFor({ state: 'detached' })
    await until(async () => (await rowKeys(page)).length === 2, 10_000, 'gamma removed')
    expect(await rowKeys(page)).toEqual([A, B])
  })

  it("settings offer only the helper's download folders, shown by their real path", async () => {
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await dialog.waitFor()
    const folder = dialog.getByRole('combobox', { name: 'Download folder' })
    await folder.waitFor()
    expect(await folder.locator('option').allTextContents()).toEqual([join(home, 'downloads')])
    expect(await dialog.textContent()).not.toMatch(/daemon root|bad-path|token|`/)
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
  })

  it('columns can be hidden, moved and resized (mouse or keyboard), and are remembered with the sort', async () => {
    const head = (id: string) => grid(page).locator(`[role="columnheader"][data-col="${id}"]`)
    const headerIds = () =>
      grid(page)
        .locator('[role="columnheader"]')
        .evaluateAll((hs) => hs.map((h) => h.getAttribute('data-col')))
    await head('size').click({ button: 'right' })
    await page.getByRole('menu', { name: 'Columns' }).getByRole('menuitem', { name: 'Hide Size' }).click()
    await expect.poll(() => headerIds()).not.toContain('size')
    // keyboard: the menu key on a header, then move it; Alt+Right widens it
    await head('name').focus()
    await page.keyboard.press('Shift+F10')
    await page.getByRole('menu', { name: 'Columns' }).waitFor()
    await page.getByRole('menuitem', { name: 'Move “Name” right' }).focus()
    await page.keyboard.press('Enter')
    await expect.poll(async () => (await headerIds()).slice(0, 2)).toEqual(['progress', 'name'])
    const w0 = (await head('name').boundingBox())!.width
    await head('name').focus()
    await page.keyboard.press('Alt+ArrowRight')
    await expect.poll(async () => Math.round((await head('name').boundingBox())!.width - w0)).toBe(10)
    const saved = JSON.parse((await page.evaluate(() => localStorage.getItem('tidepool-columns-torrents'))) ?? '{}')
    expect(saved).toMatchObject({
      hidden: ['size'],
      order: expect.arrayContaining(['progress', 'name']),
      widths: { name: expect.any(Number) },
      sort: { id: 'name', dir: 'asc' },
    })
    // back to the default layout for the checks that follow
    await page.evaluate(() => localStorage.removeItem('tidepool-columns-torrents'))
    await head('progress').click({ button: 'right' })
    await page.getByRole('menuitem', { name: 'Show Size' }).click()
    for (const expected of [
      ['size', 'name', 'progress'],
      ['name', 'size', 'progress'],
    ]) {
      await head('name').click({ button: 'right' })
      await page.getByRole('menuitem', { name: 'Move “Name” left' }).click()
      await expect.poll(async () => (await headerIds()).slice(0, 3)).toEqual(expected)
    }
  })

  it("the Files tab is a folder tree: a folder's checkbox skips every file in it", async () => {
    const file = join(home, 'tree.torrent')
    const blob = (n: number) => new Uint8Array(n).fill(7)
    await writeFile(
      file,
      await createTorrent({
        name: 'tree set',
        pieceLength: 16 * 1024,
        announce: DEAD_HTTP,
        files: [
          { path: 'cd1/01.bin', data: blob(20_000) },
          { path: 'cd1/02.bin', data: blob(20_000) },
          { path: 'cd2/01.bin', data: blob(20_000) },
          { path: 'notes.txt', data: blob(100) },
        ],
      }),
    )
    await addTorrentFile(page, file)
    const row = page.locator('[role="grid"][aria-label="Torrents"] [role="row"]', { hasText: 'tree set' })
    await row.click()
    await page.locator('button[role="tab"][data-tab="files"]').click()
    const files = page.locator('[role="grid"][aria-label="Files"]')
    await files.getByRole('button', { name: 'Open folder cd1' }).waitFor({ timeout: 15_000 })
    expect(await files.locator('[role="row"][data-key]:not([data-key=""])').count()).toBe(4) // tree set/, cd1/, cd2/, notes.txt
    await files.getByRole('checkbox', { name: 'Download folder cd1' }).uncheck()
    await files.getByRole('button', { name: 'Open folder cd1' }).click()
    await files.getByRole('checkbox', { name: 'Download 02.bin' }).waitFor()
    await expect.poll(() => files.getByRole('checkbox', { name: 'Download 01.bin' }).first().isChecked()).toBe(false)
    expect(await files.getByRole('checkbox', { name: 'Download 02.bin' }).isChecked()).toBe(false)
    // the top folder is now mixed: some of its files are skipped
    await expect
      .poll(() =>
        files
          .getByRole('checkbox', { name: 'Download folder tree set' })
          .evaluate((el) => (el as HTMLInputElement).indeterminate),
      )
      .toBe(true)
    await shot(page, 'uitrust-files-tree')
    // a second click takes a file back, and it stays taken across the next status polls (once seen to
    // revert in the extension)
    const again = files.getByRole('checkbox', { name: 'Download 02.bin' })
    await again.check()
    const cd1 = files.getByRole('checkbox', { name: 'Download folder cd1' })
    await expect.poll(() => cd1.evaluate((el) => (el as HTMLInputElement).indeterminate)).toBe(true)
    await page.waitForTimeout(2500) // two or three polls
    expect(await again.isChecked()).toBe(true)
    expect(await cd1.evaluate((el) => (el as HTMLInputElement).indeterminate)).toBe(true)
  })

  it('no serious or critical accessibility violations: main view, every tab, every dialog, both themes', async () => {
    const found: string[] = []
    for (const theme of ['light', 'dark'] as const) {
      await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme)
      await torrentRow(page, A).click()
      found.push(...(await seriousViolations(page, `${theme} main`)))
      for (const tab of ['general', 'peers', 'swarm', 'files', 'trackers', 'pieces', 'speed', 'log']) {
        await page.locator(`button[role="tab"][data-tab="${tab}"]`).click()
        await page.waitForTimeout(300)
        found.push(...(await seriousViolations(page, `${theme} tab ${tab}`)))
      }
      // the Files tree of a torrent with folders
      await page.locator('[role="grid"][aria-label="Torrents"] [role="row"]', { hasText: 'tree set' }).click()
      await page.locator('button[role="tab"][data-tab="files"]').click()
      await page.waitForTimeout(300)
      found.push(...(await seriousViolations(page, `${theme} files tree`)))
      await torrentRow(page, A).click()
      for (const [open, name] of [
        ['+ Add', 'Add torrent'],
        ['Settings', 'Settings'],
        ['✕ Remove…', 'Remove torrents'],
      ] as const) {
        await page.getByRole('button', { name: open, exact: true }).click()
        const d = page.getByRole('dialog', { name })
        await d.waitFor()
        await page.waitForTimeout(300)
        found.push(...(await seriousViolations(page, `${theme} dialog ${name}`)))
        await page.keyboard.press('Escape')
        await d.waitFor({ state: 'detached' })
      }
      // the label dialog (key L on the list)
      await grid(page).focus()
      await page.keyboard.press('l')
      const labelDialog = page.getByRole('dialog', { name: 'Label torrents' })
      await labelDialog.waitFor()
      await page.waitForTimeout(300)
      found.push(...(await seriousViolations(page, `${theme} dialog Label torrents`)))
      await page.keyboard.press('Escape')
      await labelDialog.waitFor({ state: 'detached' })
      await grid(page).focus()
      await page.keyboard.press('Shift+F10')
      await page.getByRole('menu').waitFor()
      found.push(...(await seriousViolations(page, `${theme} context menu`)))
      await page.keyboard.press('Escape')
      await shot(page, `uitrust-${theme}`)
    }
    expect(found).toEqual([])
  }, 120_000)

  it("a magnet link opened by the browser's handler goes to the running tab, which says it was added", async () => {
    const D = hash('e')
    const before = (await rowKeys(page)).length
    const opened = await context.newPage()
    await opened.goto(`${app.origin}/#magnet=${encodeURIComponent(magnet(D, 'delta four', [DEAD_HTTP]))}`)
    await expect
      .poll(() => opened.locator('.tab-notice').textContent(), { timeout: 15_000 })
      .toMatch(/went to the Tidepool tab/)
    await expect
      .poll(() => page.locator('.handler-result').textContent(), { timeout: 15_000 })
      .toMatch(/“delta four” was added/)
    await until(async () => (await rowKeys(page)).length === before + 1, 10_000, "the handler's torrent listed")
    await opened.close()
    expect(await page.locator('.modal, [role="dialog"]').count()).toBe(0)
    await page.getByRole('button', { name: 'Settings', exact: true }).click()
    await page
      .getByRole('dialog', { name: 'Settings' })
      .getByRole('button', { name: 'Open magnet links with Tidepool…' })
      .waitFor()
    await page.keyboard.press('Escape')
  })

  it('after pnpm app restarts: the open tab says so (no token box) and takes the new link; a new tab takes over', async () => {
    const listed = (await rowKeys(page)).length
    await app.stop()
    // while it is down: how to start it, in plain words
    const down = page.locator('.banner[data-state="unreachable"]')
    await down.waitFor({ timeout: 20_000 })
    expect(await down.textContent()).toMatch(
      /Cannot reach the Tidepool helper\. It stopped, or Tidepool was closed in its terminal\. Start it again with pnpm start/,
    )
    expect(await down.textContent()).not.toMatch(/install|token|`/)
    app = await startWebApp({ out: join(home, 'downloads'), configHome: config(), port })
    const banner = page.locator('.banner[data-state="auth-failed"]')
    await banner.waitFor({ timeout: 30_000 }).catch(async (e) => {
      const cfg = await page.evaluate(() =>
        fetch('./config.json', { cache: 'no-store' }).then(
          (r) => r.text(),
          (x) => String(x),
        ),
      )
      throw new Error(`${String(e)}; app ${app.url}; page ${page.url()}; config ${cfg}`)
    })
    expect(await banner.textContent()).toMatch(/Tidepool was restarted/)
    expect(await page.locator('input[name="token"]').count()).toBe(0)
    expect(await page.locator('body').textContent()).not.toMatch(/token/i)
    // the new link pasted into this tab: only the fragment changes
    await page.goto(app.url)
    await waitHelperConnected(page, 30_000).catch(async (e) => {
      await shot(page, 'uitrust-restart-fail')
      const cfg = await (await fetch(`${app.origin}/config.json`)).text()
      throw new Error(
        `${String(e)}; config ${cfg}; page ${page.url()}: ${await page.locator('.banner').allTextContents()}`,
      )
    })
    await until(async () => (await rowKeys(page)).length === listed, 15_000, 'the torrents back in the old tab')
    // the label given before the restart is still there (kept in the engine's session)
    await expect.poll(() => torrentRow(page, A).locator('.label-cell').textContent()).toBe('Linux ISOs')

    // restarted again, its new link opened in a new tab: that tab runs Tidepool, the old one says where it went
    await app.stop()
    app = await startWebApp({ out: join(home, 'downloads'), configHome: config(), port })
    const fresh = await context.newPage()
    await fresh.goto(app.url)
    await waitHelperConnected(fresh, 30_000)
    await page.locator('.tab-notice').waitFor({ timeout: 15_000 })
    expect(await page.locator('.tab-notice').textContent()).toMatch(/moved to another tab/)
    await until(async () => (await rowKeys(fresh)).length === listed, 15_000, 'the torrents in the new tab')
    await fresh.close()
  }, 150_000)
})
