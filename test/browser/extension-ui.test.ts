// The extension's own pages in Chromium with the real native host and daemon (no peers needed):
// the magnet handler says what it did with a good and a bad link, the popup pauses and resumes a
// torrent and shows the helper's state, axe-core finds nothing serious in the popup or the full tab in
// either theme; and a browser without the helper gets install instructions for Chromium and Chrome.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seriousViolations } from './helpers/axe.ts'
import { chromiumAvailable, launchChromium, shot, until } from './helpers/browser.ts'
import {
  EXTENSION_DIST,
  ensureExtensionBuilt,
  launchWithExtension,
  type ExtensionBrowser,
} from './helpers/extension.ts'
import { waitHelperConnected } from './helpers/ui-actions.ts'

const HASH = 'd'.repeat(40)
const GOOD = `magnet:?xt=urn:btih:${HASH}&dn=${encodeURIComponent('handler test')}&tr=${encodeURIComponent('http://127.0.0.1:1/announce')}`

describe.skipIf(!chromiumAvailable())('extension pages in Chromium', () => {
  let home = ''
  let b: ExtensionBrowser

  beforeAll(async () => {
    ensureExtensionBuilt()
    home = await mkdtemp(join(tmpdir(), 'tidepool-extui-'))
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

  const handlerResult = async (link: string): Promise<{ text: string; role: string | null }> => {
    const page = await b.context.newPage()
    await page.goto(`${b.appUrl}#magnet=${encodeURIComponent(link)}`)
    const banner = page.locator('.handler-result')
    await banner.waitFor({ timeout: 30_000 })
    const r = { text: (await banner.textContent()) ?? '', role: await banner.getAttribute('role') }
    expect(new URL(page.url()).hash).toBe('')
    await page.close()
    return r
  }

  it('the magnet handler shows an error for a bad link and a confirmation for a good one', async () => {
    const bad = await handlerResult('magnet:?xt=urn:btih:nothex')
    expect(bad.role).toBe('alert')
    expect(bad.text).toMatch(/could not add this (magnet )?link/)
    const good = await handlerResult(GOOD)
    expect(good.role).toBe('status')
    expect(good.text).toMatch(/“handler test” was added/)
    const again = await handlerResult(GOOD)
    expect(again.text).toMatch(/already in the list/)
  }, 120_000)

  it('the popup shows the helper, pauses and resumes a torrent, and links to the full tab', async () => {
    const popup = await b.context.newPage()
    await popup.setViewportSize({ width: 380, height: 520 })
    await popup.goto(b.popupUrl)
    await popup.locator('.helper-state[data-daemon="connected"]').waitFor({ timeout: 30_000 })
    await popup.getByRole('button', { name: 'Pause handler test' }).click()
    await until(
      async () => /Paused/.test((await popup.locator(`.ptorrent[data-key="${HASH}"]`).textContent()) ?? ''),
      10_000,
      'paused from the popup',
    )
    await popup.getByRole('button', { name: 'Resume handler test' }).click()
    await until(
      async () => !/Paused/.test((await popup.locator(`.ptorrent[data-key="${HASH}"]`).textContent()) ?? ''),
      10_000,
      'resumed from the popup',
    )
    expect(await popup.getByRole('button', { name: 'Open Tidepool in a tab' }).isVisible()).toBe(true)
    await shot(popup, 'extension-popup-controls')
    await popup.close()
  }, 60_000)

  it('no serious or critical accessibility violations in the popup and the full tab, both themes', async () => {
    const found: string[] = []
    const check = async (page: Page, where: string) => {
      for (const theme of ['light', 'dark'] as const) {
        await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme)
        await page.waitForTimeout(200)
        found.push(...(await seriousViolations(page, `${where} ${theme}`)))
      }
    }
    const popup = await b.context.newPage()
    await popup.setViewportSize({ width: 380, height: 520 })
    await popup.goto(b.popupUrl)
    await popup.locator('.helper-state[data-daemon="connected"]').waitFor({ timeout: 30_000 })
    await popup.locator('.ptorrent').first().waitFor()
    await check(popup, 'popup')
    await popup.close()
    const tab = await b.context.newPage()
    await tab.goto(b.appUrl)
    await waitHelperConnected(tab)
    await check(tab, 'extension tab')
    // the helper says where its download folder is: Settings shows that path, not a name
    await tab.getByRole('button', { name: 'Settings', exact: true }).click()
    const folder = tab.getByRole('dialog', { name: 'Settings' }).getByRole('combobox', { name: 'Download folder' })
    await expect.poll(() => folder.locator('option').allTextContents()).toEqual([join(home, 'downloads')])
    await tab.close()
    expect(found).toEqual([])
  }, 60_000)

  it('without the helper, the page says how to install it for Chromium and for Chrome', async () => {
    const bare = await launchChromium(join(home, 'bare-profile'), EXTENSION_DIST)
    try {
      const worker = bare.serviceWorkers()[0] ?? (await bare.waitForEvent('serviceworker', { timeout: 30_000 }))
      const page = await bare.newPage()
      await page.goto(`chrome-extension://${new URL(worker.url()).host}/app.html`)
      const banner = page.locator('.banner[data-state="not-installed"]')
      await banner.waitFor({ timeout: 30_000 }).catch(async (e) => {
        throw new Error(`${String(e)}; the page shows: ${await page.locator('.banner, .statusbar').allTextContents()}`)
      })
      const text = (await banner.textContent()) ?? ''
      expect(text).toMatch(/Chromium:\s*pnpm native-host install --browser chromium --extension-id [a-p]{32}/)
      expect(text).toMatch(/Google Chrome:\s*pnpm native-host install --browser chrome --extension-id [a-p]{32}/)
      expect(text.indexOf('Chromium:')).toBeLessThan(text.indexOf('Google Chrome:')) // the browser in use first
      await shot(page, 'extension-not-installed')
    } finally {
      await bare.close()
    }
  }, 60_000)
})
