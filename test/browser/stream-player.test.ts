// The built-in player in the web app, in real headless Chromium: a WebM made with ffmpeg, seeded by a
// rate-limited libtorrent seed, starts playing before 20% of the torrent has been sent, and after a
// seek to 80% plays again within a few seconds (the engine moves its piece deadlines to the new place).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { libtorrentAvailable, startLibtorrent, waitSeeding, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import { ffmpegAvailable, makeVideo, torrentOfFile, type FileTorrent } from '../fixtures/stream-media.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { chromiumAvailable, launchChromium, shot, until } from './helpers/browser.ts'
import { addTorrentFile, openTab, waitHelperConnected } from './helpers/ui-actions.ts'
import { startWebApp, type WebApp } from './helpers/webapp.ts'

/** The seed's rate: the ~17.7 MB video takes ~58 s in full, its playback needs ~150 KB/s. */
const SEED_RATE = 300 * 1024

interface MediaState {
  currentTime: number
  duration: number
  readyState: number
  paused: boolean
  seeking: boolean
  error: string | null
}

function mediaState(page: Page): Promise<MediaState | null> {
  return page.evaluate(() => {
    const v = document.querySelector('video')
    if (!v) return null
    if (v.paused && !v.ended) void v.play().catch(() => undefined)
    return {
      currentTime: v.currentTime,
      duration: v.duration,
      readyState: v.readyState,
      paused: v.paused,
      seeking: v.seeking,
      error: v.error ? `${v.error.code} ${v.error.message}` : null,
    }
  })
}

describe.skipIf(!chromiumAvailable() || !libtorrentAvailable() || !ffmpegAvailable())(
  'built-in player streams from a rate-limited libtorrent seed',
  () => {
    let swarm: Swarm
    let app: WebApp
    let context: BrowserContext
    let home = ''
    let t: FileTorrent
    let seed: LibtorrentPeer

    beforeAll(async () => {
      swarm = await createSwarm('tidepool-stream-browser-')
      home = await mkdtemp(join(tmpdir(), 'tidepool-stream-home-'))
      const video = join(swarm.work, 'source', 'clip.webm')
      await makeVideo(video, 120, 1200)
      t = await torrentOfFile(video, { pieceLength: 32 * 1024, trackers: [swarm.tracker.httpUrl] })
      seed = swarm.own(
        await startLibtorrent({
          torrent: t.torrentPath,
          save: t.dir,
          seed: true,
          uploadLimit: SEED_RATE,
          name: 'seed',
        }),
      )
      await waitSeeding(seed, 30_000)
      await until(() => swarm.tracker.peers(t.infoHash).length > 0, 20_000, 'the seed on the tracker')
      app = await startWebApp({ out: join(swarm.work, 'downloads'), configHome: join(home, 'config') })
      context = await launchChromium(join(home, 'profile'))
    }, 420_000)

    afterAll(async () => {
      await context?.close()
      await app?.stop()
      await swarm?.close()
      if (home) await rm(home, { recursive: true, force: true })
    })

    it('plays before 20% is downloaded and again within seconds after a seek to 80%', async () => {
      const page = await context.newPage()
      await page.goto(app.url)
      await waitHelperConnected(page)
      await addTorrentFile(page, t.torrentPath)
      await openTab(page, t.infoHash, 'files')
      const sentAt = () => Number(seed.status()?.totalUpload ?? 0)
      // what the media element asked for, to explain a slow start
      const asked: string[] = []
      page.on('request', (r) => {
        if (r.url().includes('/stream/'))
          asked.push(`${Math.round(performance.now() - clicked)} ms ${r.headers().range ?? 'no Range'}`)
      })
      const sentAtClick = sentAt()
      const clicked = performance.now()
      await page.getByRole('button', { name: 'Play clip.webm' }).click()
      await page.getByRole('dialog', { name: 'Play clip.webm' }).waitFor({ timeout: 15_000 })

      // playing: time advances with data to go on (HAVE_FUTURE_DATA or more)
      const first = await until(
        async () => {
          const s = await mediaState(page)
          if (s?.error) throw new Error(`media error ${s.error}`)
          return s && s.currentTime > 0.3 && s.readyState >= 3 ? s : null
        },
        60_000,
        'playback to start',
      )
      const startedMs = performance.now() - clicked
      const sentAtStart = sentAt()
      await shot(page, 'stream-player-playing')
      expect(
        sentAtStart / t.totalSize,
        `playing after ${Math.round(startedMs)} ms with ${sentAtStart} of ${t.totalSize} bytes sent (${sentAtClick} at the click); asked: ${asked.join(', ')}`,
      ).toBeLessThan(0.2)
      expect(first.duration).toBeGreaterThan(30)

      // seek to 80%: playback resumes there within a few seconds
      const target = first.duration * 0.8
      await page.evaluate((to) => {
        document.querySelector('video')!.currentTime = to
      }, target)
      const seeked = performance.now()
      await until(
        async () => {
          const s = await mediaState(page)
          if (s?.error) throw new Error(`media error ${s.error}`)
          return s && !s.seeking && s.readyState >= 3 && s.currentTime > target + 0.3 ? s : null
        },
        30_000,
        'playback after the seek',
      )
      const resumeMs = performance.now() - seeked
      const sentAtResume = sentAt()
      await shot(page, 'stream-player-after-seek')
      console.log(
        `stream player: first frame after ${Math.round(startedMs)} ms with ${((100 * sentAtStart) / t.totalSize).toFixed(1)}% sent; ` +
          `after the seek to 80% playing again in ${Math.round(resumeMs)} ms (${((100 * sentAtResume) / t.totalSize).toFixed(1)}% sent); requests: ${asked.join(', ')}`,
      )
      // "a few seconds" on a loaded 2-core machine
      expect(resumeMs).toBeLessThan(10_000)
      // the buffer bar drew the file's pieces
      expect(await page.locator('canvas.buffer-pieces').count()).toBe(1)
      await page.close()
    }, 180_000)
  },
)
