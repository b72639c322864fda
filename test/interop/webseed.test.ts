// Web seeds against real servers on loopback: Debian's nginx (BEP 19, Range requests) run in the
// foreground with its own config, next to a real libtorrent seed; and our own BEP 17 server
// (test/fixtures/httpseed-server.ts: no packaged server speaks BEP 17).
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startHttpSeedServer } from '../fixtures/httpseed-server.ts'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import { awkwardFiles } from '../fixtures/make-torrent.ts'
import { nginxAvailable, selfSignedCert, startNginx, type Nginx } from '../fixtures/nginx.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { tidepoolDownload, type TidepoolRun } from '../fixtures/tidepool-cli.ts'
import type { JsonLine } from '../fixtures/processes.ts'
import { expectDoneLine, expectExit0, expectSameContent } from './expect-download.ts'

const CLI_TIMEOUT_S = 60
const WAIT_MS = (CLI_TIMEOUT_S + 30) * 1000

interface WebSeedJson {
  url: string
  kind: string
  state: string
  downloaded: number
  error?: string
}

function webSeedsOf(line: JsonLine | undefined): WebSeedJson[] {
  return (line?.webSeeds as WebSeedJson[] | undefined) ?? []
}

/** The most any status line reported as downloaded from the web seed `url` (the CLI keeps printing while it runs). */
function webSeedBytes(run: TidepoolRun, infoHash: string, url: string): number {
  let most = 0
  for (const l of run.statuses(infoHash))
    for (const w of webSeedsOf(l)) if (w.url === url) most = Math.max(most, Number(w.downloaded) || 0)
  return most
}

