import type { EngineSettings } from '../api/types.ts'
import type { ChokerConfig } from '../choke/choker.ts'
import type { Platform } from '../platform/ports.ts'
import type { Clock } from '../util/clock.ts'
import type { ByteBucket } from '../engine/bandwidth.ts'
import type { DhtAccess } from './torrent-dht.ts'

/** What a Torrent gets from its engine: platform, identity, shared limits and the connection queue. */
export interface TorrentContext {
  platform: Platform
  clock: Clock
  /** Our 20-byte peer id (the same for every torrent, so a dial to ourselves is recognised). */
  peerId: Uint8Array
  settings(): EngineSettings
  /** The port we accept peers on (0 while not listening). */
  listenPort(): number
  /** Our IPv6 address to tell trackers (`ipv6=`), when the settings name one or a peer saw a global one. */
  announceIpv6(): string | undefined
  /** A peer told us the address it sees us at (yourip). */
  noteExternalAddress(ip: string): void
  /** Ask the engine's fair queue for `count` connection slots; a grant calls connectOnePeer(). */
  requestConnections(infoHash: string, count: number): void
  cancelConnectionRequests(infoHash: string): void
  /** Slots this torrent already asked for and has not been granted yet. */
  pendingConnectionRequests(infoHash: string): number
  /** Outgoing connects in flight (for the queue's daemon caps). */
  connectStarted(): void
  connectFinished(): void
  /** Upload slots and their timing (defaults when absent). */
  choker?: Partial<ChokerConfig>
  downloadBucket: ByteBucket
  uploadBucket: ByteBucket
  /**
   * Our listener just received a connection from ourselves. An outgoing attempt to our own listen
   * port that the other end closed right then was that connection.
   */
  recentSelfConnection(): boolean
  /** The engine's DHT node, or null while the DHT is off. */
  dht(): DhtAccess | null
  /** The torrent's persistent state changed (metadata arrived, paused, priorities). */
  onTorrentChanged(infoHash: string): void
}
