import type { TcpSocket } from '../platform/ports.ts'
import type { Torrent } from '../torrent/torrent.ts'
import type { Clock } from '../util/clock.ts'
import { toHex } from '../util/hex.ts'
import { incomingMse, type EncryptionPolicy } from '../wire/mse-stage.ts'
import { PeerConnection } from '../wire/peer-connection.ts'

export interface IncomingHost {
  readonly peerId: Uint8Array
  readonly clock: Clock
  getTorrent(infoHashHex: string): Torrent | undefined
  activeConnections(): number
  getSettings(): { maxConnectionsGlobal: number; encryption: EncryptionPolicy; dataPlane?: boolean }
  /** MSE: the info-hash of a torrent we have from HASH('req2', info-hash). */
  lookupSkey(req2: Uint8Array): Uint8Array | undefined
  /** Our DHT node runs: the handshake sets the DHT bit. */
  dhtRunning(): boolean
}

export interface IncomingLimits {
  /** Incoming connections still waiting for the peer's handshake, at most (default 32). */
  maxHalfOpen: number
  /** A peer that has not sent its handshake after this long is closed (default 10 s). */
  handshakeTimeoutMs: number
}

export const DEFAULT_INCOMING_LIMITS: IncomingLimits = { maxHalfOpen: 32, handshakeTimeoutMs: 10_000 }

/**
 * Incoming peers: read their handshake, find the torrent by info-hash, and let it accept the
 * connection into its pool (same limits as outgoing). Unknown info-hashes, ourselves (closed by
 * PeerConnection) and peers over the limits are refused by closing. Connections still handshaking
 * are counted and capped: otherwise anyone reaching the port could hold thousands open for free.
 * The encryption policy decides which openings are accepted (plain, MSE, or either); MSE's SKEY
 * names the torrent among all we have, and its handshake counts within the same deadline.
 */
export class IncomingRouter {
  accepted = 0
  refused = 0
  /** Of those, refused by the encryption policy (plain while required, MSE while disabled). */
  refusedByEncryption = 0
  /** Connections accepted by the listener whose handshake has not been decided yet. */
  halfOpen = 0
  /** When an incoming connection last turned out to be ourselves (our own peer id). */
  lastSelfAt = -Infinity
  private readonly limits: IncomingLimits

  constructor(
    private readonly host: IncomingHost,
    limits: Partial<IncomingLimits> = {},
  ) {
    this.limits = { ...DEFAULT_INCOMING_LIMITS, ...limits }
  }

  accept(socket: TcpSocket): void {
    const full = this.host.activeConnections() + this.halfOpen >= this.host.getSettings().maxConnectionsGlobal
    if (full || this.halfOpen >= this.limits.maxHalfOpen) {
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
    let pending = true
    const settle = (): void => {
      if (!pending) return
      pending = false
      this.halfOpen--
    }
    this.halfOpen++
    // `conn` is assigned before any bytes can arrive, so the callback can use it.
    const conn: PeerConnection = new PeerConnection(socket, {
      direction: 'incoming',
      peerId: this.host.peerId,
      clock: this.host.clock,
      config: { handshakeTimeoutMs: this.limits.handshakeTimeoutMs },
      incomingMse: incomingMse(this.host.getSettings().encryption, (req2) => this.host.lookupSkey(req2)),
      keepReceived: this.host.getSettings().dataPlane === true,
      // The handshake answers after the torrent is known, but these bits are engine-wide.
      extensions: { extended: true, fast: true, dht: this.host.dhtRunning() },
      // Replaced by the session's handlers once accepted; before that only a close can happen.
      handlers: {
        onClose: (reason) => {
          settle()
          if (reason.kind === 'self') this.lastSelfAt = this.host.clock.now()
          if (reason.kind === 'encryption-refused') {
            this.refused++
            this.refusedByEncryption++
          }
        },
      },
      acceptIncoming: (hs) => {
        settle()
        const t = this.host.getTorrent(toHex(hs.infoHash))
        // outgoing connects may have filled the engine-wide limit while this one handshook
        const room = this.host.activeConnections() < this.host.getSettings().maxConnectionsGlobal
        const ok = !!t && room && t.acceptIncoming(conn, hs, ip, port)
        if (ok) this.accepted++
        else this.refused++
        return ok
      },
    })
  }
}
