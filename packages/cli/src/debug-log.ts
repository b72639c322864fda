import type { LogEntry, LogPort } from '@tidepool/engine'
import type { DebugSelection } from './args.ts'

/**
 * The CLI's `--debug`: the engine's log lines for the selected components, one per line on stderr
 * (time, level, component, the torrent's info-hash prefix, message). Null when nothing is selected,
 * so the engine makes no log lines beyond its per-torrent buffers.
 */
export function debugLogPort(selection: DebugSelection, write: (line: string) => void): LogPort | undefined {
  if (selection === null) return undefined
  const wanted = selection === 'all' ? null : new Set(selection)
  return {
    enabled: (component) => wanted === null || wanted.has(component),
    write: (e, torrent) => write(formatLogLine(e, torrent)),
  }
}

export function formatLogLine(e: LogEntry, torrent?: string): string {
  const at = new Date(e.at).toISOString().slice(11, 23)
  return `${at} ${e.level.padEnd(5)} [${e.component}]${torrent ? ` ${torrent.slice(0, 8)}` : ''} ${e.message}\n`
}
