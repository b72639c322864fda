import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { SeedArgs } from './args.ts'
import { createCliEngine } from './cli-engine.ts'
import { debugLogPort } from './debug-log.ts'
import { CliError, EXIT } from './errors.ts'
import { reportPortMapping } from './port-mapping-report.ts'
import { dhtJson, encryptionCounts, framedCount, statusJson, statusLine, transportCounts } from './progress.ts'

const ROOT = 'data'

/**
 * `tidepool seed`: verifies the data under DIR (laid out as `download --out DIR` leaves it),
 * announces, and seeds until SIGINT/SIGTERM, when it announces `stopped` and exits 0.
 */
export async function seedCommand(
  args: SeedArgs,
  io: { out: (s: string) => void; err: (s: string) => void; tty: boolean; signal: AbortSignal },
): Promise<number> {
  let bytes: Uint8Array
  try {
    const buf = await readFile(args.torrent)
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  } catch (err) {
    throw new CliError(
      EXIT.badTorrent,
      `bad torrent file ${args.torrent}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    )
  }
  const dataDir = resolve(args.data)
  const { bridge, engine, root, hasher } = await createCliEngine({
    dir: dataDir,
    rootName: ROOT,
    args,
    log: debugLogPort(args.debug, io.err),
  })
  let stopReport = (): void => {}
  try {
    await engine.start()
    stopReport = reportPortMapping(engine, io, args.json)
    let torrent: Awaited<ReturnType<typeof engine.add>>
    try {
      torrent = await engine.add({ torrentFile: bytes, savePath: root, recheck: true })
    } catch (err) {
      throw new CliError(EXIT.badTorrent, `bad torrent file ${args.torrent}: ${(err as Error).message}`)
    }
    const s = torrent.summary()
    if (s.status === 'error') throw new CliError(EXIT.failed, `failed: ${s.name}: ${s.error}`)
    const dhtPort = engine.status().dht?.port ?? null
    io.err(
      `verified ${(s.progress * 100).toFixed(1)}% of ${s.name}; seeding on port ${engine.listenPort}${dhtPort ? `, DHT on UDP port ${dhtPort}` : ''} (Ctrl-C to stop)\n`,
    )
    if (args.json)
      io.out(
        `${JSON.stringify({ event: 'seeding', listenPort: engine.listenPort, dhtPort, ...statusJson(s, { dht: dhtJson(engine.status().dht) }) })}\n`,
      )
    let lostReason: string | null = null
    await new Promise<void>((done) => {
      const timer = setInterval(
        () => {
          const now = torrent.summary()
          const json = () =>
            JSON.stringify({
              ...statusJson(now),
              banned: torrent.bannedPeers(),
              dropped: torrent.droppedPeers(),
              encryption: encryptionCounts(torrent),
              framed: framedCount(torrent),
              transport: transportCounts(torrent),
              dht: dhtJson(engine.status().dht),
            })
          io.out(args.json ? `${json()}\n` : `${statusLine(now, 100)}\n`)
        },
        args.json ? 1000 : 5000,
      )
      const stop = () => {
        clearInterval(timer)
        done()
      }
      if (io.signal.aborted) stop()
      else io.signal.addEventListener('abort', stop, { once: true })
      void bridge.lost.then((why) => {
        lostReason = why
        stop()
      })
    })
    if (lostReason) throw new CliError(EXIT.daemonUnreachable, `daemon unreachable: connection lost (${lostReason})`)
    return EXIT.ok
  } finally {
    stopReport()
    // announces `stopped`; exiting anyway, so a failure only costs that announce
    await engine
      .stop()
      .catch((e: unknown) => args.debug && io.err(`tidepool: stopping the engine failed: ${String(e)}\n`))
    await bridge.close()
    await hasher.close()
  }
}
