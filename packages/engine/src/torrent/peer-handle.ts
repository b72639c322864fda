import type { TorrentPeer } from '../pool/torrent-peer.ts'
import type { Bitfield } from '../wire/bitfield.ts'

/**
 * What the data side (Downloader, UploadChoker) may use of one peer session: its wire state and
 * the messages it may send. A PeerSession is one; the data side never sees its torrent.
 */
export interface TradingPeer {
  readonly peer: TorrentPeer
  readonly connectedAt: number
  readonly peerChoking: boolean
  readonly peerInterested: boolean
  readonly amChoking: boolean
  /** The peer's pieces (only asked once they are known). */
  readonly bitfield: Bitfield
  isOpen(): boolean
  isSeed(): boolean
  /** Interested and open: may be sent requests. */
  canRequest(): boolean
  /** Requests the pipeline has room for. */
  wantedRequests(): number
  /** Our requests in flight to it. */
  requestCount(): number
  snubbed(): boolean
  allowedFastSet(): ReadonlySet<number> | null
  downloadRate(): number
  uploadRate(): number
  request(piece: number, begin: number, length: number): boolean
  cancel(piece: number, begin: number, length: number): void
  reject(piece: number, begin: number, length: number): void
  sendPiece(piece: number, begin: number, data: Uint8Array): boolean
  /** The platform's data plane carries this connection (framed socket). */
  framed?(): boolean
  /** Framed: the platform sends the block from the files (`onError`: it could not read it). */
  sendStoredBlock?(piece: number, begin: number, length: number, onError: () => void): boolean
  sendHave(piece: number): void
  choke(): void
  unchoke(): void
}

/** What the metadata fetch may use of a peer session: its ut_metadata side. */
export interface MetadataPeer {
  readonly peer: TorrentPeer
  readonly ext: {
    readonly supportsMetadata: boolean
    readonly metadataSize: number | null
    requestMetadata(piece: number): void
  }
  isOpen(): boolean
}