describe.skipIf(!nginxAvailable() || !libtorrentAvailable())(
  'web seeds (BEP 19 with nginx, BEP 17 with our own server)',
  () => {
    let swarm: Swarm
    let nginx: Nginx
    beforeEach(async () => {
      swarm = await createSwarm('tidepool-webseed-')
    })
    afterEach(async () => {
      await swarm.close()
    })

    /** nginx serving the swarm's source folder, where torrents put their content. */
    async function serveSource(limitRate?: number): Promise<Nginx> {
      nginx = swarm.own(
        await startNginx({ root: join(swarm.work, 'source'), prefix: join(swarm.work, 'nginx'), limitRate }),
      )
      return nginx
    }

    it('a single-file torrent whose only source is a web seed downloads byte-exact, in piece runs', async () => {
      const web = await serveSource()
      // a URL ending in '/' names a folder: the client appends the file's name (here with a space, '#' and '%')
      const t = await swarm.torrent({
        name: 'only web #1 100%.bin',
        size: 5 * 1024 * 1024 + 4321,
        pieceLength: 64 * 1024,
        urlList: [web.url],
      })
      const out = join(swarm.work, 'out')
      const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S }))
      await expectExit0(run, WAIT_MS)
      const final = expectDoneLine(run, t)
      await expectSameContent(t, out)
      expect(Number(final.connected), 'no peer was connected').toBe(0)
      expect(webSeedBytes(run, t.infoHash, web.url)).toBeGreaterThanOrEqual(t.totalSize)
      const served = await web.requests()
      expect(served.length).toBeGreaterThan(0)
      expect(
        served.every((r) => r.status === 206 && /^bytes=\d+-\d+$/.test(r.range)),
        JSON.stringify(served),
      ).toBe(true)
      expect(served.every((r) => r.path === '/only%20web%20%231%20100%25.bin')).toBe(true)
      // runs of whole pieces: far fewer requests than pieces
      expect(served.length).toBeLessThan(t.pieceCount / 2)
      expect(served.reduce((n, r) => n + r.bytes, 0)).toBeGreaterThanOrEqual(t.totalSize)
    })

    it('multi-file layout with awkward names (spaces, non-Latin, emoji, "#", "%", 0-byte file) from a web seed alone', async () => {
      const web = await serveSource()
      const pieceLength = 32 * 1024
      const t = await swarm.torrent({
        name: 'Web set #2 — 100% ñ',
        files: [
          ...awkwardFiles(pieceLength),
          { path: ['hash #tag', '50% off.bin'], size: pieceLength + 99 },
          { path: ['%41 not an escape.txt'], size: 300 },
        ],
        pieceLength,
        // no trailing slash: a multi-file web seed URL is a folder anyway
        urlList: [web.url.replace(/\/$/, '')],
      })
      const out = join(swarm.work, 'out')
      const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S }))
      await expectExit0(run, WAIT_MS)
      expectDoneLine(run, t)
      await expectSameContent(t, out)
      const served = await web.requests()
      expect(
        served.every((r) => r.status === 206),
        JSON.stringify(served),
      ).toBe(true)
      expect(served.some((r) => r.path.includes('/hash%20%23tag/50%25%20off.bin'))).toBe(true)
      expect(served.some((r) => r.path.includes('/%2541%20not%20an%20escape.txt'))).toBe(true)
    })

    it('a libtorrent seed and a web seed together: bytes come from both', async () => {
      // both rate-limited so neither can finish alone before the other joins in
      const web = await serveSource(768 * 1024)
      const t = await swarm.torrent({
        name: 'both sources.bin',
        size: 8 * 1024 * 1024,
        pieceLength: 64 * 1024,
        urlList: [web.url],
      })
      const seed = await swarm.seed(t, { uploadLimit: 768 * 1024 })
      const out = join(swarm.work, 'out')
      const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S }))
      await expectExit0(run, WAIT_MS)
      expectDoneLine(run, t)
      await expectSameContent(t, out)
      const fromWeb = webSeedBytes(run, t.infoHash, web.url)
      const servedByNginx = (await web.requests()).reduce((n, r) => n + r.bytes, 0)
      const fromPeer = Number(seed.status()?.totalUpload ?? 0)
      expect(fromWeb, 'bytes from the web seed (CLI)').toBeGreaterThan(0)
      expect(servedByNginx, 'bytes nginx sent').toBeGreaterThan(0)
      expect(fromPeer, 'bytes libtorrent uploaded').toBeGreaterThan(0)
      expect(Math.max(...run.statuses(t.infoHash).map((l) => Number(l.connected) || 0))).toBeGreaterThanOrEqual(1)
    })

    it('an https web seed through the daemon (TLS, certificate checked against a CA the test made)', async () => {
      const certDir = join(swarm.work, 'tls')
      await mkdir(certDir, { recursive: true })
      const tls = selfSignedCert(certDir)
      const web = swarm.own(
        await startNginx({ root: join(swarm.work, 'source'), prefix: join(swarm.work, 'nginx-tls'), tls }),
      )
      expect(web.url.startsWith('https://127.0.0.1:')).toBe(true)
      const t = await swarm.torrent({
        name: 'over tls.bin',
        size: 2 * 1024 * 1024 + 5,
        pieceLength: 64 * 1024,
        urlList: [web.url],
      })
      const out = join(swarm.work, 'out')
      // the daemon checks certificates: this one is trusted only because the CLI's Node is told so
      const run = swarm.own(
        tidepoolDownload([t.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S, env: { NODE_EXTRA_CA_CERTS: tls.cert } }),
      )
      await expectExit0(run, WAIT_MS)
      expectDoneLine(run, t)
      await expectSameContent(t, out)
      expect(webSeedBytes(run, t.infoHash, web.url)).toBeGreaterThanOrEqual(t.totalSize)
      expect((await web.requests()).every((r) => r.status === 206)).toBe(true)
    })

    it('an https web seed with a certificate nobody vouches for is refused, and backs off', async () => {
      const certDir = join(swarm.work, 'tls')
      await mkdir(certDir, { recursive: true })
      const web = swarm.own(
        await startNginx({
          root: join(swarm.work, 'source'),
          prefix: join(swarm.work, 'nginx-tls'),
          tls: selfSignedCert(certDir),
        }),
      )
      const t = await swarm.torrent({
        name: 'untrusted.bin',
        size: 256 * 1024,
        pieceLength: 64 * 1024,
        urlList: [web.url],
      })
      const out = join(swarm.work, 'out')
      const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: 6 }))
      const code = await run.wait(40_000)
      expect(code, run.describe()).not.toBe(0)
      const last = run.statuses(t.infoHash).at(-1)
      const seed = webSeedsOf(last)[0]
      expect(seed, run.describe()).toMatchObject({ url: web.url, downloaded: 0 })
      // it backed off after the refusal (status lines come twice a second)
      expect(run.statuses(t.infoHash).some((l) => webSeedsOf(l)[0]?.state === 'backoff')).toBe(true)
      expect(seed!.error ?? '', JSON.stringify(seed)).toMatch(/network|certificate|self.signed|TLS/i)
      expect((await web.requests()).length).toBe(0)
    })

    it('BEP 17 httpseeds against our own server: byte-exact, piece queries with inclusive ranges', async () => {
      const pieceLength = 32 * 1024
      // the server needs the torrent's files and hash, the torrent needs the server's URL: make it twice
      // (the same spec gives the same bytes and info-hash), the second time with the URL
      const spec = { name: 'bep17 set', files: awkwardFiles(pieceLength), pieceLength }
      const first = await swarm.torrent(spec)
      const server = await startHttpSeedServer(first)
      swarm.own({ stop: () => server.close() })
      const t = await swarm.torrent({ ...spec, httpSeeds: [server.url] })
      expect(t.infoHash).toBe(first.infoHash)
      const out = join(swarm.work, 'out')
      const run = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: CLI_TIMEOUT_S }))
      await expectExit0(run, WAIT_MS)
      const final = expectDoneLine(run, t)
      await expectSameContent(t, out)
      expect(server.served.length).toBeGreaterThan(0)
      expect(server.served.every((s) => s.status === 200)).toBe(true)
      const pieces = new Set(server.served.map((s) => s.piece))
      expect(pieces.size).toBe(t.pieceCount)
      expect(webSeedsOf(final)[0]).toMatchObject({ url: server.url, kind: 'httpseeds' })
    })
  },
)
