// `tidepool download --out DIR` against a running daemon puts the data in the granted folder that holds
// DIR (a second root, granted from a terminal with `pnpm native-host grant`), from a real libtorrent seed.
import { spawnSync } from 'node:child_process'
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { awkwardFiles } from '../fixtures/make-torrent.ts'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { REPO_ROOT, startDaemonProcess, tidepoolDownload } from '../fixtures/tidepool-cli.ts'
import { expectDoneLine, expectExit0, expectSameContent } from './expect-download.ts'

const CLI_TIMEOUT_S = 60
const WAIT_MS = (CLI_TIMEOUT_S + 30) * 1000

describe.skipIf(!libtorrentAvailable())('save folders: --out among granted roots', () => {
  let swarm: Swarm
  beforeEach(async () => {
    swarm = await createSwarm('tidepool-folders-')
  })
  afterEach(async () => {
    await swarm.close()
  })

  it('downloads into a subfolder of a second granted root; an --out outside every root is refused', async () => {
    const pieceLength = 32 * 1024
    const t = await swarm.torrent({ name: 'Folder set ñ', files: awkwardFiles(pieceLength), pieceLength })
    await swarm.seed(t)
    const downloads = join(swarm.work, 'downloads')
    const music = join(swarm.work, 'music')
    const config = join(swarm.work, 'config')
    await mkdir(downloads)
    await mkdir(music)
    // the explicit grant, as a person does it: a terminal command, not a request to the daemon
    const grant = spawnSync('pnpm', ['--silent', 'native-host', 'grant', 'music', music, '--config-dir', config], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(grant.status, grant.stderr).toBe(0)
    expect(grant.stdout).toContain('granted music')
    const daemon = swarm.own(
      await startDaemonProcess({
        tokenFile: join(swarm.work, 'daemon.token'),
        roots: { downloads },
        grantsFile: join(config, 'config.json'),
      }),
    )

    const outside = swarm.own(
      tidepoolDownload([t.torrentPath], {
        out: join(swarm.work, 'not-granted'),
        daemonUrl: daemon.url,
        tokenFile: daemon.tokenFile,
        timeoutSec: CLI_TIMEOUT_S,
        name: 'download outside the roots',
      }),
    )
    expect(await outside.wait(WAIT_MS)).not.toBe(0)
    expect(outside.proc.stderr()).toMatch(/not inside a folder the daemon serves: .*music/)

    const out = join(music, 'Albums', '2026')
    const run = swarm.own(
      tidepoolDownload([t.torrentPath], {
        out,
        daemonUrl: daemon.url,
        tokenFile: daemon.tokenFile,
        timeoutSec: CLI_TIMEOUT_S,
        state: join(swarm.work, 'state'),
      }),
    )
    await expectExit0(run, WAIT_MS)
    expectDoneLine(run, t)
    await expectSameContent(t, out)
    expect(await readdir(downloads)).toEqual([]) // nothing went to the default root
  })
})
