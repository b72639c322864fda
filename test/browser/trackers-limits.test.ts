// The Trackers tab's edits and the speed-limit controls, in real headless Chromium against the real
// web app, engine and daemon: a magnet whose tracker is a dead port on 127.0.0.1 (nothing leaves the
// machine). What the page shows after each edit is what the engine holds; axe checks the new controls.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seriousViolations } from './helpers/axe.ts'
import { chromiumAvailable, launchChromium } from './helpers/browser.ts'
import { addMagnet, openTab, torrentRow, waitHelperConnected } from './helpers/ui-actions.ts'
import { startWebApp, type WebApp } from './helpers/webapp.ts'

const HASH = 'e'.repeat(40)
const DEAD = 'udp://127.0.0.1:9/announce'
const ADDED = 'http://127.0.0.1:1/announce'
const EDITED = 'http://127.0.0.1:2/announce'

describe.skipIf(!chromiumAvailable())('trackers and speed limits (web app in Chromium)', () => {
  let app: WebApp
  let context: BrowserContext
  let page: Page
  let home = ''

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'tidepool-trackers-ui-'))
    app = await startWebApp({ out: join(home, 'downloads'), configHome: join(home, 'config') })
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

  const trackerUrls = () =>
    page
      .locator('table[aria-label="Trackers"] tbody tr[data-tracker]')
      .evaluateAll((rows) =>
        rows.filter((r) => !r.querySelector('.dhtrow')).map((r) => r.getAttribute('data-tracker') ?? ''),
      )

  it('adds, edits, re-announces and removes trackers from the Trackers tab', async () => {
    await addMagnet(page, `magnet:?xt=urn:btih:${HASH}&dn=edit-me&tr=${encodeURIComponent(DEAD)}`)
    await torrentRow(page, HASH).waitFor()
    await openTab(page, HASH, 'trackers')
    await expect.poll(trackerUrls, { timeout: 10_000 }).toContain(DEAD)

    await page.getByRole('button', { name: 'Add trackers…' }).click()
    await page.locator('form.tracker-add textarea').fill(`${ADDED}\nnot a url`)
    await page.locator('form.tracker-add').getByRole('button', { name: 'Add', exact: true }).click()
    // one bad line refuses the whole add, and says why
    await expect.poll(() => page.locator('.tracker-error').textContent()).toMatch(/not a tracker URL|supported/)
    await page.locator('form.tracker-add textarea').fill(ADDED)
    await page.locator('form.tracker-add').getByRole('button', { name: 'Add', exact: true }).click()
    await expect.poll(trackerUrls, { timeout: 10_000 }).toEqual([DEAD, ADDED])
    expect(await seriousViolations(page, 'trackers tab with the add form')).toEqual([])

    await page.getByRole('button', { name: `Edit ${ADDED}` }).click()
    await page.getByRole('textbox', { name: 'Tracker URL' }).fill(EDITED)
    await page.getByRole('spinbutton', { name: 'Tier' }).fill('0')
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(trackerUrls, { timeout: 10_000 }).toEqual([DEAD, EDITED])
    const tierOf = (url: string) => page.locator(`tr[data-tracker="${url}"] td`).nth(1).textContent()
    expect(await tierOf(EDITED)).toBe('0')

    await page.getByRole('button', { name: `Reannounce to ${DEAD}` }).click()
    expect(await page.locator('.tracker-error').count()).toBe(0)
    await page.getByRole('button', { name: `Remove ${DEAD}` }).click()
    await expect.poll(trackerUrls, { timeout: 10_000 }).toEqual([EDITED])
  })

  it('switches to the alternative limits from the status bar, and sets a torrent its own limits', async () => {
    const toggle = page.locator('.statusbar .alt-speed-toggle')
    await toggle.waitFor({ timeout: 10_000 })
    expect(await toggle.getAttribute('aria-pressed')).toBe('false')
    await toggle.click()
    await expect.poll(() => toggle.getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('true')
    expect(await toggle.getAttribute('title')).toMatch(/limits now: ▼ 10(\.0)? KiB\/s/)
    await toggle.click()
    await expect.poll(() => toggle.getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('false')

    await openTab(page, HASH, 'general')
    await page.locator('input[name="torrentDownloadLimit"]').fill('300k')
    await page.locator('form.torrent-limits').getByRole('button', { name: 'Apply' }).click()
    await expect.poll(() => page.locator('form.torrent-limits [role="status"]').textContent()).toBe('Saved')
    expect(await seriousViolations(page, 'general tab with limits')).toEqual([])

    // the settings dialog holds the schedule; saving it keeps it
    await page.getByRole('button', { name: /Settings/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await dialog.locator('input[name="altScheduleEnabled"]').check()
    await dialog.locator('input[name="altScheduleFrom"]').fill('01:30')
    expect(await seriousViolations(page, 'settings with alternative limits')).toEqual([])
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.waitFor({ state: 'detached', timeout: 10_000 })
    await page.getByRole('button', { name: /Settings/ }).click()
    await expect
      .poll(() => page.getByRole('dialog', { name: 'Settings' }).locator('input[name="altScheduleFrom"]').inputValue())
      .toBe('01:30')
    expect(
      await page.getByRole('dialog', { name: 'Settings' }).locator('input[name="altScheduleEnabled"]').isChecked(),
    ).toBe(true)
  })
})
