/** Options, settings and events of a PeerConnection (peer-connection.ts). */
import type { DataPlaneTorrent, IoError } from '../platform/ports.ts'
import type { Clock } from '../util/clock.ts'
import type { CloseReason } from './close-reason.ts'
import type { Handshake, HandshakeFlags } from './handshake.ts'
import type { IncomingMse, OutgoingMse, WireEncryption } from './mse-stage.ts'
import type { BlockRef } from './wire-codec.ts'
import type { DecoderLimits } from './wire-decoder.ts'

export interface PeerConnectionConfig {
  /** Our own ceiling on outstanding requests to one peer. */
  maxOutstandingRequests: number
  /** Pipeline depth before any rate is known, and the floor after. */
  minRequestDepth: number
  /** Seconds of the peer's measured rate we keep requested beyond one round trip. */
  requestQueueTimeSec: number
  /** The peer's `reqq` when its extension handshake gave none. */
  defaultPeerReqq: number
  /** Our `reqq`: requests from the peer we queue; beyond it we reject (fast) or drop. */
  maxIncomingRequests: number
  /** Blocks being read for the peer at once (onUploadRequest calls not yet answered). */
  maxUploadReads: number
  /** Largest block a peer may request from us. */
  maxRequestLength: number
  /** A request unanswered this long is given up (reported as 'timeout' and cancelled). */
  requestTimeoutMs: number
  /** With requests outstanding and no block for this long, every request is given up (snubbed). */
  snubTimeoutMs: number
  keepAliveIntervalMs: number
  /** Nothing received for this long: close. */
  idleTimeoutMs: number
  handshakeTimeoutMs: number
  /** Blocks we never asked for (and did not give up on) tolerated before closing. */
  maxUnrequestedBlocks: number
  /**
   * Requests that arrive this soon after we choked the peer (or after the connection began, choked)
   * were in flight before it saw the choke: refused but not charged. Later ones are strays.
   */
  chokedRequestGraceMs: number
  /** Outgoing messages are coalesced into writes of up to this many bytes. */
  maxWriteBytes: number
  /** Window of the displayed rates. */
  rateWindowSec: number
  /** Timer period for keep-alives and timeouts. */
  tickMs: number
}

export const DEFAULT_PEER_CONFIG: PeerConnectionConfig = {
  maxOutstandingRequests: 500,
  minRequestDepth: 4,
  requestQueueTimeSec: 2,
  defaultPeerReqq: 250,
  // our reqq, as libtorrent's (max_allowed_in_request_queue): a libtorrent leecher takes the peer's reqq
  // as its own queue limit, and fast on loopback it keeps that many out. bench:seeding 1 GiB: 250 ->
  // 176-191 MiB/s, 500 -> 239-300, 2000 -> ~390 (once dp.send stopped running ahead of the socket)
  maxIncomingRequests: 2000,
  maxUploadReads: 16,
  maxRequestLength: 16384,
  requestTimeoutMs: 30_000,
  snubTimeoutMs: 20_000,
  keepAliveIntervalMs: 90_000,
  idleTimeoutMs: 240_000,
  handshakeTimeoutMs: 20_000,
  maxUnrequestedBlocks: 16,
  chokedRequestGraceMs: 2000,
  maxWriteBytes: 256 * 1024,
  rateWindowSec: 10,
  tickMs: 1000,
}

/** What the connection needs to know about the torrent; unknown for a magnet until metadata. */
export interface TorrentShape {
  pieceCount: number
  pieceLength: number
  totalLength: number
}

/** Our pieces (the torrent's verified set, read when the bitfield is sent). PieceBits and Bitfield fit. */
export interface LocalPieces {
  readonly size: number
  readonly bytes: Uint8Array
  count(): number
  has(index: number): boolean
}

export type DropReason = 'choked' | 'rejected' | 'timeout' | 'closed'

/**
 * A message that answers nothing we asked, or asks for what we never offered (a piece we never
 * advertised, or any piece but an allowed-fast one while we choke the peer, past the grace after a choke).
 */
export type StrayMessage = 'unrequested-block' | 'unrequested-reject' | 'unadvertised-request' | 'choked-request'

