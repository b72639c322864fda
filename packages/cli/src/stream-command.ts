import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { BtEngine, Torrent } from '@tidepool/engine'
import type { StreamArgs } from './args.ts'
import { createCliEngine } from './cli-engine.ts'
import { debugLogPort } from './debug-log.ts'
import { readInput } from './download-command.ts'
import { CliError, EXIT } from './errors.ts'

const ROOT = 'downloads'
/** How often we look whether the metadata arrived and storage opened. */
const POLL_MS = 100

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const t = setTimeout(done, ms)
    const stop = () => {
      clearTimeout(t)
      done()
    }
    signal.addEventListener('abort', stop, { once: true })
  })
}

/** Waits until the torrent has its metadata and open storage (what a stream needs). */
async function untilReady(t: Torrent, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    if (t.status === 'error') throw new CliError(EXIT.failed, `torrent failed: ${t.error ?? 'unknown error'}`)
    if (t.info && t.downloader && (t.status === 'downloading' || t.status === 'seeding')) return
    await sleep(POLL_MS, signal)
  }
}

function largestFile(t: Torrent): number {
  const files = t.info!.files
  let best = 0
  for (let i = 1; i < files.length; i++) if (files[i]!.length > files[best]!.length) best = i
  return best
}

/**
 * `tidepool stream`: adds one torrent, publishes one of its files at a local URL (the daemon's HTTP on
 * 127.0.0.1), prints the URL and serves it until interrupted. What a player reads becomes urgent
 * (piece deadlines); the rest of the torrent keeps downloading rarest-first (or in order, --sequential).
 */
export async function streamCommand(
  args: StreamArgs,
  io: { out: (s: string) => void; err: (s: string) => void; signal: AbortSignal },
): Promise<number> {
  const input = await readInput(args.input)
  const outDir = resolve(args.out)
  await mkdir(outDir, { recursive: true }).catch((err: unknown) => {
    throw new CliError(EXIT.failed, `cannot create ${outDir}: ${(err as Error).message}`)
  })
  const { bridge, engine, root, hasher } = await createCliEngine({
    dir: outDir,
    rootName: ROOT,
    args,
    log: debugLogPort(args.debug, io.err),
    streamPort: args.streamPort,
  })
  try {
    await engine.start()
    let t: Torrent
    try {
      t = await engine.add(
        input.kind === 'magnet'
          ? { magnet: input.value, savePath: root }
          : { torrentFile: input.bytes, savePath: root },
      )
    } catch (err) {
      throw new CliError(EXIT.badTorrent, `bad torrent ${input.label}: ${(err as Error).message}`)
    }
    const streaming = engine.streaming(t.infoHash)
    if (args.sequential) streaming.setSequential(true)
    streaming.setFirstLastPiecesFirst(true)
    const lost = bridge.lost.then((why) => {
      throw new CliError(EXIT.daemonUnreachable, `daemon unreachable: connection lost (${why})`)
    })
    await Promise.race([lost, untilReady(t, io.signal)])
    if (io.signal.aborted) return EXIT.ok
    const index = args.file ?? largestFile(t)
    const file = t.info!.files[index]
    if (!file) throw new CliError(EXIT.usage, `--file ${index}: the torrent has ${t.info!.files.length} files`)
    const url = await streaming.openStream(index)
    io.out(`${url}\n`)
    io.err(`streaming ${file.path} (${file.length} bytes); Ctrl-C stops\n`)
    await Promise.race([lost, new Promise<void>((done) => io.signal.addEventListener('abort', () => done()))])
    return EXIT.ok
  } finally {
    await stopQuietly(engine)
    await bridge.close()
    await hasher.close()
  }
}

async function stopQuietly(engine: BtEngine): Promise<void> {
  // exiting anyway: a failed stop only costs the trackers their `stopped` announce
  await engine.stop().catch(() => undefined)
}
