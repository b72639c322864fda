import type { PeerRow } from '../api/types.ts'
import type { InfoDictionary } from '../metainfo/parse-info.ts'
import type { PeerCharge } from '../pool/peer-pool.ts'
import type { PeerSource, TorrentPeer } from '../pool/torrent-peer.ts'
import type { DataPlaneTorrent, TcpSocket } from '../platform/ports.ts'
import { bytesEqual } from '../util/bytes.ts'
import type { Clock } from '../util/clock.ts'
import type { PeerAddress } from '../util/peer-address.ts'
import type { Bitfield } from '../wire/bitfield.ts'
import type { CloseReason } from '../wire/close-reason.ts'
import type { Handshake } from '../wire/handshake.ts'
import type { OutgoingMse } from '../wire/mse-stage.ts'
import { PeerConnection } from '../wire/peer-connection.ts'
import { decodeClient } from '../wire/peer-id.ts'
import type { LocalPieces, PeerConnectionHandlers } from '../wire/peer-types.ts'
import type { BlockRef } from '../wire/wire-codec.ts'
import { ExtensionState } from './extension-state.ts'
import { PeerConduct, type ConductAction, type ConductDrop } from './peer-conduct.ts'
import type { TradingPeer } from './peer-handle.ts'

/** What a session may use of its torrent, and what it reports to it. */
export interface SessionHost {
  readonly infoHash: Uint8Array
  readonly peerId: Uint8Array
  readonly clock: Clock
  /** null for a magnet until its metadata arrives. */
  info(): InfoDictionary | null
  /** The port we accept peers on (0 while not listening). */
  listenPort(): number
  /** An outgoing connection finished its handshake, or ended before it (session null). */
  onOutgoingHandshake(peer: TorrentPeer, session: PeerSession | null, reason?: CloseReason): void
  /** A session ended (after its handshake). */
  onSessionClosed(s: PeerSession, reason: CloseReason): void
  /** The peer has every piece. */
  onPeerSeed(peer: TorrentPeer): void
  onExternalAddress(ip: string): void
  onExtensionHandshake(s: PeerSession): void
  onMetadataData(s: PeerSession, piece: number, data: Uint8Array, totalSize: number): void
  onMetadataReject(s: PeerSession, piece: number): void
  /** `flags`: BEP 11's, for peers from PEX. */
  addPeers(peers: Array<PeerAddress & { flags?: number }>, source: PeerSource): void
  /** The peer wasted our time once more (lowers its rank in the pool). */
  chargePeer(peer: TorrentPeer, charge: PeerCharge): void
  /** Drop the peer for its conduct: the pool records why and holds it off, then the session is closed. */
  dropForConduct(s: PeerSession, why: ConductDrop): void
  /** The data plane's store of this torrent's pieces (connections are framed onto it); null: none. */
  dataPlaneTorrent?(): DataPlaneTorrent | null
  /** Our DHT's UDP port for PORT messages; null when the DHT is off or the torrent is private. */
  dhtPort(): number | null
  /** The peer's PORT message: its DHT node (pinged before it enters our table). */
  onDhtPort(ip: string, port: number): void
}

/** The data side as a session drives it (the Downloader, once storage is open). */
export interface SessionTrader {
  /** Our verified pieces, as the wire advertises them. */
  readonly have: LocalPieces
  isComplete(): boolean
  wants(piece: number): boolean
  onPeerPieces(s: TradingPeer, pieces: Bitfield): void
  onPeerHave(s: TradingPeer, piece: number): void
  onPeerInterested(s: TradingPeer): void
  fillRequests(s: TradingPeer): void
  onBlock(s: TradingPeer, piece: number, begin: number, data: Uint8Array): void
  onStored(s: TradingPeer, piece: number, begin: number, length: number): void
  onStrayStored(s: TradingPeer, piece: number): void
  onBlocksLost(s: TradingPeer, blocks: Array<{ piece: number; begin: number }>): void
  serveRequest(s: TradingPeer, piece: number, begin: number, length: number): Promise<void>
}

/**
 * Glue between one PeerConnection and its torrent: wire events go to the picker/storage
 * (Downloader), the metadata fetch and the choker; the session keeps per-peer bookkeeping
 * (interest, stats deltas for the pool, the UI row).
 */
export class PeerSession implements TradingPeer {
  readonly connectedAt: number
  client = ''
  peerId: Uint8Array = new Uint8Array(20)
  readonly ext: ExtensionState
  /** What this peer did with our requests: decides when we pause, hold off or drop it. */
  readonly conduct = new PeerConduct()
  private downloader: SessionTrader | null = null
  private closed = false
  private reportedDown = 0
  private reportedUp = 0
  private seedMarked = false

