// The CLI's failure and resume contract, end to end: bad input and no peers fail with one clear line
// and a non-zero exit; an interrupted download resumes without fetching verified data again; --debug
// says why nothing arrives.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { tidepoolDownload } from '../fixtures/tidepool-cli.ts'
import { expectDoneLine, expectExit0, expectSameContent } from './expect-download.ts'

describe.skipIf(!libtorrentAvailable())('CLI contract', () => {
  let swarm: Swarm
  beforeEach(async () => {
    swarm = await createSwarm()
  })
  afterEach(async () => {
    await swarm.close()
  })

  it('a bad torrent file fails at once with one clear line', async () => {
    const bad = join(swarm.work, 'garbage.torrent')
    await writeFile(bad, 'd4:infod4:name3:abcee') // bencode, but no pieces / piece length
    const run = swarm.own(tidepoolDownload([bad], { out: join(swarm.work, 'out'), timeoutSec: 30 }))
    const code = await run.wait(60_000)
    expect(code, run.describe()).not.toBe(0)
    const lines = run.proc.stderr().trim().split('\n').filter(Boolean)
    expect(lines.length, run.describe()).toBe(1)
    expect(lines[0]).toMatch(/torrent/i)
  })

  it('no peers before the timeout fails non-zero and says so', async () => {
    const t = await swarm.torrent({ name: 'lonely.bin', size: 100_000, pieceLength: 16 * 1024 })
    const run = swarm.own(tidepoolDownload([t.torrentPath], { out: join(swarm.work, 'out'), timeoutSec: 4 }))
    const code = await run.wait(60_000)
    expect(code, run.describe()).not.toBe(0)
    expect(run.proc.stderr(), run.describe()).toMatch(/no peers/i)
  })

  it('an interrupted download resumes without downloading verified pieces again', async () => {
    const t = await swarm.torrent({ name: 'resumable.bin', size: 4 * 1024 * 1024, pieceLength: 64 * 1024 })
    await swarm.seed(t, { uploadLimit: 1024 * 1024 }) // ~4 s in all, so we can stop it half way
    const out = join(swarm.work, 'out')
    const first = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: 60, name: 'tidepool first run' }))
    const half = await first.proc.waitFor(
      (l) => l.infoHash === t.infoHash && Number(l.progress) >= 0.4,
      60_000,
      'progress 40%',
    )
    expect(Number(half.progress)).toBeLessThan(1)
    await first.stop() // SIGTERM: the CLI stops cleanly
    const before = Math.max(...first.statuses(t.infoHash).map((l) => Number(l.progress) || 0))
    const second = swarm.own(tidepoolDownload([t.torrentPath], { out, timeoutSec: 60, name: 'tidepool second run' }))
    await expectExit0(second, 90_000)
    expectDoneLine(second, t)
    await expectSameContent(t, out)
    const fetched = Math.max(...second.statuses(t.infoHash).map((l) => Number(l.downloadedTotal) || 0))
    // at most the pieces that were in flight are fetched again (allow 10% slack for those)
    expect(fetched, `second run fetched ${fetched} bytes after the first reached ${before}`).toBeLessThan(
      t.totalSize * (1 - before + 0.1),
    )
  })
})

/** A loopback port nothing listens on: bound by us, then closed (connects to it are refused). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

// Needs no libtorrent: nothing answers at all.
describe('CLI --debug', () => {
  let work = ''
  afterEach(async () => {
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('on a download from a dead tracker and a refusing peer, prints lines that name both', async () => {
    work = await mkdtemp(join(tmpdir(), 'tidepool-debug-'))
    const trackerPort = await closedPort()
    const peerPort = await closedPort()
    const tracker = `http://127.0.0.1:${trackerPort}/announce`
    const magnet = `magnet:?xt=urn:btih:${'5a'.repeat(20)}&tr=${encodeURIComponent(tracker)}&x.pe=127.0.0.1:${peerPort}`
    const run = tidepoolDownload([magnet], {
      out: join(work, 'out'),
      timeoutSec: 4,
      debug: true,
      name: 'tidepool --debug',
    })
    try {
      const code = await run.wait(60_000)
      expect(code, run.describe()).not.toBe(0)
      const lines = run.proc.stderr().split('\n')
      const trackerLine = lines.find((l) => l.includes('[tracker]') && l.includes(tracker) && /failed/.test(l))
      const peerLine = lines.find(
        (l) => l.includes('[peer]') && l.includes(`127.0.0.1:${peerPort}`) && /refused/.test(l),
      )
      expect(trackerLine, run.describe()).toBeTruthy()
      expect(peerLine, run.describe()).toBeTruthy()
    } finally {
      await run.stop()
    }
  })

  it('a component list prints only those components', async () => {
    work = await mkdtemp(join(tmpdir(), 'tidepool-debug-'))
    const trackerPort = await closedPort()
    const peerPort = await closedPort()
    const magnet = `magnet:?xt=urn:btih:${'6b'.repeat(20)}&tr=${encodeURIComponent(`http://127.0.0.1:${trackerPort}/announce`)}&x.pe=127.0.0.1:${peerPort}`
    const run = tidepoolDownload([magnet], {
      out: join(work, 'out'),
      timeoutSec: 3,
      debug: ['tracker'],
      name: 'tidepool --debug=tracker',
    })
    try {
      await run.wait(60_000)
      const logLines = run.proc
        .stderr()
        .split('\n')
        .filter((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l))
      expect(
        logLines.some((l) => l.includes('[tracker]')),
        run.describe(),
      ).toBe(true)
      expect(
        logLines.filter((l) => !l.includes('[tracker]')),
        run.describe(),
      ).toEqual([])
    } finally {
      await run.stop()
    }
  })
})
