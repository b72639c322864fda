import type { LogEntry } from '../api/types.ts'
import type { Logger, LogPort } from '../platform/ports.ts'
import { createLogger, LogRing, type LogComponent } from '../util/log.ts'

type TorrentComponent = Exclude<LogComponent, 'engine'>

/**
 * One torrent's log: a logger per component, all writing into one ring of the last 500 lines (the
 * UI's log pane) and to the platform's log port when it wants the component.
 */
export class TorrentLog {
  private readonly ring = new LogRing()
  readonly torrent: Logger
  readonly peer: Logger
  readonly pool: Logger
  readonly tracker: Logger
  readonly storage: Logger
  readonly metadata: Logger
  readonly dht: Logger
  readonly webseed: Logger

  constructor(infoHash: string, port: LogPort | undefined, now: () => number) {
    const make = (c: TorrentComponent) => createLogger(c, { port, now, ring: this.ring, torrent: infoHash })
    this.torrent = make('torrent')
    this.peer = make('peer')
    this.pool = make('pool')
    this.tracker = make('tracker')
    this.storage = make('storage')
    this.metadata = make('metadata')
    this.dht = make('dht')
    this.webseed = make('webseed')
  }

  /** Oldest first, at most 500. */
  entries(): LogEntry[] {
    return this.ring.entries()
  }
}