  private constructor(
    private readonly host: SessionHost,
    readonly peer: TorrentPeer,
    readonly conn: PeerConnection,
    readonly incoming: boolean,
  ) {
    this.connectedAt = host.clock.now()
    this.ext = new ExtensionState(conn, {
      info: () => host.info(),
      ourListenPort: () => host.listenPort(),
      now: () => host.clock.now(),
      peerListenAddress: () => {
        const port = this.listenPort()
        return port === null ? null : { ip: peer.ip, port }
      },
      close: (reason) => this.close(reason),
      onExternalAddress: (ip) => host.onExternalAddress(ip),
      onHandshake: () => host.onExtensionHandshake(this),
      onMetadataData: (piece, data, totalSize) => host.onMetadataData(this, piece, data, totalSize),
      onMetadataReject: (piece) => host.onMetadataReject(this, piece),
      onPexPeers: (peers) => host.addPeers(peers, 'pex'),
    })
  }

  /**
   * A TCP connection we opened: handshake, then hand the session to the torrent. A dial that
   * reached ourselves is closed by PeerConnection ('connected to ourselves') before onHandshake.
   */
  static outgoing(
    host: SessionHost,
    peer: TorrentPeer,
    socket: TcpSocket,
    trader: SessionTrader | null,
    mse: OutgoingMse | null = null,
  ): void {
    let session: PeerSession | null = null
    const conn = new PeerConnection(socket, {
      direction: 'outgoing',
      mse,
      infoHash: host.infoHash,
      peerId: host.peerId,
      clock: host.clock,
      torrent: shapeOf(host.info()),
      localPieces: trader?.have ?? null,
      extensions: { extended: true, fast: true, dht: host.dhtPort() !== null },
      dataPlane: () => host.dataPlaneTorrent?.() ?? null,
      handlers: {
        onHandshake: (hs) => {
          session = new PeerSession(host, peer, conn, false)
          session.onHandshake(hs)
          host.onOutgoingHandshake(peer, session)
        },
        onClose: (reason) => {
          if (session) session.onClosed(reason)
          else host.onOutgoingHandshake(peer, null, reason)
        },
      },
    })
  }

  /**
   * An incoming connection the engine routed to this torrent (its handshake named our info-hash).
   * Called from acceptIncoming, before the wire answers with its handshake and availability: the
   * session only takes over the handlers here; its onHandshake handler then sends ours.
   */
  static incoming(
    host: SessionHost,
    peer: TorrentPeer,
    conn: PeerConnection,
    hs: Handshake,
    trader: SessionTrader | null,
  ): PeerSession {
    const s = new PeerSession(host, peer, conn, true)
    const shape = shapeOf(host.info())
    if (shape) conn.setTorrent(shape)
    conn.setLocalPieces(trader?.have ?? null)
    conn.setDataPlane(() => host.dataPlaneTorrent?.() ?? null)
    s.identify(hs)
    return s
  }

  private handlers(): PeerConnectionHandlers {
    return {
      onHandshake: () => {
        this.ext.sendHandshake()
        this.sendDhtPort()
      },
      onPort: (port) => this.host.onDhtPort(this.peer.ip, port),
      onPeerPieces: () => this.onPeerPieces(),
      onHave: (i) => this.onHave(i),
      onChoke: () => {},
      onUnchoke: () => this.downloader?.fillRequests(this),
      onInterested: () => this.downloader?.onPeerInterested(this),
      onNotInterested: () => {},
      onBlock: (index, begin, data, solicited) => {
        if (solicited) this.conduct.onBlock()
        this.downloader?.onBlock(this, index, begin, data)
      },
      onStored: (index, begin, length, solicited) => {
        if (solicited) this.conduct.onBlock()
        this.downloader?.onStored(this, index, begin, length)
      },
      onStrayStored: (index) => this.downloader?.onStrayStored(this, index),
      onRequestsDropped: (reqs, why) => {
        this.downloader?.onBlocksLost(
          this,
          reqs.map((r) => ({ piece: r.index, begin: r.begin })),
        )
        if (why === 'rejected') for (const r of reqs) this.onRejected(r.index)
      },
      onSnubbed: () => this.host.chargePeer(this.peer, 'snub'),
      onStray: (what) => {
        this.host.chargePeer(this.peer, 'violation')
        this.act(this.conduct.onStray(what))
      },
      onUploadRequest: (req) => this.onUploadRequest(req),
      onAllowedFast: () => this.downloader?.fillRequests(this),
      onExtended: (id, payload) => this.ext.onMessage(id, payload),
      onReady: () => this.downloader?.fillRequests(this),
      onClose: (reason) => this.onClosed(reason),
    }
  }

