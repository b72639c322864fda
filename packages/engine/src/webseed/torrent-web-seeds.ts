import type { PeerRow } from '../api/types.ts'
import type { ByteBucket } from '../engine/bandwidth.ts'
import { HttpAgent } from '../http/http-agent.ts'
import type { InfoDictionary } from '../metainfo/parse-info.ts'
import type { Logger, NetPort } from '../platform/ports.ts'
import type { Clock } from '../util/clock.ts'
import { pickRun, type RunPicker } from './run-picker.ts'
import { WebSeed, type WebSeedHost } from './web-seed.ts'
import { MAX_WEB_SEEDS, type WebSeedSource } from './webseed-url.ts'

/** What a torrent's web seeds may use of the torrent. */
export interface WebSeedsHost {
  readonly net: NetPort
  readonly clock: Clock
  readonly log: Logger
  readonly downloadBucket: ByteBucket
  /** The web-seed setting (read every tick: turning it off stops them). */
  enabled(): boolean
}

/** What web seeds use of the data side (the Downloader, once storage is open). */
export interface WebSeedTrader {
  readonly info: InfoDictionary
  readonly picker: RunPicker & { addSeed(key: string): void }
  isComplete(): boolean
  /** May this source be asked for blocks of `piece` (a suspect piece is retried by one source)? */
  allowSource(piece: number, key: string): boolean
  onSourceBlock(key: string, piece: number, begin: number, data: Uint8Array): void
  /** The source is gone: its pieces stop counting and its requests are free again. */
  onSourceGone(key: string): void
}

/**
 * A torrent's web seeds: they run while the torrent downloads, storage is open and the setting is
 * on. Each counts in the picker as a seed under its URL, so availability and endgame see it.
 */
export class TorrentWebSeeds {
  private readonly sources: WebSeedSource[] = []
  private seeds = new Map<string, WebSeed>()
  /** Dropped seeds stay dropped for the torrent's life (a new Downloader after a recheck included). */
  private readonly dropped = new Map<string, string>()
  private trader: WebSeedTrader | null = null
  private agent: HttpAgent | null = null
  private active = false

  constructor(
    private readonly host: WebSeedsHost,
    sources: readonly WebSeedSource[],
  ) {
    for (const s of sources) this.add(s)
  }

  /** Adds a web seed (a magnet added again may name more); false when known already. */
  add(source: WebSeedSource): boolean {
    if (this.sources.length >= MAX_WEB_SEEDS || this.sources.some((s) => s.url === source.url)) return false
    this.sources.push(source)
    if (this.trader) this.bind(source)
    return true
  }

  get count(): number {
    return this.sources.length
  }

  /** Storage is open: web seeds may start fetching on the next tick. */
  attach(trader: WebSeedTrader): void {
    this.detach()
    this.trader = trader
    for (const s of this.sources) this.bind(s)
  }

  /** Storage closes (stop, recheck, error): everything asked is given back. */
  detach(): void {
    this.pause()
    this.seeds.clear()
    this.trader = null
  }

  /** Once a second: start or stop with the setting and the download, and ask seeds that are free. */
  tick(): void {
    const t = this.trader
    const want = !!t && !t.isComplete() && this.host.enabled()
    if (!want) {
      this.pause()
      return
    }
    if (!this.active) {
      this.active = true
      for (const ws of this.seeds.values()) {
        t.picker.addSeed(ws.key)
        ws.start()
      }
    }
    for (const ws of this.seeds.values()) ws.kick()
  }

  /** A hash failure was charged to `key`; false when it is not one of ours. */
  blame(key: string, shared: boolean): boolean {
    const ws = this.seeds.get(key)
    if (!ws) return false
    ws.blame(shared)
    return true
  }

  rows(): PeerRow[] {
    return [...this.seeds.values()].map((ws) => webSeedRow(ws, this.active))
  }

  private bind(source: WebSeedSource): void {
    const trader = this.trader!
    const host: WebSeedHost = {
      info: trader.info,
      agent: () => {
        if (!this.agent) this.agent = new HttpAgent(this.host.net, { clock: this.host.clock })
        return this.agent
      },
      clock: this.host.clock,
      log: this.host.log,
      pick: (key, bytes) => pickRun(trader.picker, key, bytes, (p) => trader.allowSource(p, key)),
      release: (key, blocks) => {
        for (const b of blocks) trader.picker.releaseBlock(key, b.piece, b.begin)
      },
      deliver: (key, piece, begin, data) => trader.onSourceBlock(key, piece, begin, data),
      allowance: (wanted) => Math.max(0, Math.min(wanted, Math.floor(this.host.downloadBucket.available()))),
      spend: (bytes) => this.host.downloadBucket.consume(bytes),
      onDropped: (key, reason) => {
        this.dropped.set(key, reason)
        if (this.trader === trader) trader.onSourceGone(key)
      },
    }
    const ws = new WebSeed(source, host)
    const reason = this.dropped.get(source.url)
    if (reason !== undefined) ws.drop(reason)
    this.seeds.set(ws.key, ws)
    if (this.active && reason === undefined) {
      trader.picker.addSeed(ws.key)
      ws.start()
    }
  }

  private pause(): void {
    if (!this.active) return
    this.active = false
    for (const ws of this.seeds.values()) {
      ws.stop()
      if (ws.state !== 'dropped') this.trader?.onSourceGone(ws.key)
    }
    this.agent?.close()
    this.agent = null
  }
}

function webSeedRow(ws: WebSeed, active: boolean): PeerRow {
  let host = ''
  let port = 0
  let https = false
  try {
    const u = new URL(ws.key)
    host = u.hostname
    https = u.protocol === 'https:'
    port = u.port ? Number(u.port) : https ? 443 : 80
  } catch {
    // a URL we could not parse was never added (webSeedSources checks)
  }
  const retryInSec = ws.retryInSec()
  return {
    key: ws.key,
    ip: host,
    port,
    state: 'connected',
    client: ws.source.kind === 'httpseeds' ? 'HTTP seed (BEP 17)' : 'Web seed (BEP 19)',
    source: ['web-seed'],
    progress: 1,
    downloadRate: active ? ws.rate.rate() : 0,
    uploadRate: 0,
    downloaded: ws.downloaded,
    uploaded: 0,
    flags: ws.state === 'downloading' ? 'D' : '',
    requests: ws.requests,
    incoming: false,
    transport: https ? 'https' : 'http',
    encryption: 'plain',
    webSeed: {
      url: ws.key,
      kind: ws.source.kind,
      state: ws.state,
      ...(ws.error ? { error: ws.error } : {}),
      ...(retryInSec !== undefined ? { retryInSec } : {}),
    },
  }
}
