import type { TcpSocket } from '../platform/ports.ts'
import type { Torrent } from '../torrent/torrent.ts'
import { bytesEqual } from '../util/bytes.ts'
import type { Clock } from '../util/clock.ts'
import { toHex } from '../util/hex.ts'
import { PeerConnection } from '../wire/peer-connection.ts'

export interface IncomingHost {
  readonly peerId: Uint8Array
  readonly clock: Clock
  getTorrent(infoHashHex: string): Torrent | undefined
  activeConnections(): number
  getSettings(): { maxConnectionsGlobal: number }
}

/**
 * Incoming peers: read their handshake, find the torrent by info-hash, and let it accept the
 * connection into its pool (same limits as outgoing). Unknown info-hashes, ourselves and peers
 * over the engine-wide limit are refused by closing.
 */
export class IncomingRouter {
  accepted = 0
  refused = 0
  /** When an incoming connection last turned out to be ourselves (our own peer id). */
  lastSelfAt = -Infinity

  constructor(private readonly host: IncomingHost) {}

  accept(socket: TcpSocket): void {
    if (this.host.activeConnections() >= this.host.getSettings().maxConnectionsGlobal) {
      this.refused++
      socket.close()
      return
    }
    try {
      this.open(socket)
    } catch {
      // a bug handling one peer must not take the engine down
      this.refused++
      socket.close()
    }
  }

  private open(socket: TcpSocket): void {
    const ip = socket.remoteAddress
    const port = socket.remotePort
    // `conn` is assigned before any bytes can arrive, so the callback can use it.
    const conn: PeerConnection = new PeerConnection(socket, {
      direction: 'incoming',
      peerId: this.host.peerId,
      clock: this.host.clock,
      // Replaced by the session's handlers once accepted; before that only a close can happen.
      handlers: {
        onClose: (reason) => {
          if (reason === 'connected to ourselves') this.lastSelfAt = this.host.clock.now()
        },
      },
      acceptIncoming: (hs) => {
        const t = this.host.getTorrent(toHex(hs.infoHash))
        const ok = !!t && !bytesEqual(hs.peerId, this.host.peerId) && t.acceptIncoming(conn, hs, ip, port)
        if (ok) this.accepted++
        else this.refused++
        return ok
      },
    })
  }
}