  /** Outgoing: the wire has sent our handshake and availability, so the extension handshake follows. */
  private onHandshake(hs: Handshake): void {
    this.identify(hs)
    this.ext.sendHandshake()
    this.sendDhtPort()
  }

  /** BEP 5: when both ends set the DHT bit, tell the peer where our node listens. */
  private sendDhtPort(): void {
    const port = this.host.dhtPort()
    if (port !== null && this.conn.remote?.dht) this.conn.sendPort(port)
  }

  private identify(hs: Handshake): void {
    this.peerId = hs.peerId
    this.client = decodeClient(hs.peerId)
    this.conn.setHandlers(this.handlers())
  }

  samePeer(peerId: Uint8Array): boolean {
    return bytesEqual(this.peerId, peerId)
  }

  // ---- torrent-facing ----

  /** Metadata arrived (magnet): the connection can now check piece indexes and bitfields. */
  onMetadata(info: InfoDictionary): void {
    this.conn.setTorrent(shapeOf(info)!)
  }

  /** The downloader exists (metadata known, storage open): start trading. */
  attach(d: SessionTrader): void {
    if (this.downloader === d) return
    this.downloader = d
    this.conn.setLocalPieces(d.have)
    if (this.conn.peerPieces) this.onPeerPieces()
    this.updateInterest()
  }

  private onPeerPieces(): void {
    const d = this.downloader
    const pieces = this.conn.peerPieces
    if (!d || !pieces) return
    d.onPeerPieces(this, pieces)
    this.checkSeed()
    this.updateInterest()
    d.fillRequests(this)
  }

  private onHave(index: number): void {
    const d = this.downloader
    if (!d) return
    d.onPeerHave(this, index)
    this.checkSeed()
    if (!this.conn.state.amInterested && d.wants(index)) this.conn.interested()
    d.fillRequests(this)
  }

  private checkSeed(): void {
    if (this.seedMarked) return
    const pieces = this.conn.peerPieces
    if (pieces && pieces.size > 0 && pieces.count() === pieces.size) {
      this.seedMarked = true
      this.host.onPeerSeed(this.peer)
    }
  }

  /** Where the peer accepts connections: the port we dialled, or an incoming peer's advertised one. */
  listenPort(): number | null {
    return this.incoming ? this.ext.listenPort : this.peer.port
  }

  isSeed(): boolean {
    const pieces = this.conn.peerPieces
    return !!pieces && pieces.size > 0 && pieces.count() === pieces.size
  }

  /** Interested exactly when the peer has a piece we still want. */
  updateInterest(): void {
    const d = this.downloader
    const pieces = this.conn.peerPieces
    if (!d || !pieces) return
    let want = false
    if (!d.isComplete()) {
      for (let p = 0; p < pieces.size; p++) {
        if (pieces.has(p) && d.wants(p)) {
          want = true
          break
        }
      }
    }
    if (want && !this.conn.state.amInterested) this.conn.interested()
    else if (!want && this.conn.state.amInterested) this.conn.notInterested()
  }

  private onUploadRequest(req: BlockRef): void {
    const d = this.downloader
    if (!d) {
      this.conn.rejectRequest(req.index, req.begin, req.length)
      return
    }
    void d.serveRequest(this, req.index, req.begin, req.length)
  }

  /** A reject costs the peer only when it had allowed the request (unchoked us, or allowed the piece fast). */
  private onRejected(piece: number): void {
    const allowed = !this.conn.state.peerChoking || this.conn.allowedFastIn.has(piece)
    if (allowed) this.host.chargePeer(this.peer, 'reject')
    this.act(this.conduct.onReject(this.host.clock.now(), allowed))
  }

  private act(action: ConductAction): void {
    if (action === 'drop' && !this.closed) this.host.dropForConduct(this, this.conduct.dropReason())
  }

  private onClosed(reason: CloseReason): void {
    if (this.closed) return
    this.closed = true
    // A protocol violation is conduct too: recorded as a drop (held off longer, banned at the third)
    // before the torrent hears of the close, while the pool still has the peer as connected.
    if (reason.kind === 'protocol-violation') {
      this.host.chargePeer(this.peer, 'violation')
      this.host.dropForConduct(this, { kind: 'protocol-violation', detail: reason.detail })
    }
    this.host.onSessionClosed(this, reason)
  }

  // ---- calls from the downloader / choker ----

  canRequest(): boolean {
    return !this.closed && this.conn.state.amInterested && this.conduct.mayRequest(this.host.clock.now())
  }

  get peerChoking(): boolean {
    return this.conn.state.peerChoking
  }

