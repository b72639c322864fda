// A full disk, for real: the local web app downloads into a small tmpfs the test mounts (root) while a
// filler file leaves too little room. The torrent stops in error with a message that says so; the test
// frees the space, the user presses Start, and the download finishes with exactly the seed's bytes.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { mountTmpfs, tmpfsAvailable, type Tmpfs } from '../fixtures/tmpfs.ts'
import { chromiumAvailable, launchChromium, shot } from './helpers/browser.ts'
import { addTorrentFile, torrentRow, waitHelperConnected, waitRowText } from './helpers/ui-actions.ts'
import { startWebApp, type WebApp } from './helpers/webapp.ts'

const DISK = 6 * 1024 * 1024
const FILLER = 3 * 1024 * 1024
const SIZE = 4 * 1024 * 1024 + 777

describe.skipIf(!chromiumAvailable() || !libtorrentAvailable() || !tmpfsAvailable())('disk full in the web app', () => {
  let swarm: Swarm
  let app: WebApp
  let context: BrowserContext
  let disk: Tmpfs | null = null
  let home = ''

  beforeAll(async () => {
    swarm = await createSwarm('tidepool-diskfull-')
    disk = await mountTmpfs(DISK)
    await mkdir(join(disk.dir, 'downloads'))
    home = await mkdtemp(join(tmpdir(), 'tidepool-diskfull-home-'))
    app = await startWebApp({ out: join(disk.dir, 'downloads'), configHome: join(home, 'config') })
    context = await launchChromium(join(home, 'profile'))
  }, 150_000)

  afterAll(async () => {
    await context?.close()
    await app?.stop()
    await swarm?.close()
    await disk?.unmount()
    if (home) await rm(home, { recursive: true, force: true })
  })

  it('fails with a clear message, and Start after space is freed finishes with exact bytes', async () => {
    const t = await swarm.torrent({ name: 'too big.bin', size: SIZE, pieceLength: 64 * 1024, seed: 77 })
    await swarm.seed(t)
    const filler = join(disk!.dir, 'filler.bin')
    await writeFile(filler, new Uint8Array(FILLER).fill(7))
    const page = await context.newPage()
    await page.goto(app.url)
    await waitHelperConnected(page)
    await addTorrentFile(page, t.torrentPath)
    const text = await waitRowText(page, t.infoHash, /Error/, 90_000)
    expect(text).toMatch(/The disk is full\. Free some space, then start the torrent again\./)
    await shot(page, 'disk-full-error')

    await rm(filler) // the user frees space
    await torrentRow(page, t.infoHash).click()
    await page.getByRole('button', { name: '▶ Start' }).click()
    await waitRowText(page, t.infoHash, /Seeding/, 90_000)
    expect(await diffTrees(t.contentPath, join(disk!.dir, 'downloads', t.name))).toEqual([])
    await shot(page, 'disk-full-recovered')
    await page.close()
  })
})