export interface PeerConnectionHandlers {
  /** The remote handshake is valid (and, incoming, accepted). */
  onHandshake?(hs: Handshake): void
  /** The peer's initial pieces are known (bitfield, have-all, have-none): read `peerPieces`. */
  onPeerPieces?(): void
  onHave?(index: number): void
  onChoke?(): void
  onUnchoke?(): void
  onInterested?(): void
  onNotInterested?(): void
  /** A block arrived. `solicited` is false for a late block we had given up on (still valid data). */
  onBlock?(index: number, begin: number, data: Uint8Array, solicited: boolean): void
  /** Framed connections: the data plane kept a block (as onBlock, without the bytes). */
  onStored?(index: number, begin: number, length: number, solicited: boolean): void
  /** Framed: the data plane kept a block we never asked for (it may have overwritten a good one). */
  onStrayStored?(index: number): void
  /** Requests we will not get from this peer: request them elsewhere. */
  onRequestsDropped?(requests: BlockRef[], reason: DropReason): void
  /** Our requests went unanswered past the snub timeout (once until the peer delivers again). */
  onSnubbed?(): void
  /** The peer sent a stray message (see StrayMessage); the connection stays open. */
  onStray?(what: StrayMessage): void
  /** Read this block and answer with sendPiece() (or rejectRequest() when it cannot be read). */
  onUploadRequest?(req: BlockRef): void
  onSuggest?(index: number): void
  onAllowedFast?(index: number): void
  /** BEP 5: the peer's DHT port. */
  onPort?(port: number): void
  /** BEP 10: extId 0 is the extension handshake; others as we numbered them in ours. */
  onExtended?(extId: number, payload: Uint8Array): void
  /** wantedRequests() may have grown (block arrived, unchoked, drained, requests dropped). */
  onReady?(): void
  onClose?(reason: CloseReason, error?: IoError): void
}

export interface PeerConnectionOptions {
  direction: 'outgoing' | 'incoming'
  /** Required for outgoing; for incoming it comes from the peer's handshake. */
  infoHash?: Uint8Array
  peerId: Uint8Array
  handlers?: PeerConnectionHandlers
  clock?: Clock
  torrent?: TorrentShape | null
  localPieces?: LocalPieces | null
  /** Reserved bits we announce. Default: extended and fast on, DHT off. */
  extensions?: HandshakeFlags
  limits?: Partial<DecoderLimits>
  config?: Partial<PeerConnectionConfig>
  /**
   * Incoming only: called with the peer's handshake before we answer. Return false to refuse
   * (unknown info-hash); to accept, set handlers/torrent/localPieces on `conn` and return true.
   */
  acceptIncoming?: (hs: Handshake, conn: PeerConnectionLike) => boolean
  /** Outgoing: open with MSE/PE offering these methods; absent or null: a plain handshake. */
  mse?: OutgoingMse | null
  /** Incoming: the openings (plain, MSE) we accept; absent: plain only. */
  incomingMse?: IncomingMse
  /** Where this connection's blocks may stay: the socket is framed after the handshake (frame-handover.ts). */
  dataPlane?: () => DataPlaneTorrent | null
  /**
   * The socket may be framed (opened or accepted `framable`): the platform keeps what it delivered
   * and may replay it, so received buffers are copied before decryption until framing is decided.
   * Default: set when `dataPlane` is.
   */
  keepReceived?: boolean
}

/** The part of PeerConnection visible to acceptIncoming (avoids a type cycle). */
export interface PeerConnectionLike {
  readonly encryption: WireEncryption
  setHandlers(h: PeerConnectionHandlers): void
  setTorrent(t: TorrentShape): void
  setLocalPieces(p: LocalPieces | null): void
}

export interface PeerConnectionStats {
  downloadRate: number // payload bytes/s
  uploadRate: number
  downloaded: number // payload bytes received (including late and wasted blocks)
  uploaded: number
  wasted: number // payload bytes of unrequested blocks
  protocolDown: number // every other byte received (headers, handshake, messages)
  protocolUp: number
  requests: number // our outstanding requests
  requestDepth: number // current target depth
  uploadQueue: number
  rttMs: number | null // smoothed request-to-block time
  snubbed: boolean
}
