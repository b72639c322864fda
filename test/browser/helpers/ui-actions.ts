// What a person does in the Tidepool UI, as playwright steps shared by the web app and extension tests.
import type { Page } from 'playwright-core'
import { until } from './browser.ts'

export async function waitHelperConnected(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.locator('.statusbar .daemon[data-daemon="connected"]').waitFor({ timeout: timeoutMs })
}

/** + Add → choose the .torrent file → Add. */
export async function addTorrentFile(page: Page, torrentPath: string): Promise<void> {
  await page.getByRole('button', { name: '+ Add' }).click()
  const dialog = page.getByRole('dialog', { name: 'Add torrent' })
  await dialog.locator('input[type="file"]').setInputFiles(torrentPath)
  await dialog.locator('.add-title').waitFor({ timeout: 10_000 })
  await dialog.getByRole('button', { name: 'Add', exact: true }).click()
  await dialog.waitFor({ state: 'detached', timeout: 15_000 })
}

export async function addMagnet(page: Page, magnet: string): Promise<void> {
  await page.getByRole('button', { name: '+ Add' }).click()
  const dialog = page.getByRole('dialog', { name: 'Add torrent' })
  await dialog.locator('input[name="magnet"]').fill(magnet)
  await dialog.getByRole('button', { name: 'Add', exact: true }).click()
  await dialog.waitFor({ state: 'detached', timeout: 15_000 })
}

export function torrentRow(page: Page, infoHash: string) {
  return page.locator(`[role="grid"][aria-label="Torrents"] [role="row"][data-key="${infoHash}"]`)
}

export async function openTab(
  page: Page,
  infoHash: string,
  tab: 'peers' | 'swarm' | 'files' | 'trackers' | 'pieces' | string,
): Promise<void> {
  await torrentRow(page, infoHash).click()
  await page.locator(`button[role="tab"][data-tab="${tab}"]`).click()
}

/** Settings → "Keep piece data in the helper" off (checking it was on, the default), saved. */
export async function turnDataPlaneOff(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Settings', exact: true }).click()
  const dialog = page.getByRole('dialog', { name: 'Settings' })
  const box = dialog.locator('input[name="dataPlane"]')
  if (!(await box.isChecked())) throw new Error('"Keep piece data in the helper" was already off: it is on by default')
  await box.uncheck()
  await dialog.getByRole('button', { name: 'Save' }).click()
  await dialog.waitFor({ state: 'detached', timeout: 10_000 })
}

/** The General tab's "Piece data" row: whether the helper's data plane or the page's engine handles its pieces. */
export async function pieceDataText(page: Page, infoHash: string): Promise<string> {
  await openTab(page, infoHash, 'general')
  const row = page.locator('[data-testid=piece-data]')
  await row.waitFor({ timeout: 10_000 })
  return (await row.textContent()) ?? ''
}

export async function waitRowText(page: Page, infoHash: string, re: RegExp, timeoutMs: number): Promise<string> {
  return until(
    async () => {
      const text =
        (await torrentRow(page, infoHash)
          .textContent({ timeout: 1000 })
          .catch(() => null)) ?? ''
      return re.test(text) ? text : null
    },
    timeoutMs,
    `torrent ${infoHash.slice(0, 8)} row matching ${re}`,
    300,
  )
}
