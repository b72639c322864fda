// The companion daemon on "another device": a network namespace this test creates (veth pair, 10.200.N.x)
// runs the companion, a libtorrent seed and nothing else; the web app and Chromium stay on this side.
// The page pairs with the printed code, downloads a torrent through the companion byte-exact, and after
// a restart of both reconnects with its stored keys (no code). tcpdump on the veth shows no token, code
// or BitTorrent handshake in clear. Skips without root/ip/tcpdump/Chromium/libtorrent unless
// TIDEPOOL_REQUIRE_INTEROP=1.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DATA_PATH_NODE_FLAGS } from '@tidepool/native-host'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable, startLibtorrent, waitSeeding } from '../fixtures/libtorrent.ts'
import { makeTorrent, type MadeTorrent } from '../fixtures/make-torrent.ts'
import { netnsAvailable } from '../fixtures/netns.ts'
import { createHostLink, type HostLink } from '../fixtures/netns-host-link.ts'
import { spawnTracked, type Tracked } from '../fixtures/processes.ts'
import { startTracker, type LocalTracker } from '../fixtures/tracker.ts'
import { chromiumAvailable, launchChromium, REPO_ROOT, shot, until } from './helpers/browser.ts'
import { addTorrentFile, openTab, waitHelperConnected, waitRowText } from './helpers/ui-actions.ts'
import { EXTENSION_DIST, ensureExtensionBuilt } from './helpers/extension.ts'
import { startWebApp, type WebApp } from './helpers/webapp.ts'

const TCPDUMP = ['/usr/bin/tcpdump', '/usr/sbin/tcpdump'].find((p) => existsSync(p)) ?? '/usr/bin/tcpdump'
const tcpdumpAvailable = process.env.TIDEPOOL_REQUIRE_INTEROP === '1' || existsSync(TCPDUMP)
const COMPANION_PORT = 8742

/** '' when `needle` is not in `hay`; else the bytes around its first occurrence, to say which traffic leaked it. */
function leakContext(hay: Buffer, needle: string): string {
  const at = hay.indexOf(Buffer.from(needle, 'latin1'))
  if (at < 0) return ''
  return JSON.stringify(hay.subarray(Math.max(0, at - 160), at + needle.length + 160).toString('latin1'))
}

