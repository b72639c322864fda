import type { BtEngine, Torrent, TorrentSummary } from '@tidepool/engine'
import { CliError, EXIT } from './errors.ts'
import {
  dhtJson,
  encryptionCounts,
  framedCount,
  LineRenderer,
  statusJson,
  statusLine,
  transportCounts,
  webSeedsJson,
} from './progress.ts'

export interface MonitorOptions {
  json: boolean
  tty: boolean
  out: (s: string) => void
  timeoutSec: number | null
  keepSeeding: boolean
  signal: AbortSignal
  /** Status interval; JSON lines must come at least once a second. */
  intervalMs?: number
}

/**
 * Prints progress until every torrent is complete and verified (then returns 0, or keeps seeding
 * until the signal when asked), the timeout passes, or a torrent fails.
 */
export function runMonitor(engine: BtEngine, torrents: Torrent[], o: MonitorOptions): Promise<number> {
  const start = Date.now()
  const interval = o.intervalMs ?? (o.json ? 500 : o.tty ? 250 : 1000)
  const renderer = new LineRenderer(o.out, o.tty)
  const reported = new Set<string>()
  const extra = (t: Torrent) => ({
    banned: t.bannedPeers(),
    hashFailures: t.hashFailures,
    dropped: t.droppedPeers(),
    encryption: encryptionCounts(t),
    framed: framedCount(t),
    transport: transportCounts(t),
    dht: dhtJson(engine.status().dht),
    webSeeds: webSeedsJson(t),
  })

  return new Promise<number>((resolve, reject) => {
    let timer: ReturnType<typeof setInterval> | null = null
    const finish = (code: number | Error) => {
      if (timer) clearInterval(timer)
      timer = null
      o.signal.removeEventListener('abort', onAbort)
      tick(true)
      if (code instanceof Error) reject(code)
      else resolve(code)
    }
    const onAbort = () => finish(torrents.every((t) => t.isComplete()) ? EXIT.ok : EXIT.interrupted)

    const tick = (last = false) => {
      const summaries = torrents.map((t) => t.summary())
      if (o.json) {
        for (let i = 0; i < torrents.length; i++) {
          const t = torrents[i]
          const s = summaries[i]
          if (t.isComplete() && !reported.has(t.infoHash)) {
            reported.add(t.infoHash)
            o.out(`${JSON.stringify(statusJson(s, { ...extra(t), done: true }))}\n`)
          } else if (!reported.has(t.infoHash) || o.keepSeeding) {
            o.out(`${JSON.stringify(statusJson(s, extra(t)))}\n`)
          }
        }
      } else {
        renderer.render(summaries.map((s) => statusLine(s, process.stdout.columns || 100)))
        if (!last) {
          for (const t of torrents) {
            if (t.isComplete() && !reported.has(t.infoHash)) reported.add(t.infoHash)
          }
        }
      }
      return summaries
    }

    const check = () => {
      const summaries = tick()
      for (let i = 0; i < torrents.length; i++) {
        const s: TorrentSummary = summaries[i]
        if (s.status === 'error') {
          const msg = s.error ?? 'unknown error'
          const disk = /no-space|disk full|ENOSPC/i.test(msg)
          return finish(
            new CliError(disk ? EXIT.diskFull : EXIT.failed, `${disk ? 'disk full' : 'failed'}: ${s.name}: ${msg}`),
          )
        }
      }
      if (torrents.every((t) => t.isComplete())) {
        if (!o.keepSeeding) return finish(EXIT.ok)
      } else if (o.timeoutSec !== null && Date.now() - start >= o.timeoutSec * 1000) {
        const late = torrents.filter((t) => !t.isComplete())
        const noPeers = late.filter((t) => !t.everConnected)
        if (o.json) {
          for (const t of late)
            o.out(`${JSON.stringify(statusJson(t.summary(), { ...extra(t), done: false, error: 'timeout' }))}\n`)
        }
        const which = late.map((t) => t.summary().name).join(', ')
        const msg =
          noPeers.length > 0
            ? `no peers before the timeout (${o.timeoutSec}s): ${noPeers.map((t) => t.summary().name).join(', ')}${peerFailures(engine, noPeers)}`
            : `timed out after ${o.timeoutSec}s: ${which} incomplete`
        return finish(new CliError(EXIT.timeout, msg))
      }
    }

    o.signal.addEventListener('abort', onAbort)
    if (o.signal.aborted) return onAbort()
    timer = setInterval(check, interval)
    // Report a completion the moment it happens, not at the next tick.
    for (const t of torrents) t.onNextCompletion(() => timer && check())
    check()
  })
}

/** Why no peer connected: the last error of a few peers we tried, and incoming peers our policy refused. */
function peerFailures(engine: BtEngine, torrents: Torrent[]): string {
  const errors = torrents.flatMap((t) =>
    t.pool
      .allPeers()
      .filter((p) => p.lastError)
      .map((p) => `${p.key}: ${p.lastError}`),
  )
  const refused = engine.incomingRefusedByEncryption()
  const parts: string[] = []
  if (errors.length > 0)
    parts.push(
      `last peer errors: ${errors.slice(0, 3).join('; ')}${errors.length > 3 ? ` (+${errors.length - 3} more)` : ''}`,
    )
  if (refused > 0)
    parts.push(
      `${refused} incoming connection${refused === 1 ? '' : 's'} refused by the encryption policy (--encryption ${engine.getSettings().encryption})`,
    )
  return parts.length > 0 ? ` (${parts.join('; ')})` : ''
}
