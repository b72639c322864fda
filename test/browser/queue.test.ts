import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import type { MadeTorrent } from '../fixtures/make-torrent.ts'
import type { Swarm } from '../fixtures/swarm.ts'
import { chromiumAvailable, shot, until } from './helpers/browser.ts'
import { addTorrentFile, torrentRow, waitHelperConnected } from './helpers/ui-actions.ts'
import { startWebAppInChromium, type WebApp, type WebAppInChromium } from './helpers/webapp.ts'

/** Each seed serves this fast, so a download takes ~30 s (adding six through the dialog must fit in one). */
const SEED_RATE = 48 * 1024
const SIZE = 1536 * 1024

interface RowView {
  key: string
  position: string
  status: string
}

async function rows(page: Page): Promise<RowView[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[role="grid"][aria-label="Torrents"] [role="row"][data-key]')]
      // the virtual table keeps spare rows, hidden and empty
      .filter((r) => r.querySelector('[data-col="status"]'))
      .map((r) => ({
        key: r.getAttribute('data-key') ?? '',
        position: r.querySelector('[data-col="queue"]')?.textContent?.trim() ?? '',
        status: r.querySelector('[data-col="status"]')?.textContent?.trim() ?? '',
      })),
  )
}

/** Waits until `ok` holds of the rows; the error shows the rows last seen. */
async function untilRows(page: Page, what: string, ok: (m: Map<string, RowView>) => boolean, ms = 30_000) {
  let seen: RowView[] = []
  await until(
    async () => {
      seen = await rows(page)
      return ok(new Map(seen.map((r) => [r.key, r]))) ? true : null
    },
    ms,
    what,
    200,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; rows: ${JSON.stringify(seen)}`)
  })
}

const isQueued = (s: string) => /^Queued/.test(s)
const isSeeding = (s: string) => /^Seeding/.test(s)

describe.skipIf(!chromiumAvailable() || !libtorrentAvailable())('torrent queue in the web app', () => {
  let swarm: Swarm
  let app: WebApp
  let context: BrowserContext
  let world: WebAppInChromium | undefined

  beforeAll(async () => {
    world = await startWebAppInChromium('tidepool-queue-')
    ;({ swarm, app, context } = world)
  }, 150_000)

  afterAll(async () => {
    await world?.close()
  })

  it('queues four of six downloads, follows a reorder, and starts them in order as downloads finish', async () => {
    const ts: MadeTorrent[] = []
    for (let i = 1; i <= 6; i++) {
      const t = await swarm.torrent({ name: `queued ${i}.bin`, size: SIZE, pieceLength: 64 * 1024, seed: 600 + i })
      await swarm.seed(t, { uploadLimit: SEED_RATE })
      ts.push(t)
    }
    const [q1, q2, q3, q4, q5, q6] = ts.map((t) => t.infoHash) as [string, string, string, string, string, string]
    const page = await context.newPage()
    await page.goto(app.url)
    await waitHelperConnected(page)

    // at most two active downloads, set in the settings dialog; room for every seed, so that finished
    // downloads keep seeding (a seed beyond its limit would wait as Queued too)
    await page.getByRole('button', { name: /Settings/ }).click()
    const settings = page.getByRole('dialog', { name: 'Settings' })
    await settings.locator('input[name="maxActiveDownloads"]').fill('2')
    await settings.locator('input[name="maxActiveSeeds"]').fill('6')
    await settings.locator('input[name="maxActiveTorrents"]').fill('8')
    // a download starved for a minute on a loaded machine would count as slow and let a third start
    // (the slow rule has its own tests on the injected clock)
    await settings.locator('input[name="dontCountSlowTorrents"]').uncheck()
    await settings.getByRole('button', { name: 'Save' }).click()
    await settings.waitFor({ state: 'detached', timeout: 10_000 })

    for (const t of ts) await addTorrentFile(page, t.torrentPath)
    const byKey = async () => new Map((await rows(page)).map((r) => [r.key, r]))
    await untilRows(
      page,
      'two running and four queued',
      (m) =>
        [q3, q4, q5, q6].every((h) => isQueued(m.get(h)?.status ?? '')) &&
        [q1, q2].every((h) => !isQueued(m.get(h)?.status ?? 'Queued')),
    )
    let m = await byKey()
    expect(ts.map((t) => m.get(t.infoHash)?.position)).toEqual(['1', '2', '3', '4', '5', '6'])
    expect((await rows(page)).filter((r) => isQueued(r.status)).length).toBe(4)
    expect(await page.locator('[data-state-filter="queued"] .side-count').textContent()).toBe('4')
    await shot(page, 'queue-four-queued')

    // q6 to the top from the context menu, q5 one place up with the toolbar button
    await torrentRow(page, q6).click({ button: 'right' })
    await page
      .getByRole('menu', { name: 'Torrent actions' })
      .getByRole('menuitem', { name: 'Move to top of queue' })
      .click()
    await torrentRow(page, q5).click()
    await page.getByRole('button', { name: '▲ Move up' }).click()
    const order = [q6, q1, q2, q3, q5, q4]
    // q6 runs now; q2, third, waits again
    await untilRows(
      page,
      'the new order applied',
      (mm) =>
        order.every((h, i) => mm.get(h)?.position === String(i + 1)) &&
        !isQueued(mm.get(q6)?.status ?? 'Queued') &&
        isQueued(mm.get(q2)?.status ?? ''),
    )
    await shot(page, 'queue-reordered')

    // watch the queue advance: the waiting ones start in the new order, each after one more finished
    const waiting = [q2, q3, q5, q4]
    const startedWith = new Map<string, number>() // info-hash -> finished downloads when it started
    let maxActive = 0
    const end = Date.now() + 240_000
    for (;;) {
      const rs = await rows(page)
      const finished = rs.filter((r) => isSeeding(r.status)).length
      const active = rs.filter((r) => !isQueued(r.status) && !isSeeding(r.status))
      maxActive = Math.max(maxActive, active.length)
      for (const h of waiting) {
        const r = rs.find((x) => x.key === h)
        if (r && !isQueued(r.status) && !startedWith.has(h)) startedWith.set(h, finished)
      }
      if (finished === 6) break
      if (Date.now() > end)
        throw new Error(`queue did not finish: ${JSON.stringify(rs)}, started: ${JSON.stringify([...startedWith])}`)
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(maxActive, 'never more than two downloads at once').toBeLessThanOrEqual(2)
    // in queue order, the k-th waiting torrent only once k downloads had finished
    const starts = waiting.map((h) => startedWith.get(h))
    expect(starts.every((n) => n !== undefined)).toBe(true)
    for (let k = 0; k < waiting.length; k++) {
      expect(starts[k]!, `start ${k + 1} of ${JSON.stringify(starts)}`).toBeGreaterThanOrEqual(k + 1)
      if (k > 0) expect(starts[k]!).toBeGreaterThanOrEqual(starts[k - 1]!)
    }
    m = await byKey()
    expect(ts.every((t) => isSeeding(m.get(t.infoHash)?.status ?? ''))).toBe(true)
    for (const t of ts) expect(await diffTrees(t.contentPath, join(swarm.work, 'downloads', t.name))).toEqual([])
    await shot(page, 'queue-done')
    await page.close()
  }, 420_000)
})
