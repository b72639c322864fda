import type { DhtState, DhtStatus, Torrent, TorrentSummary } from '@tidepool/engine'

/** Formatting of per-torrent progress for humans (bars) and machines (JSON lines). */

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`
}

export function formatEta(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '--:--'
  const s = Math.max(0, Math.round(sec))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const r = s % 60
  const mm = String(m).padStart(2, '0')
  const ss = String(r).padStart(2, '0')
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
}

export function progressBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction))
  const full = Math.floor(f * width)
  return '#'.repeat(full) + '-'.repeat(width - full)
}

/** One line for a torrent: name, bar, percent, rates, peers connected (+connecting), ETA. */
export function statusLine(s: TorrentSummary, width = 100): string {
  const pct = `${(s.progress * 100).toFixed(1).padStart(5)}%`
  const rates = `down ${formatBytes(s.downloadRate)}/s up ${formatBytes(s.uploadRate)}/s`
  const peers = `peers ${s.connected} (+${s.connecting} connecting)`
  const state = s.status === 'downloading' ? `eta ${formatEta(s.etaSec)}` : s.status
  const tail = `${pct} ${rates} ${peers} ${state}`
  const barWidth = Math.max(10, Math.min(30, width - tail.length - 24))
  const nameWidth = Math.max(8, width - tail.length - barWidth - 4)
  const name = s.name.length > nameWidth ? `${s.name.slice(0, nameWidth - 1)}…` : s.name.padEnd(nameWidth)
  return `${name} [${progressBar(s.progress, barWidth)}] ${tail}`
}

/** How the connected peers' streams are protected, by count (`tidepool --json` status lines). */
export function encryptionCounts(t: Torrent): Record<'rc4' | 'plaintext-in-mse' | 'plain', number> {
  const out = { rc4: 0, 'plaintext-in-mse': 0, plain: 0 }
  for (const s of t.sessions.values()) out[s.conn.encryption]++
  return out
}

/** Connected peers whose pieces the daemon's data plane carries (framed sockets). */
export function framedCount(t: Torrent): number {
  let n = 0
  for (const s of t.sessions.values()) if (s.conn.framed) n++
  return n
}

/** The torrent's web seeds in a status line: URL, kind, state, bytes and rate, why it failed or was dropped. */
export function webSeedsJson(t: Pick<Torrent, 'webSeeds'>): Array<Record<string, unknown>> {
  return t.webSeeds.rows().map((r) => ({
    url: r.key,
    kind: r.webSeed?.kind,
    state: r.webSeed?.state,
    downloaded: r.downloaded,
    downloadRate: Math.round(r.downloadRate),
    ...(r.webSeed?.error ? { error: r.webSeed.error } : {}),
  }))
}

/** How the connected peers' connections travel, by count (`tidepool --json` status lines). */
export function transportCounts(t: Torrent): Record<'tcp' | 'utp', number> {
  const out = { tcp: 0, utp: 0 }
  for (const s of t.sessions.values()) out[s.conn.socket.transport ?? 'tcp']++
  return out
}

/** The engine's DHT node in a status line: its state and routing-table size (`off` while it does not run). */
export function dhtJson(d: DhtStatus | undefined): { state: DhtState; nodes: number } {
  return { state: d?.state ?? 'off', nodes: d?.nodes ?? 0 }
}

/** The JSON status object of one torrent (one line of --json output). */
export function statusJson(s: TorrentSummary, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    infoHash: s.infoHash,
    name: s.name,
    status: s.status,
    progress: Math.round(s.progress * 10000) / 10000,
    downloaded: s.downloaded,
    totalSize: s.totalSize,
    downloadRate: Math.round(s.downloadRate),
    uploadRate: Math.round(s.uploadRate),
    downloadedTotal: s.downloadedTotal,
    uploadedTotal: s.uploadedTotal,
    connected: s.connected,
    connecting: s.connecting,
    seeds: s.seeds,
    swarmSize: s.swarmSize,
    etaSec: s.etaSec,
    ...(s.error ? { error: s.error } : {}),
    ...extra,
  }
}

/** Redraws a block of lines in place on a TTY (cursor up + clear line), or prints plain lines. */
export class LineRenderer {
  private drawn = 0
  constructor(
    private readonly write: (s: string) => void,
    private readonly tty: boolean,
  ) {}

  render(lines: string[]): void {
    if (!this.tty) {
      this.write(lines.map((l) => `${l}\n`).join(''))
      return
    }
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : ''
    for (const l of lines) out += `\r\x1b[2K${l}\n`
    this.write(out)
    this.drawn = lines.length
  }
}