  get peerInterested(): boolean {
    return this.conn.state.peerInterested
  }

  get amChoking(): boolean {
    return this.conn.state.amChoking
  }

  get bitfield() {
    return this.conn.peerPieces!
  }

  allowedFastSet(): ReadonlySet<number> | null {
    return this.conn.allowedFastIn
  }

  wantedRequests(): number {
    return this.conn.wantedRequests()
  }

  requestCount(): number {
    return this.conn.stats().requests
  }

  snubbed(): boolean {
    return this.conn.stats().snubbed
  }

  /**
   * Why this peer sends us no data, when the protocol state says so: we want nothing it has, it
   * chokes us (and allows no piece fast), or it unchoked us but left our requests unanswered past the
   * snub timeout. null: it may send.
   */
  quietReason(): 'not-interested' | 'choked' | 'snubbed' | null {
    const st = this.conn.state
    if (!st.amInterested) return 'not-interested'
    if (this.snubbed()) return 'snubbed'
    if (st.peerChoking && !this.conn.allowedFastIn?.size) return 'choked'
    return null
  }

  request(piece: number, begin: number, length: number): boolean {
    return this.conn.request(piece, begin, length)
  }

  cancel(piece: number, begin: number, length: number): void {
    this.conn.cancel(piece, begin, length)
  }

  reject(piece: number, begin: number, length: number): void {
    this.conn.rejectRequest(piece, begin, length)
  }

  /** False when the request was cancelled meanwhile (nothing sent). */
  sendPiece(piece: number, begin: number, data: Uint8Array): boolean {
    return this.conn.sendPiece(piece, begin, data)
  }

  framed(): boolean {
    return this.conn.framed
  }

  sendStoredBlock(piece: number, begin: number, length: number, onError: () => void): boolean {
    return this.conn.sendStoredBlock(piece, begin, length, onError)
  }

  sendHave(piece: number): void {
    this.conn.have(piece)
  }

  choke(): void {
    if (!this.conn.state.amChoking) this.conn.choke()
  }

  unchoke(): void {
    if (this.conn.state.amChoking) this.conn.unchoke()
  }

  isOpen(): boolean {
    return !this.closed
  }

  close(reason: CloseReason): void {
    this.conn.close(reason)
  }

  downloadRate(): number {
    return this.conn.stats().downloadRate
  }

  uploadRate(): number {
    return this.conn.stats().uploadRate
  }

  /** Payload bytes since the last call (the pool ranks by them). */
  takeStatDeltas(): { down: number; up: number } {
    const s = this.conn.stats()
    const down = s.downloaded - this.reportedDown
    const up = s.uploaded - this.reportedUp
    this.reportedDown = s.downloaded
    this.reportedUp = s.uploaded
    return { down, up }
  }

  row(): PeerRow {
    const s = this.conn.stats()
    const pieces = this.conn.peerPieces
    return {
      key: this.peer.key,
      ip: this.peer.ip,
      port: this.peer.port,
      state: 'connected',
      client: this.client,
      source: [...this.peer.sources],
      progress: pieces && pieces.size > 0 ? pieces.count() / pieces.size : 0,
      downloadRate: s.downloadRate,
      uploadRate: s.uploadRate,
      downloaded: s.downloaded,
      uploaded: s.uploaded,
      flags: this.flags(s.snubbed),
      requests: s.requests,
      incoming: this.incoming,
      transport: this.conn.socket.transport ?? 'tcp',
      encryption: this.conn.encryption,
      ...(this.conn.framed ? { framed: true } : {}),
    }
  }

  /**
   * qBittorrent's flags with qBittorrent's meanings (the UI's legend explains them): D/d download
   * (unchoked/choked while interested), U/u upload, K, ?, I incoming, S snubbed, E RC4-encrypted,
   * e MSE handshake with the stream left plain.
   */
  private flags(snubbed: boolean): string {
    const c = this.conn
    let f = ''
    if (c.state.amInterested) f += c.state.peerChoking ? 'd' : 'D'
    if (c.state.peerInterested) f += c.state.amChoking ? 'u' : 'U'
    if (!c.state.peerChoking && !c.state.amInterested) f += 'K'
    if (!c.state.amChoking && !c.state.peerInterested) f += '?'
    if (this.incoming) f += 'I'
    if (snubbed) f += 'S'
    if (c.encryption === 'rc4') f += 'E'
    else if (c.encryption === 'plaintext-in-mse') f += 'e'
    return f
  }
}

function shapeOf(info: InfoDictionary | null): { pieceCount: number; pieceLength: number; totalLength: number } | null {
  return info ? { pieceCount: info.pieceCount, pieceLength: info.pieceLength, totalLength: info.length } : null
}
