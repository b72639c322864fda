import { mkdir, readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Torrent } from '@tidepool/engine'
import type { DownloadArgs } from './args.ts'
import { createCliEngine } from './cli-engine.ts'
import { debugLogPort } from './debug-log.ts'
import { CliError, EXIT } from './errors.ts'
import { runMonitor } from './monitor.ts'
import { reportPortMapping } from './port-mapping-report.ts'
import { outFolder } from './out-folder.ts'

const ROOT = 'downloads'

/** `tidepool download`: one engine for every given torrent; exits when all selected files are verified. */
export async function downloadCommand(
  args: DownloadArgs,
  io: { out: (s: string) => void; err: (s: string) => void; tty: boolean; signal: AbortSignal },
): Promise<number> {
  const inputs = await Promise.all(args.inputs.map(readInput))
  const outDir = resolve(args.out)
  try {
    await mkdir(outDir, { recursive: true })
  } catch (err) {
    throw new CliError(
      EXIT.failed,
      `cannot create ${outDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    )
  }
  const { bridge, engine, root, hasher } = await createCliEngine({
    dir: outDir,
    rootName: ROOT,
    args,
    log: debugLogPort(args.debug, io.err),
  })
  let stopReport = (): void => {}
  try {
    // With a running daemon (--daemon), --out must be inside one of its granted folders.
    const out = outFolder(outDir, bridge.files) ?? (args.daemonUrl ? null : { root, dir: '' })
    if (!out) {
      const granted = bridge.roots.map((r) => `${r} (${bridge.files.rootPath?.(r) ?? '?'})`).join(', ')
      throw new CliError(EXIT.failed, `${outDir} is not inside a folder the daemon serves: ${granted}`)
    }
    await engine.start()
    stopReport = reportPortMapping(engine, io, args.json)
    const torrents: Torrent[] = []
    for (const input of inputs) {
      try {
        torrents.push(
          await engine.add(
            input.kind === 'magnet'
              ? { magnet: input.value, savePath: out.root, saveDir: out.dir }
              : { torrentFile: input.bytes, savePath: out.root, saveDir: out.dir },
          ),
        )
      } catch (err) {
        throw new CliError(EXIT.badTorrent, `bad torrent ${input.label}: ${(err as Error).message}`)
      }
    }
    if (args.sequential) for (const t of torrents) engine.streaming(t.infoHash).setSequential(true)
    const lost = bridge.lost.then((why) => {
      throw new CliError(EXIT.daemonUnreachable, `daemon unreachable: connection lost (${why})`)
    })
    return await Promise.race([
      lost,
      runMonitor(engine, torrents, {
        json: args.json,
        tty: io.tty,
        out: io.out,
        timeoutSec: args.timeoutSec,
        keepSeeding: args.seed,
        signal: io.signal,
      }),
    ])
  } finally {
    stopReport()
    // exiting anyway: a failed stop only costs the trackers their `stopped` announce
    await engine
      .stop()
      .catch((e: unknown) => args.debug && io.err(`tidepool: stopping the engine failed: ${String(e)}\n`))
    await bridge.close()
    await hasher.close()
  }
}

type Input = { kind: 'magnet'; value: string; label: string } | { kind: 'file'; bytes: Uint8Array; label: string }

export async function readInput(arg: string): Promise<Input> {
  if (arg.startsWith('magnet:')) return { kind: 'magnet', value: arg, label: arg.slice(0, 60) }
  try {
    const buf = await readFile(arg)
    return { kind: 'file', bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), label: arg }
  } catch (err) {
    throw new CliError(
      EXIT.badTorrent,
      `bad torrent file ${arg}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    )
  }
}