describe.skipIf(!chromiumAvailable() || !libtorrentAvailable() || !netnsAvailable() || !tcpdumpAvailable)(
  'companion daemon in a network namespace, used by the web app in Chromium',
  () => {
    let link: HostLink
    let tracker: LocalTracker
    let work = ''
    let companion: Tracked | undefined
    let capture: Tracked | undefined
    let app: WebApp | undefined
    let context: BrowserContext | undefined
    let t: MadeTorrent
    let appPort = 0
    let livePage: Page | undefined
    const seen: { code: string; token: string } = { code: '', token: '' }
    const stateDir = () => join(work, 'companion-state')
    const companionDownloads = () => join(work, 'companion-downloads')

    const startCompanion = async (): Promise<{ code: string }> => {
      const p = spawnTracked(
        link.wrap[0]!,
        [
          ...link.wrap.slice(1),
          process.execPath,
          ...DATA_PATH_NODE_FLAGS,
          '--import',
          import.meta.resolve('tsx'),
          join(REPO_ROOT, 'native-host', 'src', 'cli', 'daemon.ts'),
          '--companion',
          '--listen',
          `${link.nsAddress}:${COMPANION_PORT}`,
          '--name',
          'test-phone',
          '--state-dir',
          stateDir(),
          '--root',
          `downloads=${companionDownloads()}`,
          '--no-port-mapping',
        ],
        { cwd: REPO_ROOT, env: { ...process.env, TIDEPOOL_NO_MULTICAST: '1' }, name: 'companion daemon (netns)' },
      )
      companion = p
      const line = await p.waitFor((l) => typeof l.companion === 'object', 60_000, 'companion start line')
      const code = String((line.companion as { pairingCode: string }).pairingCode)
      return { code }
    }

    const openApp = async (): Promise<Page> => {
      app = await startWebApp({ out: join(work, 'local-downloads'), configHome: join(work, 'config'), port: appPort })
      appPort = Number(new URL(app.origin).port)
      const page = await context!.newPage()
      await page.goto(app.url)
      return page
    }

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'tidepool-companion-e2e-'))
      link = createHostLink()
      // The tracker listens on this side's veth address: both the seed and the companion announce to it.
      tracker = await startTracker({ host: link.hostAddress })
      await mkdir(join(work, 'seed'), { recursive: true })
      t = await makeTorrent({
        dir: join(work, 'seed'),
        name: 'companion file.bin',
        size: 6 * 1024 * 1024 + 777,
        pieceLength: 64 * 1024,
        trackers: [[tracker.httpUrl]],
        seed: 23,
      })
      const seed = await startLibtorrent({
        torrent: t.torrentPath,
        save: t.dir,
        seed: true,
        listen: link.nsAddress,
        wrap: link.wrap,
        name: 'libtorrent seed (netns)',
      })
      afterCleanups.push(() => seed.stop())
      await waitSeeding(seed, 30_000)
      await until(() => tracker.peers(t.infoHash).length > 0, 30_000, 'the seed announced')
      capture = spawnTracked(TCPDUMP, ['-i', link.hostDev, '-n', '-s', '0', '-U', '-w', join(work, 'veth.pcap')], {
        name: 'tcpdump',
      })
      await until(() => /listening on/.test(capture!.stderr()), 15_000, 'tcpdump listening')
      context = await launchChromium(join(work, 'profile'))
    }, 180_000)

    const afterCleanups: Array<() => Promise<unknown>> = []
    afterAll(async () => {
      await context?.close()
      await app?.stop()
      await companion?.stop()
      await capture?.stop()
      for (const f of afterCleanups) await f().catch(() => undefined)
      await tracker?.close()
      link?.destroy()
      if (work && !process.env.TIDEPOOL_KEEP_WORK) await rm(work, { recursive: true, force: true })
    })

    it('pairs with the code, downloads through the companion byte-exact, and the page says where', async () => {
      const { code } = await startCompanion()
      seen.code = code
      const page = await openApp()
      await waitHelperConnected(page) // the local helper first: nothing paired yet
      await page.getByRole('button', { name: 'Pair with a companion…' }).click()
      await page.getByLabel('Companion address').fill(`${link.nsAddress}:${COMPANION_PORT}`)
      await page.getByLabel('Pairing code').fill(code)
      await page.getByRole('button', { name: 'Pair', exact: true }).click()
      await page.getByTestId('daemon-in-use').filter({ hasText: 'companion “test-phone”' }).waitFor({ timeout: 30_000 })
      await waitHelperConnected(page)
      await page.getByTestId('companion-downloads').waitFor({ timeout: 15_000 })
      expect(await page.getByTestId('companion-downloads').textContent()).toContain(companionDownloads())
      await page.getByTestId('daemon-latency').waitFor({ timeout: 10_000 })
      seen.token = JSON.parse(await readFile(join(stateDir(), 'companion.json'), 'utf8')).token

      await addTorrentFile(page, t.torrentPath)
      await waitRowText(page, t.infoHash, /Seeding/, 120_000)
      await shot(page, 'companion-downloaded')
      // the General tab names the companion's folder, not this machine's
      await openTab(page, t.infoHash, 'general')
      await until(
        async () => ((await page.locator('.detail').textContent()) ?? '').includes(companionDownloads()),
        15_000,
        'the General tab showing the companion folder',
      )
      // on the companion's disk, not this side's
      expect(await diffTrees(t.contentPath, join(companionDownloads(), t.name))).toEqual([])
      expect(existsSync(join(work, 'local-downloads', t.name))).toBe(false)
      await page.close()
    })

    it('after a restart of the companion and the web app, reconnects with its keys (no code)', async () => {
      await app!.stop()
      app = undefined
      await companion!.stop()
      const again = await startCompanion()
      expect(again.code).not.toBe(seen.code) // a new window; the page must not need it
      const page = await openApp()
      await page.getByTestId('daemon-in-use').filter({ hasText: 'companion “test-phone”' }).waitFor({ timeout: 30_000 })
      await waitHelperConnected(page, 60_000)
      await page.getByTestId('daemon-latency').waitFor({ timeout: 15_000 })
      // the torrent resumes from the companion's files
      await waitRowText(page, t.infoHash, /Seeding/, 120_000)
      await shot(page, 'companion-reconnected')
      livePage = page
    })

    it('the veth capture shows the exchange but no token, code or BitTorrent handshake in clear', async () => {
      await capture!.stop()
      const pcap = await readFile(join(work, 'veth.pcap'))
      // the channel carried the engine's side of the download, but not its 6 MiB of piece data: with the
      // data plane the pieces stay on the companion, which hashes and writes them
      expect(pcap.length).toBeGreaterThan(64 * 1024)
      expect(pcap.length).toBeLessThan(3 * 1024 * 1024)
      expect(pcap.includes(Buffer.from('Upgrade: websocket'))).toBe(true) // and the capture saw the channel
      expect(seen.token).toMatch(/^[0-9a-f]{64}$/)
      for (const secret of [seen.token, seen.code, seen.code.replace('-', ''), '\x13BitTorrent protocol'])
        expect(leakContext(pcap, secret), `"${secret}" in clear on the veth`).toBe('')
    })

    // After the capture: on the local helper the engine dials the seed across the veth in clear, as it should.
    it('says so clearly when the companion is unreachable, and switches to the local helper on request', async () => {
      const page = livePage! // the login link is single use: the tab from the restart goes on
      await page.getByTestId('daemon-latency').waitFor({ timeout: 30_000 })
      await companion!.stop()
      const alert = page.getByTestId('companion-unreachable')
      await alert.waitFor({ timeout: 30_000 })
      expect(await alert.textContent()).toContain('test-phone')
      await shot(page, 'companion-unreachable')
      await alert.getByRole('button', { name: 'Use the local helper' }).click()
      await page.getByTestId('daemon-in-use').filter({ hasText: 'local helper' }).waitFor({ timeout: 30_000 })
      await waitHelperConnected(page, 30_000)
      // and back again once it is up: the keys still work
      await startCompanion()
      await page.getByRole('button', { name: 'Use companion “test-phone”' }).click()
      await page.getByTestId('daemon-in-use').filter({ hasText: 'companion “test-phone”' }).waitFor({ timeout: 30_000 })
      await page.getByTestId('daemon-latency').waitFor({ timeout: 30_000 })
      await page.close()
    })

    it('the extension without its native helper (ChromeOS-like) pairs with the companion and downloads there', async () => {
      ensureExtensionBuilt()
      const second = await makeTorrent({
        dir: join(work, 'seed'),
        name: 'extension file.bin',
        size: 3 * 1024 * 1024 + 99,
        pieceLength: 64 * 1024,
        trackers: [[tracker.httpUrl]],
        seed: 29,
      })
      const seed2 = await startLibtorrent({
        torrent: second.torrentPath,
        save: second.dir,
        seed: true,
        listen: link.nsAddress,
        wrap: link.wrap,
        name: 'libtorrent seed 2 (netns)',
      })
      afterCleanups.push(() => seed2.stop())
      await waitSeeding(seed2, 30_000)
      await until(() => tracker.peers(second.infoHash).length > 0, 30_000, 'the second seed announced')
      await companion!.stop()
      const { code } = await startCompanion() // a fresh window for the extension
      // No native host installed in this profile: the extension has no local helper at all.
      const ext = await launchChromium(join(work, 'ext-profile'), EXTENSION_DIST)
      try {
        const sw = ext.serviceWorkers()[0] ?? (await ext.waitForEvent('serviceworker', { timeout: 30_000 }))
        const page = await ext.newPage()
        await page.goto(`chrome-extension://${new URL(sw.url()).host}/app.html`)
        await page.locator('.banner[data-state="not-installed"]').waitFor({ timeout: 30_000 })
        await page.getByRole('button', { name: 'Pair with a companion…' }).click()
        await page.getByLabel('Companion address').fill(`${link.nsAddress}:${COMPANION_PORT}`)
        await page.getByLabel('Pairing code').fill(code)
        await page.getByRole('button', { name: 'Pair', exact: true }).click()
        await page.getByTestId('daemon-latency').waitFor({ timeout: 30_000 })
        await waitHelperConnected(page, 30_000)
        await addTorrentFile(page, second.torrentPath)
        await waitRowText(page, second.infoHash, /Seeding/, 120_000)
        await shot(page, 'companion-extension')
        expect(await diffTrees(second.contentPath, join(companionDownloads(), second.name))).toEqual([])
        expect(await page.getByTestId('companion-downloads').textContent()).toContain(companionDownloads())
      } finally {
        await ext.close()
      }
      const listed = JSON.parse(await readFile(join(stateDir(), 'companion.json'), 'utf8')).clients.map(
        (c: { name: string }) => c.name,
      )
      expect(listed.some((n: string) => n.startsWith('extension'))).toBe(true)
    })
  },
)
