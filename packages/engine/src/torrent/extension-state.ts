import {
  decodeExtendedHandshake,
  encodeExtendedHandshake,
  type ExtendedHandshake,
} from '../extension/extended-handshake.ts'
import { ExtensionError } from '../extension/extension-error.ts'
import {
  decodeMetadataMessage,
  encodeMetadataMessage,
  MAX_METADATA_SIZE,
  serveMetadataRequest,
  type MetadataMessage,
} from '../extension/ut-metadata.ts'
import { decodePex, encodePex, PexDiff, PEX_MAX_PER_MESSAGE, type PexPeer } from '../extension/ut-pex.ts'
import type { InfoDictionary } from '../metainfo/parse-info.ts'
import { peerKey, type PeerAddress } from '../util/peer-address.ts'
import type { CloseReason } from '../wire/close-reason.ts'
import type { PeerConnection } from '../wire/peer-connection.ts'

/** Our message id for ut_metadata (what peers must use when they send it to us). */
export const UT_METADATA_ID = 3
/** Our message id for ut_pex (BEP 11). */
export const UT_PEX_ID = 1
/** BEP 11 asks for at most one PEX message a minute; a peer sending more often is not listened to. */
export const PEX_MIN_GAP_MS = 45_000

/** What one peer's extension state may use of its session and torrent, and what it reports. */
export interface ExtensionHost {
  /** The torrent's info dictionary (null for a magnet until fetched): private flag, bytes to serve. */
  info(): InfoDictionary | null
  /** The port we accept peers on (0 while not listening). */
  ourListenPort(): number
  now(): number
  /** Where this peer listens, to leave it out of its own PEX (null when unknown). */
  peerListenAddress(): PeerAddress | null
  close(reason: CloseReason): void
  /** The peer told us our address (yourip). */
  onExternalAddress(ip: string): void
  /** The peer's extension handshake arrived (it may now be asked for metadata). */
  onHandshake(): void
  onMetadataData(piece: number, data: Uint8Array, totalSize: number): void
  onMetadataReject(piece: number): void
  /** Peers it told us of (BEP 11). */
  /** `flags`: BEP 11's added.f byte (seed, uTP, ...). */
  onPexPeers(peers: Array<PeerAddress & { flags: number }>): void
}

/**
 * One peer's BEP 10 extension state on top of the extension/ codecs: our handshake out, theirs
 * in (ut_metadata id, metadata_size, reqq), and ut_metadata (BEP 9): requests are served from our
 * info dictionary, data/reject go to the torrent's metadata fetch. ut_pex (BEP 11): the peers a peer
 * reports go into the pool as 'pex', and the torrent's PEX round sends each peer the changes in our
 * connected set (never for a private torrent, BEP 27).
 */
export class ExtensionState {
  peerMetadataId = 0
  metadataSize: number | null = null
  /** Extended handshakes we sent (one per connection; tests check it). */
  handshakesSent = 0
  private lastPexAt: number | null = null
  /** The id the peer wants for ut_pex (0: it does not take PEX). */
  peerPexId = 0
  /** The peer's listen port from its extended handshake (an incoming peer's address has another port). */
  listenPort: number | null = null
  private readonly pexSent = new PexDiff()

  constructor(
    private readonly conn: PeerConnection,
    private readonly host: ExtensionHost,
  ) {}

  get supportsMetadata(): boolean {
    return this.peerMetadataId > 0
  }

  /** Sent once, right after the peer's handshake (the wire has already sent our availability). */
  sendHandshake(): void {
    if (this.handshakesSent > 0 || !this.conn.extended) return
    this.handshakesSent++
    const info = this.host.info()
    const h: ExtendedHandshake = {
      m: info?.private ? { ut_metadata: UT_METADATA_ID } : { ut_metadata: UT_METADATA_ID, ut_pex: UT_PEX_ID },
      v: 'Tidepool 0.1',
      // libtorrent over-requests unless told our queue depth
      reqq: this.conn.config.maxIncomingRequests,
    }
    if (info) h.metadataSize = info.infoBytes.length
    const port = this.host.ourListenPort()
    if (port > 0) h.p = port
    this.conn.sendExtended(0, encodeExtendedHandshake(h))
  }

  onMessage(id: number, payload: Uint8Array): void {
    try {
      if (id === 0) this.onHandshake(decodeExtendedHandshake(payload))
      else if (id === UT_METADATA_ID) this.onMetadataMessage(decodeMetadataMessage(payload))
      else if (id === UT_PEX_ID) this.onPex(payload)
    } catch (err) {
      if (!(err instanceof ExtensionError)) throw err
      this.host.close({ kind: 'protocol-violation', detail: err.message })
    }
  }

  private onHandshake(h: ExtendedHandshake): void {
    const ut = h.m.ut_metadata
    this.peerMetadataId = ut !== undefined && ut > 0 ? ut : 0
    const pex = h.m.ut_pex
    this.peerPexId = pex !== undefined && pex > 0 ? pex : 0
    if (h.p !== undefined && h.p > 0 && h.p < 65536) this.listenPort = h.p
    if (h.metadataSize !== undefined && h.metadataSize <= MAX_METADATA_SIZE) this.metadataSize = h.metadataSize
    if (h.reqq !== undefined) this.conn.setPeerRequestLimit(h.reqq)
    if (h.yourIp) this.host.onExternalAddress(h.yourIp)
    this.host.onHandshake()
  }

  private onMetadataMessage(msg: MetadataMessage): void {
    if (msg.type === 'request') {
      if (this.peerMetadataId) this.send(serveMetadataRequest(this.host.info()?.infoBytes ?? null, msg.piece))
    } else if (msg.type === 'data') this.host.onMetadataData(msg.piece, msg.data, msg.totalSize)
    else this.host.onMetadataReject(msg.piece)
  }

  private onPex(payload: Uint8Array): void {
    if (this.host.info()?.private) return // a magnet that turned out private: PEX is not used (BEP 27)
    const msg = decodePex(payload, PEX_MAX_PER_MESSAGE)
    const now = this.host.now()
    if (this.lastPexAt !== null && now - this.lastPexAt < PEX_MIN_GAP_MS) return // flooding: ignored
    this.lastPexAt = now
    if (msg.added.length > 0) this.host.onPexPeers(msg.added.map((p) => ({ ip: p.ip, port: p.port, flags: p.flags })))
  }

  /** One PEX round: tells the peer what changed in `connected` (its own entry left out) since the last. */
  sendPex(connected: readonly PexPeer[]): void {
    if (!this.peerPexId || this.host.info()?.private) return
    const at = this.host.peerListenAddress()
    const self = at === null ? null : peerKey(at)
    const msg = this.pexSent.next(connected.filter((p) => peerKey(p) !== self))
    if (msg) this.conn.sendExtended(this.peerPexId, encodePex(msg))
  }

  requestMetadata(piece: number): void {
    this.send({ type: 'request', piece })
  }

  private send(msg: MetadataMessage): void {
    if (this.peerMetadataId) this.conn.sendExtended(this.peerMetadataId, encodeMetadataMessage(msg))
  }
}
