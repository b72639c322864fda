// pnpm bench:stream [--size-mib 64] [--piece-kib 256] [--rate-kib 4096] [--window-mib 5] [--timeout 180]
//
// Streaming against plain downloading, from one libtorrent seed limited to a fixed rate on loopback:
// - stream: `tidepool stream` (rarest-first with piece deadlines for what a reader asks); a reader GETs
//   the local URL from byte 0 (cold) and, once it has the first window (5 MiB), seeks to 80% of the file
//   with a new Range request. Prints time to first byte and to the whole window, cold (from the CLI's
//   start) and after the seek (from the seek).
// - download: `tidepool download` with sequential off (rarest first), then with --sequential; the same
//   byte ranges are watched on disk (compared with the source), so the table says when the same bytes
//   would have been there without streaming.
// The machine's load (uptime) is printed next to the figures: compare within one run.
import { execFileSync } from 'node:child_process'
import { open, mkdir, readFile, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { libtorrentAvailable, startLibtorrent, waitSeeding } from '../fixtures/libtorrent.ts'
import { makeTorrent } from '../fixtures/make-torrent.ts'
import { stopAll } from '../fixtures/processes.ts'
import { tidepoolDownload, tidepoolStream } from '../fixtures/tidepool-cli.ts'
import { startTracker } from '../fixtures/tracker.ts'
import { MiB, option } from './bench-args.ts'

const size = Number(option('size-mib', '64')) * MiB
const pieceLength = Number(option('piece-kib', '256')) * 1024
const rate = Number(option('rate-kib', '4096')) * 1024
const window = Number(option('window-mib', '5')) * MiB
const timeoutMs = Number(option('timeout', '180')) * 1000
const seekAt = Math.floor((size * 0.8) / pieceLength) * pieceLength

interface RangeTimes {
  /** ms to the first byte of the range, and to the whole window */
  firstByte: number
  window: number
}

function load(): string {
  return execFileSync('uptime', { encoding: 'utf8' })
    .trim()
    .replace(/^.*load average/, 'load average')
}

/** GETs [from, from + window) and times it; `t0` is what the times count from. */
function timedGet(url: string, from: number, t0: number): Promise<RangeTimes> {
  return new Promise((resolve, reject) => {
    let got = 0
    let firstByte = -1
    const req = http.get(url, { headers: { Range: `bytes=${from}-${from + window - 1}` }, agent: false }, (res) => {
      if (res.statusCode !== 206) reject(new Error(`GET ${from}-: HTTP ${res.statusCode}`))
      res.on('data', (d: Buffer) => {
        if (firstByte < 0) firstByte = performance.now() - t0
        got += d.length
      })
      res.on('end', () =>
        got === window ? resolve({ firstByte, window: performance.now() - t0 }) : reject(new Error(`short: ${got}`)),
      )
      res.on('error', reject)
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timed out')))
    req.on('error', reject)
  })
}

/** Polls the file on disk until [from, from+len) equals the source; ms since t0, or -1 on timeout. */
async function onDiskAt(path: string, source: Buffer, from: number, len: number, t0: number): Promise<number> {
  const want = source.subarray(from, from + len)
  for (let i = 0; i < timeoutMs / 100; i++) {
    const fh = await open(path, 'r').catch(() => null)
    if (fh) {
      const buf = Buffer.alloc(len)
      const { bytesRead } = await fh.read(buf, 0, len, from)
      await fh.close()
      if (bytesRead === len && buf.equals(want)) return performance.now() - t0
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return -1
}

async function main(): Promise<void> {
  if (!libtorrentAvailable()) throw new Error('python3-libtorrent is needed (scripts/bootstrap.mjs --test-deps)')
  const work = join(tmpdir(), `tidepool-bench-stream-${process.pid}`)
  await mkdir(work, { recursive: true })
  const tracker = await startTracker()
  const owned: Array<{ stop(): Promise<unknown> }> = []
  try {
    const t = await makeTorrent({
      dir: join(work, 'source'),
      name: 'stream.bin',
      size,
      pieceLength,
      trackers: [[tracker.httpUrl]],
    })
    const source = await readFile(t.contentPath)
    const seed = await startLibtorrent({
      torrent: t.torrentPath,
      save: t.dir,
      seed: true,
      uploadLimit: rate,
      trustData: true,
      name: 'seed',
    })
    owned.push(seed)
    await waitSeeding(seed, 60_000)
    for (let i = 0; i < 100 && tracker.peers(t.infoHash).length === 0; i++) await new Promise((r) => setTimeout(r, 100))
    console.log(
      `bench:stream ${size / MiB} MiB, ${pieceLength / 1024} KiB pieces, one libtorrent seed at ${rate / 1024} KiB/s ` +
        `(whole file ${(size / rate).toFixed(1)} s); window ${window / MiB} MiB; seek to ${((100 * seekAt) / size).toFixed(0)}%`,
    )
    console.log(`start: ${load()}`)

    // 1. stream: cold read from 0, then a seek to 80%
    const out1 = join(work, 'out-stream')
    const t0 = performance.now()
    const s = await tidepoolStream(t.torrentPath, { out: out1, startTimeoutMs: timeoutMs })
    owned.push(s)
    const urlMs = performance.now() - t0
    const cold = await timedGet(s.url, 0, t0)
    const seekT0 = performance.now()
    const seek = await timedGet(s.url, seekAt, seekT0)
    const seekAbs = seekT0 - t0
    await s.stop()
    console.log(`after stream: ${load()}`)

    // 2. and 3. download, sequential off then on: when are the same bytes on disk?
    const plain: Array<{ name: string; cold: RangeTimes; seek: RangeTimes }> = []
    for (const sequential of [false, true]) {
      const out = join(work, sequential ? 'out-seq' : 'out-plain')
      const d0 = performance.now()
      const d = tidepoolDownload([t.torrentPath], { out, sequential, timeoutSec: timeoutMs / 1000 })
      owned.push(d)
      const path = join(out, t.name)
      const [first, win, seekFirst, seekWin] = await Promise.all([
        onDiskAt(path, source, 0, Math.min(16 * 1024, size), d0),
        onDiskAt(path, source, 0, window, d0),
        onDiskAt(path, source, seekAt, Math.min(16 * 1024, size - seekAt), d0),
        onDiskAt(path, source, seekAt, Math.min(window, size - seekAt), d0),
      ])
      await d.stop()
      plain.push({
        name: sequential ? 'download --sequential' : 'download (sequential off)',
        cold: { firstByte: first, window: win },
        seek: { firstByte: seekFirst, window: seekWin },
      })
      console.log(`after ${sequential ? 'sequential' : 'plain'} download: ${load()}`)
    }

    const s1 = (ms: number) => (ms < 0 ? 'timeout' : `${(ms / 1000).toFixed(2)} s`)
    console.log('')
    console.log(
      `| mode | first byte (cold) | first ${window / MiB} MiB (cold) | first byte at 80% | ${window / MiB} MiB at 80% |`,
    )
    console.log('| --- | --- | --- | --- | --- |')
    console.log(
      `| tidepool stream (deadlines; URL after ${s1(urlMs)}) | ${s1(cold.firstByte)} | ${s1(cold.window)} | ` +
        `${s1(seek.firstByte)} after the seek (${s1(seekAbs + seek.firstByte)} from start) | ` +
        `${s1(seek.window)} after the seek (${s1(seekAbs + seek.window)} from start) |`,
    )
    for (const p of plain)
      console.log(
        `| ${p.name}, same bytes on disk | ${s1(p.cold.firstByte)} | ${s1(p.cold.window)} | ${s1(p.seek.firstByte)} from start | ${s1(p.seek.window)} from start |`,
      )
  } finally {
    await stopAll(owned)
    await tracker.close()
    await rm(work, { recursive: true, force: true })
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e)
    process.exit(1)
  },
)
