import { stat, writeFile } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { CreateCancelled, CreateTorrentError, createTorrentFromFiles, type HashProgress } from '@tidepool/engine'
import { setupBridge } from './bridge-setup.ts'
import type { CreateArgs } from './create-args.ts'
import { CliError, EXIT } from './errors.ts'
import { formatBytes, progressBar } from './progress.ts'
import { startSha1Workers } from './sha1-workers.ts'

const ROOT = 'source'

/**
 * `tidepool create`: makes a v1 .torrent of a file or folder. The engine's creator walks and reads it
 * through an in-process daemon serving its parent folder and hashes pieces in the CLI's SHA-1
 * workers. Progress goes to stderr (JSON lines on stdout with --json); SIGINT cancels.
 */
export async function createCommand(
  args: CreateArgs,
  io: { out: (s: string) => void; err: (s: string) => void; tty: boolean; signal: AbortSignal },
): Promise<number> {
  const source = resolve(args.path)
  const found = await stat(source).catch(() => null)
  if (!found) throw new CliError(EXIT.failed, `${args.path}: no such file or folder`)
  if (basename(source) === '')
    throw new CliError(EXIT.failed, 'cannot share the whole file system: pick a folder in it')
  const bridge = await setupBridge({ roots: { [ROOT]: dirname(source) }, daemonUrl: null, tokenFile: null })
  const hasher = startSha1Workers()
  const started = Date.now()
  let lastShown = 0
  const show = (p: HashProgress, final = false) => {
    const now = Date.now()
    if (!final && now - lastShown < (io.tty ? 200 : 2000)) return
    lastShown = now
    if (args.json) {
      io.out(`${JSON.stringify({ event: 'progress', ...p })}\n`)
      return
    }
    const frac = p.totalBytes > 0 ? p.hashedBytes / p.totalBytes : 1
    const line = `hashing ${progressBar(frac, 30)} ${(frac * 100).toFixed(1)}% ${formatBytes(p.hashedBytes)} of ${formatBytes(p.totalBytes)}`
    io.err(io.tty ? `\r\x1b[2K${line}${final ? '\n' : ''}` : `${line}\n`)
  }
  try {
    const created = await createTorrentFromFiles(
      bridge.files,
      hasher,
      {
        root: ROOT,
        path: basename(source),
        pieceLength: args.pieceLength ?? undefined,
        trackers: args.trackers,
        webSeeds: args.webSeeds,
        private: args.private,
        comment: args.comment ?? undefined,
        createdBy: 'Tidepool 0.1',
        creationDate: args.noDate ? undefined : Math.floor(Date.now() / 1000),
      },
      { signal: io.signal, onProgress: (p) => show(p, p.piecesDone === p.pieceCount) },
    )
    await writeFile(args.output, created.torrentFile)
    const secs = (Date.now() - started) / 1000
    const summary = {
      event: 'created',
      file: resolve(args.output),
      infoHash: created.infoHash,
      name: created.name,
      totalBytes: created.totalBytes,
      pieceLength: created.pieceLength,
      pieces: created.pieceCount,
      files: created.files.length,
      seconds: Number(secs.toFixed(3)),
    }
    if (args.json) io.out(`${JSON.stringify(summary)}\n`)
    else
      io.err(
        `created ${args.output}: ${created.name}, ${formatBytes(created.totalBytes)} in ${created.files.length} file(s), ` +
          `${created.pieceCount} pieces of ${formatBytes(created.pieceLength)}, info-hash ${created.infoHash} (${secs.toFixed(1)} s)\n`,
      )
    return EXIT.ok
  } catch (e) {
    if (e instanceof CreateCancelled) throw new CliError(EXIT.interrupted, 'cancelled')
    if (e instanceof CreateTorrentError) throw new CliError(EXIT.failed, e.message)
    throw new CliError(EXIT.failed, `creating the torrent failed: ${(e as Error).message}`)
  } finally {
    await bridge.close()
    await hasher.close()
  }
}
