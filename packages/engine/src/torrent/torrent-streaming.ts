import type { StreamingState } from '../api/types.ts'
import type { InfoDictionary } from '../metainfo/parse-info.ts'
import { PieceDeadlines } from '../picker/piece-deadlines.ts'
import type { PiecePicker } from '../picker/piece-picker.ts'
import { IoError, type Logger, type PublishedStream, type StreamPort } from '../platform/ports.ts'
import type { Clock } from '../util/clock.ts'
import type { LocalPieces } from '../wire/peer-types.ts'
import { StreamWindow, type StreamTarget } from './stream-window.ts'

/** What streaming needs of its torrent: the data side while storage is open. */
export interface StreamingHost {
  readonly clock: Clock
  readonly log: Logger
  readonly streams?: StreamPort
  info(): InfoDictionary | null
  /** The open data side (null while stopped or before the metadata). */
  data(): {
    picker: PiecePicker
    have: LocalPieces
    root: string
    filePath(index: number): string
    /** New urgent deadlines: queued ordinary requests make way (Downloader.preemptForDeadlines). */
    preempt(): void
  } | null
  /** Makes sure a file is selected (a stream of a skipped file would never get its bytes). */
  selectFile(index: number): Promise<void>
  /** An option changed (the session saves it). */
  changed(): void
}

interface OpenStream {
  window: StreamWindow
  published: PublishedStream
}

/**
 * A torrent's play-while-downloading side: the sequential and first/last-pieces options (applied to
 * each picker the torrent opens) and its open streams, one per file, each published at a local URL
 * through the platform's StreamPort. The picker's deadlines are the only thing it changes.
 */
export class TorrentStreaming {
  private sequential = false
  private firstLast = false
  private readonly open = new Map<number, OpenStream>()
  private readonly opening = new Map<number, Promise<string>>()

  constructor(private readonly host: StreamingHost) {}

  state(): StreamingState {
    return {
      sequential: this.sequential,
      firstLastPiecesFirst: this.firstLast,
      available: !!this.host.streams,
      streams: [...this.open].map(([fileIndex, s]) => ({
        fileIndex,
        url: s.published.url,
        bitrate: Math.round(s.window.observedBitrate),
      })),
    }
  }

  setSequential(on: boolean): void {
    if (this.sequential === on) return
    this.sequential = on
    this.apply()
    this.host.changed()
  }

  setFirstLastPiecesFirst(on: boolean): void {
    if (this.firstLast === on) return
    this.firstLast = on
    this.apply()
    this.host.changed()
  }

  /** The options as the saved session keeps them (only those that are on). */
  savedOptions(): { sequential?: true; firstLastPiecesFirst?: true } {
    return {
      ...(this.sequential ? { sequential: true as const } : {}),
      ...(this.firstLast ? { firstLastPiecesFirst: true as const } : {}),
    }
  }

  /** Options from a saved session (before storage opens: apply() gives them to the picker). */
  restoreOptions(o: { sequential?: boolean; firstLastPiecesFirst?: boolean }): void {
    this.sequential = o.sequential === true
    this.firstLast = o.firstLastPiecesFirst === true
    this.apply()
  }

  /** Storage (re)opened or priorities changed: the picker gets the options again. */
  apply(): void {
    const d = this.host.data()
    const info = this.host.info()
    if (!d || !info) return
    d.picker.setSequential(this.sequential)
    d.picker.setPreferredPieces(this.firstLast ? firstAndLastPieces(info) : [])
  }

  /** The URL of a file's stream, publishing it on first use. */
  openStream(fileIndex: number): Promise<string> {
    const s = this.open.get(fileIndex)
    if (s) return Promise.resolve(s.published.url)
    let p = this.opening.get(fileIndex)
    if (!p) {
      p = this.publish(fileIndex).finally(() => this.opening.delete(fileIndex))
      this.opening.set(fileIndex, p)
    }
    return p
  }

  closeStream(fileIndex: number): void {
    const s = this.open.get(fileIndex)
    if (!s) return
    this.open.delete(fileIndex)
    s.window.close()
    s.published.close()
  }

  closeAll(): void {
    for (const i of [...this.open.keys()]) this.closeStream(i)
  }

  onPieceVerified(piece: number): void {
    for (const s of this.open.values()) s.window.onVerified(piece)
  }

  private async publish(fileIndex: number): Promise<string> {
    const ports = this.host.streams
    if (!ports) throw new IoError('unsupported', 'this platform cannot serve streams')
    const info = this.host.info()
    const d = this.host.data()
    if (!info || !d) throw new IoError('closed', 'the torrent is not running')
    const file = info.files[fileIndex]
    if (!file) throw new IoError('invalid', `no file ${fileIndex}`)
    await this.host.selectFile(fileIndex)
    const id = `stream-${fileIndex}`
    const host = this.host
    // deadlines set while no data side is open go nowhere
    const detached = new PieceDeadlines()
    const target: StreamTarget = {
      // the data side may be reopened (recheck): always the current one
      get deadlines() {
        return host.data()?.picker.deadlines ?? detached
      },
      pieceLength: info.pieceLength,
      pieceCount: info.pieceCount,
      has: (p) => this.host.data()?.have.has(p) ?? false,
      now: () => this.host.clock.now(),
    }
    const window = new StreamWindow(id, { offset: file.offset, length: file.length }, target)
    const published = await ports.publish(
      { root: d.root, path: d.filePath(fileIndex), length: file.length, name: file.pathComponents.at(-1) ?? file.path },
      {
        need: (offset, length, req) => {
          const d = this.host.data()
          if (!d) return Promise.reject(new IoError('closed', 'the torrent is not running'))
          const ready = window.want(offset, length, req)
          d.preempt()
          return ready
        },
        // a player that seeks closes its request: that reader's deadlines go
        gone: (req) => window.readerGone(req),
      },
    )
    this.open.set(fileIndex, { window, published })
    this.host.log.info(`streaming file ${fileIndex} (${file.path}) at ${published.url || '(no URL: not listening)'}`)
    return published.url
  }
}

/** First and last piece of every non-empty file: container headers and indexes (qBittorrent's option). */
export function firstAndLastPieces(info: InfoDictionary): number[] {
  const firsts: number[] = []
  const lasts: number[] = []
  for (const f of info.files) {
    if (f.length === 0) continue
    firsts.push(Math.floor(f.offset / info.pieceLength))
    lasts.push(Math.floor((f.offset + f.length - 1) / info.pieceLength))
  }
  return [...new Set([...firsts, ...lasts])]
}
