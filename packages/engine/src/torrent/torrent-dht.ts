/**
 * A torrent's DHT lookups: get_peers when it starts and then every 15 minutes (every 2 while it
 * knows few peers), announce_peer with our listen port; found peers go to the pool as `dht`.
 * Never for a private torrent (BEP 27).
 */
import type { TrackerRow } from '../api/types.ts'
import type { Logger } from '../platform/ports.ts'
import { errorText } from '../util/log.ts'
import type { PeerAddress } from '../util/peer-address.ts'

export interface DhtLookupResult {
  /** Distinct peers the lookup found. */
  peers: number
  /** Nodes that acknowledged our announce_peer (0 when not announced). */
  announcedTo: number
}

/** What a torrent may use of the engine's DHT node. */
export interface DhtAccess {
  /** get_peers, then announce_peer with `port` when above 0; `onPeers` sees peers as they arrive. */
  lookup(infoHash: Uint8Array, port: number, onPeers: (peers: PeerAddress[]) => void): Promise<DhtLookupResult>
  /** A node learned from a peer's PORT message (pinged before it enters the table). */
  addNode(host: string, port: number): void
  /** The UDP port we tell peers in PORT messages. */
  readonly udpPort: number
}

export interface TorrentDhtHost {
  readonly infoHash: Uint8Array
  readonly log: Logger
  now(): number
  /** The engine's DHT, or null while it is off. */
  dht(): DhtAccess | null
  isPrivate(): boolean
  listenPort(): number
  /** Peers the pool could still connect to or is connected to: below FEW_PEERS we look up sooner. */
  knownPeers(): number
  onPeers(peers: PeerAddress[]): void
}

export const LOOKUP_INTERVAL_MS = 15 * 60_000
export const FEW_PEERS_INTERVAL_MS = 2 * 60_000
/** After a failed lookup (no nodes yet). */
export const RETRY_INTERVAL_MS = 30_000
export const FEW_PEERS = 20

export class TorrentDht {
  private running = false
  private busy = false
  private nextAt = 0
  private lastAt: number | null = null
  private found = 0
  private lastError?: string
  private generation = 0

  constructor(private readonly host: TorrentDhtHost) {}

  start(): void {
    if (this.running) return
    this.running = true
    this.nextAt = this.host.now()
    this.tick()
  }

  stop(): void {
    this.running = false
    this.generation++
    this.busy = false
  }

  /** Called every second by the torrent. */
  tick(): void {
    if (!this.running || this.busy || this.host.now() < this.nextAt) return
    const dht = this.host.dht()
    if (!dht || this.host.isPrivate()) return
    this.busy = true
    const gen = this.generation
    const port = this.host.listenPort()
    dht
      .lookup(this.host.infoHash, port, (peers) => {
        if (gen !== this.generation) return
        this.found += peers.length
        this.host.onPeers(peers)
      })
      .then(
        (r) => {
          if (gen !== this.generation) return
          this.lastError = undefined
          this.host.log.info(`DHT lookup: ${r.peers} peers${port > 0 ? `, announced to ${r.announcedTo} nodes` : ''}`)
          this.finish(this.host.knownPeers() < FEW_PEERS ? FEW_PEERS_INTERVAL_MS : LOOKUP_INTERVAL_MS)
        },
        (err: unknown) => {
          if (gen !== this.generation) return
          this.lastError = errorText(err)
          this.host.log.debug?.(`DHT lookup failed: ${this.lastError}`)
          this.finish(RETRY_INTERVAL_MS)
        },
      )
  }

  private finish(interval: number): void {
    this.busy = false
    this.lastAt = this.host.now()
    this.nextAt = this.lastAt + interval
  }

  /** The Trackers tab's DHT row. */
  row(): TrackerRow {
    const on = this.host.dht() !== null
    const priv = this.host.isPrivate()
    const status: TrackerRow['status'] =
      !on || priv
        ? 'disabled'
        : this.busy
          ? 'announcing'
          : this.lastError
            ? 'error'
            : this.lastAt !== null
              ? 'working'
              : 'idle'
    return {
      url: 'DHT',
      tier: -1,
      status,
      lastAnnounce: this.lastAt,
      nextAnnounce: on && !priv && this.running && !this.busy ? this.nextAt : null,
      peersReceived: this.found,
      seeders: null,
      leechers: null,
      ...(priv
        ? { message: 'private torrent' }
        : !on
          ? { message: 'DHT is off' }
          : this.lastError
            ? { message: this.lastError }
            : {}),
    }
  }
}
