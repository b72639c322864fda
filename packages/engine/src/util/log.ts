import type { LogEntry, LogLevel } from '../api/types.ts'
import type { Logger, LogPort } from '../platform/ports.ts'

/** The engine's log components (what the CLI's `--debug a,b` names). */
export const LOG_COMPONENTS = [
  'engine',
  'torrent',
  'peer',
  'pool',
  'tracker',
  'storage',
  'metadata',
  'lsd',
  'dht',
  'webseed',
] as const
export type LogComponent = (typeof LOG_COMPONENTS)[number]

/** Lines a torrent keeps for its log pane. */
export const TORRENT_LOG_SIZE = 500

/** The last `capacity` entries, oldest overwritten first. */
export class LogRing {
  private readonly items: LogEntry[] = []
  private next = 0

  constructor(readonly capacity = TORRENT_LOG_SIZE) {}

  push(e: LogEntry): void {
    if (this.items.length < this.capacity) this.items.push(e)
    else this.items[this.next] = e
    this.next = (this.next + 1) % this.capacity
  }

  /** Oldest first; copies. */
  entries(): LogEntry[] {
    if (this.items.length < this.capacity) return this.items.map((e) => ({ ...e }))
    return [...this.items.slice(this.next), ...this.items.slice(0, this.next)].map((e) => ({ ...e }))
  }
}

/** Logs nothing (components built without a log, e.g. in unit tests). */
export const SILENT_LOGGER: Logger = { info() {}, warn() {}, error() {} }

/**
 * A logger for `component`. Lines go to `port` when it wants the component, and info and above
 * always to `ring` (a torrent's own buffer, cheap: no formatting beyond the caller's string);
 * debug lines exist only when the port wants the component.
 */
export function createLogger(
  component: LogComponent,
  opts: { port?: LogPort; now: () => number; ring?: LogRing; torrent?: string },
): Logger {
  const { ring, now, torrent } = opts
  const port = opts.port?.enabled(component) ? opts.port : undefined
  if (!port && !ring) return SILENT_LOGGER
  const line = (level: LogLevel, message: string): void => {
    const entry: LogEntry = { at: now(), level, component, message }
    ring?.push(entry)
    port?.write(entry, torrent)
  }
  return {
    ...(port ? { debug: (m: string) => line('debug', m) } : {}),
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m) => line('error', m),
  }
}

/** An error as one short phrase for a log line. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' && !err.message.startsWith(code) ? `${code}: ${err.message}` : err.message
  }
  return String(err)
}
