// The helper as people install it without the source tree: `pnpm pack:helper` → `npm install -g` into
// a fresh prefix and HOME → `tidepool-helper install` into a Chromium test profile → the built extension
// downloads a torrent from a real libtorrent seed through it. Nothing of the checkout may be on the
// path the browser runs: the launcher names the installed bundle, the daemon it starts is that bundle.
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packHelper } from '../../native-host/pack/pack-helper.mjs'
import { readDaemonState, type DaemonState } from '../../native-host/src/native-messaging/index.ts'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { chromiumAvailable, launchChromium, REPO_ROOT, until } from './helpers/browser.ts'
import { ensureExtensionBuilt, EXTENSION_DIST, EXTENSION_ID } from './helpers/extension.ts'
import { addTorrentFile, waitHelperConnected, waitRowText } from './helpers/ui-actions.ts'

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe.skipIf(!chromiumAvailable() || !libtorrentAvailable())('the packed helper (npm install -g)', () => {
  let work = ''
  let swarm: Swarm
  let context: BrowserContext | undefined
  let daemon: DaemonState | null = null
  const prefix = () => join(work, 'prefix')
  const home = () => join(work, 'home')
  const bin = () => join(prefix(), 'bin', 'tidepool-helper')
  const env = () => ({ ...process.env, HOME: home(), XDG_CONFIG_HOME: '', XDG_DATA_HOME: '' })

  beforeAll(async () => {
    ensureExtensionBuilt()
    work = await mkdtemp(join(tmpdir(), 'tidepool-helper-pkg-'))
    swarm = await createSwarm('tidepool-helper-pkg-swarm-')
  }, 180_000)

  afterAll(async () => {
    await context?.close()
    if (daemon && alive(daemon.pid)) process.kill(daemon.pid, 'SIGTERM')
    await swarm?.close()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('packs one bundle and installs it into a fresh prefix with npm', async () => {
    const tarball = await packHelper({ outDir: join(work, 'pack'), quiet: true })
    const listing = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort()
    expect(listing).toEqual([
      'package/EXTENSION_ID',
      'package/README.md',
      'package/THIRD_PARTY_LICENSES.txt',
      'package/bin/tidepool-helper.mjs',
      'package/package.json',
    ])
    // bufferutil is optional (a phone has no build step): the install must not depend on it
    execFileSync(
      'npm',
      ['install', '-g', '--prefix', prefix(), '--omit=optional', '--no-audit', '--no-fund', tarball],
      {
        env: env(),
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 120_000,
      },
    )
    expect(execFileSync(bin(), ['--version'], { encoding: 'utf8', env: env() }).trim()).toMatch(/^\d+\.\d+\.\d+$/)
    // companion mode is in the same bundle (its state under the fresh HOME; it says so on stderr)
    const listed = spawnSync(bin(), ['companion', '--list-paired'], { encoding: 'utf8', env: env() })
    expect(listed.status).toBe(0)
    expect(listed.stderr).toMatch(/no paired clients/)
  }, 180_000)

  it('registers the native host with a launcher that needs nothing from the checkout', async () => {
    const out = execFileSync(
      bin(),
      [
        'install',
        '--browser',
        'chromium',
        '--user-data-dir',
        join(work, 'profile'),
        '--config-dir',
        join(work, 'config'),
        '--download-root',
        join(work, 'downloads'),
      ],
      { encoding: 'utf8', env: env() },
    )
    expect(out).toContain(`chrome-extension://${EXTENSION_ID}/`) // the id shipped in the package
    const launcher = await readFile(join(work, 'profile', 'tidepool', 'native-host.sh'), 'utf8')
    expect(launcher).toContain(join(prefix(), 'lib', 'node_modules', 'tidepool-helper', 'bin', 'tidepool-helper.mjs'))
    expect(launcher).not.toContain(REPO_ROOT)
    expect(launcher).not.toMatch(/tsx/)
  })

  it('serves the extension: a download from a real libtorrent seed, byte-exact, through the bundled daemon', async () => {
    const t = await swarm.torrent({
      name: 'packed helper.bin',
      size: 2 * 1024 * 1024 + 321,
      pieceLength: 32 * 1024,
      seed: 31,
    })
    await swarm.seed(t)
    context = await launchChromium(join(work, 'profile'), EXTENSION_DIST)
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }))
    const page = await context.newPage()
    await page.goto(`chrome-extension://${new URL(worker.url()).host}/app.html`)
    await waitHelperConnected(page)
    daemon = await until(() => readDaemonState(join(work, 'config')), 30_000, 'daemon.json from the packed host')
    const cmdline = readFileSync(`/proc/${daemon.pid}/cmdline`, 'utf8').split('\0')
    expect(cmdline).toContain(join(prefix(), 'lib', 'node_modules', 'tidepool-helper', 'bin', 'tidepool-helper.mjs'))
    expect(cmdline).toContain('daemon')
    expect(cmdline.join(' ')).not.toMatch(/tsx|native-host\/src/)
    await addTorrentFile(page, t.torrentPath)
    await waitRowText(page, t.infoHash, /Seeding/, 60_000)
    expect(await diffTrees(t.contentPath, join(work, 'downloads', t.name))).toEqual([])
  }, 120_000)
})
