// `tidepool stream` serves a file while it downloads from a rate-limited real libtorrent seed: byte
// ranges read with curl from the local URL are exact, long before the whole file could have arrived.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { libtorrentAvailable } from '../fixtures/libtorrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { tidepoolStream } from '../fixtures/tidepool-cli.ts'

const run = promisify(execFile)
const SIZE = 16 * 1024 * 1024
/** The seed's upload limit: the whole file takes SIZE / RATE = 32 s. */
const RATE = 512 * 1024
const curlAvailable = process.env.TIDEPOOL_REQUIRE_INTEROP === '1' || existsSync('/usr/bin/curl')

let curls = 0

/** Runs curl with headers and body written to files (what curl received, exactly). */
async function curl(dir: string, args: string[]): Promise<{ body: Buffer; headers: string; ms: number }> {
  const n = ++curls
  const hdr = join(dir, `curl-${n}.headers`)
  const out = join(dir, `curl-${n}.body`)
  const t0 = performance.now()
  await run('/usr/bin/curl', ['--silent', '--show-error', '--max-time', '60', '-D', hdr, '-o', out, ...args]).catch(
    (e: Error & { stderr?: string }) => {
      throw new Error(`curl ${args.join(' ')}: ${e.message} ${e.stderr ?? ''}`)
    },
  )
  const ms = performance.now() - t0
  return { body: await readFile(out).catch(() => Buffer.alloc(0)), headers: await readFile(hdr, 'latin1'), ms }
}

describe.skipIf(!libtorrentAvailable() || !curlAvailable)('tidepool stream from a rate-limited libtorrent seed', () => {
  let swarm: Swarm
  beforeEach(async () => {
    swarm = await createSwarm('tidepool-stream-')
  })
  afterEach(async () => {
    await swarm.close()
  })

  it('curl --range on the local URL returns exact bytes of a file still downloading', async () => {
    const t = await swarm.torrent({ name: 'movie.mp4', size: SIZE, pieceLength: 256 * 1024, tracker: 'http' })
    await swarm.seed(t, { uploadLimit: RATE })
    const original = await readFile(join(t.dir, 'movie.mp4'))
    const s = swarm.own(await tidepoolStream(t.torrentPath, { out: join(swarm.work, 'out') }))
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/stream\/[A-Za-z0-9_-]{43}$/)
    const started = performance.now()

    // near the end (75%): a range the rarest-first download would reach last, on average
    const from = 12_000_000
    const mid = await curl(swarm.work, ['--range', `${from}-${from + 99_999}`, s.url])
    expect(mid.headers, s.describe()).toMatch(/^HTTP\/1\.1 206/)
    expect(mid.headers).toMatch(new RegExp(`content-range: bytes ${from}-${from + 99_999}/${SIZE}`, 'i'))
    expect(mid.headers).toMatch(/content-type: video\/mp4/i)
    expect(mid.body.length).toBe(100_000)
    expect(mid.body.equals(original.subarray(from, from + 100_000))).toBe(true)

    const head = await curl(swarm.work, ['--range', '0-1023', s.url])
    expect(head.body.equals(original.subarray(0, 1024))).toBe(true)
    // the file was still downloading: both answers came well before it could all have arrived
    const elapsed = performance.now() - started
    expect(elapsed, `ranges took ${Math.round(elapsed)} ms`).toBeLessThan(((SIZE / RATE) * 1000) / 2)

    // a range past the end: 416 with the size
    const beyond = await curl(swarm.work, ['--range', `${SIZE}-${SIZE + 10}`, s.url])
    expect(beyond.headers).toMatch(/^HTTP\/1\.1 416/)
    expect(beyond.headers).toMatch(new RegExp(`content-range: bytes \\*/${SIZE}`, 'i'))
    // a wrong secret: 404
    const wrong = await curl(swarm.work, [s.url.replace(/\/stream\/.*/, '/stream/not-the-secret')])
    expect(wrong.headers).toMatch(/^HTTP\/1\.1 404/)
    // a page elsewhere cannot read it (foreign Origin)
    const foreign = await curl(swarm.work, ['-H', 'Origin: http://evil.example', '--range', '0-9', s.url])
    expect(foreign.headers).toMatch(/^HTTP\/1\.1 403/)
  }, 120_000)
})
