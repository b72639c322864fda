import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import type { Swarm } from '../fixtures/swarm.ts'
import { chromiumAvailable, shot } from './helpers/browser.ts'
import { tryFromForeignOrigin, upgradeStatus } from './helpers/foreign-page.ts'
import { firstSightings, installPeerStateLog, lookProblems, readPeerStateLog } from './helpers/peer-state-log.ts'
import { slowSeed } from './helpers/swarm-setup.ts'
import {
  addTorrentFile,
  openTab,
  pieceDataText,
  torrentRow,
  turnDataPlaneOff,
  waitHelperConnected,
  waitRowText,
} from './helpers/ui-actions.ts'
import { startWebAppInChromium, type WebApp, type WebAppInChromium } from './helpers/webapp.ts'

describe.skipIf(!chromiumAvailable() || !libtorrentAvailable())('local web app in Chromium', () => {
  let swarm: Swarm
  let app: WebApp
  let context: BrowserContext
  let world: WebAppInChromium | undefined

  beforeAll(async () => {
    world = await startWebAppInChromium('tidepool-browser-')
    ;({ swarm, app, context } = world)
  }, 150_000)

  afterAll(async () => {
    await world?.close()
  })

  it('adds a .torrent, shows Connecting… then Connected, finishes with the right bytes', async () => {
    const t = await swarm.torrent({
      name: 'web app file.bin',
      size: 3 * 1024 * 1024 + 4321,
      pieceLength: 64 * 1024,
      tracker: 'http',
      seed: 11,
    })
    await slowSeed(swarm, t)
    const page = await context.newPage()
    await installPeerStateLog(page)
    await page.goto(app.url)
    expect(new URL(page.url()).hash).toBe('') // the token left the address bar
    await waitHelperConnected(page)
    await shot(page, 'webapp-empty')

    await addTorrentFile(page, t.torrentPath)
    await openTab(page, t.infoHash, 'peers')
    await waitRowText(page, t.infoHash, /Seeding/, 60_000)
    await shot(page, 'webapp-torrent-list-peers')
    expect(await diffTrees(t.contentPath, join(swarm.work, 'downloads', t.name))).toEqual([])
    // the daemon announces the data plane: it kept, hashed and wrote the pieces, so the page's hash
    // worker (WebAssembly SHA-1, for a daemon without it) hashed almost none of them (one of 49 was seen
    // hashed in the page once, not explained yet; without the data plane all 49 are)
    const hashedInPage = await piecesHashedInPage(page)
    expect(hashedInPage).toBeLessThan(t.pieceCount / 4)
    expect(await pieceDataText(page, t.infoHash)).toBe('kept, checked and written by the helper')

    const log = await readPeerStateLog(page)
    const first = firstSightings(log)
    expect(first.connecting, 'a Connecting… row was shown').not.toBeNull()
    expect(first.connected, 'a Connected row was shown').not.toBeNull()
    expect(first.connecting!).toBeLessThan(first.connected!)
    expect(
      first.sameRow,
      `the same peer went from Connecting… to Connected; log: ${JSON.stringify(log.slice(0, 30))}`,
    ).toBe(true)
    expect(lookProblems(log), 'connecting rows dimmed with address and client only').toEqual([])
    await expect(torrentRow(page, t.infoHash)).toBeTruthy()
    await page.close()
  })

  it('refuses a page from another origin at the WebSocket upgrade', async () => {
    const cfg = (await (await fetch(`${app.origin}/config.json`, { signal: AbortSignal.timeout(5000) })).json()) as {
      daemonUrl: string
    }
    const t0 = Date.now()
    const r = await tryFromForeignOrigin(context, cfg.daemonUrl)
    expect(Date.now() - t0).toBeLessThan(20_000)
    expect(r.opened).toBe(false)
    expect(r.messages).toBe(0)
    expect(r.closeCode).toBe(1006)
    // the same upgrade with the app's Origin is accepted (so the refusal is about the Origin)
    expect(await upgradeStatus(cfg.daemonUrl, r.origin)).toBe(403)
    expect(await upgradeStatus(cfg.daemonUrl, app.origin)).toBe(101)
  })
})

// Its own web app: the login link in the address is good for one page, so a test that needs a fresh
// page (and a fresh engine with the setting changed) gets a fresh app.
describe.skipIf(!chromiumAvailable() || !libtorrentAvailable())('local web app with the data plane off', () => {
  let swarm: Swarm
  let app: WebApp
  let context: BrowserContext
  let world: WebAppInChromium | undefined

  beforeAll(async () => {
    world = await startWebAppInChromium('tidepool-browser-oldpath-')
    ;({ swarm, app, context } = world)
  }, 150_000)

  afterAll(async () => {
    await world?.close()
  })

  it('with "Keep piece data in the helper" off, the page takes the old path: every piece hashed in its worker', async () => {
    const t = await swarm.torrent({
      name: 'web app old path.bin',
      size: 2 * 1024 * 1024 + 777,
      pieceLength: 64 * 1024,
      tracker: 'http',
      seed: 12,
    })
    await slowSeed(swarm, t)
    const page = await context.newPage()
    await page.goto(app.url)
    await waitHelperConnected(page)
    await turnDataPlaneOff(page)
    await addTorrentFile(page, t.torrentPath)
    await waitRowText(page, t.infoHash, /Seeding/, 60_000)
    expect(await diffTrees(t.contentPath, join(swarm.work, 'downloads', t.name))).toEqual([])
    // the engine in the page received every byte and hashed every piece in its own hash worker
    const hashedInPage = await piecesHashedInPage(page)
    expect(hashedInPage).toBeGreaterThanOrEqual(t.pieceCount)
    expect(await pieceDataText(page, t.infoHash)).toBe('checked in the browser, written by the helper')
    await page.close()
  }, 120_000)
})

/** Pieces the page's own hash worker (WebAssembly SHA-1, the path without a data plane) has hashed. */
async function piecesHashedInPage(page: Page): Promise<number> {
  const hashWorker = page.workers().find((w) => /sha1-worker/.test(w.url()))
  return hashWorker
    ? await hashWorker.evaluate(() => (self as unknown as { tidepoolHashed?: number }).tidepoolHashed ?? 0)
    : 0
}
