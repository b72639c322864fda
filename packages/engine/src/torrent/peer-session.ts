import type { PeerRow } from '../api/types.ts'
import type { InfoDictionary } from '../metainfo/parse-info.ts'
import type { TorrentPeer } from '../pool/torrent-peer.ts'
import type { IoError, TcpSocket } from '../platform/ports.ts'
import { bytesEqual } from '../util/bytes.ts'
import type { Handshake } from '../wire/handshake.ts'
import { PeerConnection } from '../wire/peer-connection.ts'
import { decodeClient } from '../wire/peer-id.ts'
import type { PeerConnectionHandlers } from '../wire/peer-types.ts'
import type { BlockRef } from '../wire/wire-codec.ts'
import type { Downloader } from './downloader.ts'
import { ExtensionState } from './extension-state.ts'
import { PeerConduct, type ConductAction } from './peer-conduct.ts'
import type { Torrent } from './torrent.ts'

/**
 * Glue between one PeerConnection and its torrent: wire events go to the picker/storage
 * (Downloader), the metadata fetch and the choker; the session keeps per-peer bookkeeping
 * (interest, stats deltas for the pool, the UI row).
 */
export class PeerSession {
  readonly connectedAt: number
  client = ''
  peerId: Uint8Array = new Uint8Array(20)
  readonly ext: ExtensionState
  /** What this peer did with our requests: decides when we pause, hold off or drop it. */
  readonly conduct = new PeerConduct()
  private downloader: Downloader | null = null
  private closed = false
  private reportedDown = 0
  private reportedUp = 0
  private seedMarked = false

  private constructor(
    readonly t: Torrent,
    readonly peer: TorrentPeer,
    readonly conn: PeerConnection,
    readonly incoming: boolean,
  ) {
    this.connectedAt = t.ctx.clock.now()
    this.ext = new ExtensionState(this)
  }

  /**
   * A TCP connection we opened: handshake, then hand the session to the torrent. A dial that
   * reached ourselves is closed by PeerConnection ('connected to ourselves') before onHandshake.
   */
  static outgoing(t: Torrent, peer: TorrentPeer, socket: TcpSocket): void {
    let session: PeerSession | null = null
    const conn = new PeerConnection(socket, {
      direction: 'outgoing',
      infoHash: t.infoHashBytes,
      peerId: t.ctx.peerId,
      clock: t.ctx.clock,
      torrent: shapeOf(t.info),
      localPieces: t.downloader?.storage.have ?? null,
      handlers: {
        onHandshake: (hs) => {
          session = new PeerSession(t, peer, conn, false)
          session.onHandshake(hs)
          t.onOutgoingHandshake(peer, session)
        },
        onClose: (reason, error) => {
          if (session) session.onClosed(reason, error)
          // trackers hand us our own address: never dial it again
          else t.onOutgoingHandshake(peer, null, reason, reason === 'connected to ourselves')
        },
      },
    })
  }

  /**
   * An incoming connection the engine routed to this torrent (its handshake named our info-hash).
   * Called from acceptIncoming, before the wire answers with its handshake and availability: the
   * session only takes over the handlers here; its onHandshake handler then sends ours.
   */
  static incoming(t: Torrent, peer: TorrentPeer, conn: PeerConnection, hs: Handshake): PeerSession {
    const s = new PeerSession(t, peer, conn, true)
    const shape = shapeOf(t.info)
    if (shape) conn.setTorrent(shape)
    conn.setLocalPieces(t.downloader?.storage.have ?? null)
    s.identify(hs)
    return s
  }

  private handlers(): PeerConnectionHandlers {
    return {
      onHandshake: () => this.ext.sendHandshake(),
      onPeerPieces: () => this.onPeerPieces(),
      onHave: (i) => this.onHave(i),
      onChoke: () => {},
      onUnchoke: () => this.downloader?.fillRequests(this),
      onInterested: () => this.downloader?.choker.onInterested(this),
      onNotInterested: () => {},
      onBlock: (index, begin, data, solicited) => {
        if (solicited) this.conduct.onBlock()
        this.downloader?.onBlock(this, index, begin, data)
      },
      onRequestsDropped: (reqs, why) => {
        this.downloader?.onBlocksLost(this, reqs.map((r) => ({ piece: r.index, begin: r.begin })))
        if (why === 'rejected') for (const r of reqs) this.onRejected(r.index)
      },
      onSnubbed: () => this.t.pool.chargePeer(this.peer.ip, this.peer.port, 'snub'),
      onStray: (what) => {
        this.t.pool.chargePeer(this.peer.ip, this.peer.port, 'violation')
        this.act(this.conduct.onStray(what))
      },
      onUploadRequest: (req) => this.onUploadRequest(req),
      onAllowedFast: () => this.downloader?.fillRequests(this),
      onExtended: (id, payload) => this.ext.onMessage(id, payload),
      onReady: () => this.downloader?.fillRequests(this),
      onClose: (reason, error) => this.onClosed(reason, error),
    }
  }

  /** Outgoing: the wire has sent our handshake and availability, so the extension handshake follows. */
  private onHandshake(hs: Handshake): void {
    this.identify(hs)
    this.ext.sendHandshake()
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
  attach(d: Downloader): void {
    if (this.downloader === d) return
    this.downloader = d
    this.conn.setLocalPieces(d.storage.have)
    if (this.conn.peerPieces) this.onPeerPieces()
    this.updateInterest()
  }

  private onPeerPieces(): void {
    const d = this.downloader
    const pieces = this.conn.peerPieces
    if (!d || !pieces) return
    if (pieces.count() === pieces.size) d.picker.addSeed(this.peer.key)
    else d.picker.addPeer(this.peer.key, pieces)
    this.checkSeed()
    this.updateInterest()
    d.fillRequests(this)
  }

  private onHave(index: number): void {
    const d = this.downloader
    if (!d) return
    d.picker.peerHave(this.peer.key, index)
    this.checkSeed()
    if (!this.conn.state.amInterested && d.wants(index)) this.conn.interested()
    d.fillRequests(this)
  }

  private checkSeed(): void {
    if (this.seedMarked) return
    const pieces = this.conn.peerPieces
    if (pieces && pieces.size > 0 && pieces.count() === pieces.size) {
      this.seedMarked = true
      this.t.pool.markPeerSeed(this.peer.ip, this.peer.port)
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
    if (allowed) this.t.pool.chargePeer(this.peer.ip, this.peer.port, 'reject')
    this.act(this.conduct.onReject(this.t.ctx.clock.now(), allowed))
  }

  private act(action: ConductAction): void {
    if (action === 'drop' && !this.closed) this.t.dropForConduct(this, this.conduct.dropReason())
  }

  private onClosed(reason: string, error?: IoError): void {
    if (this.closed) return
    this.closed = true
    if (reason.startsWith('protocol violation')) {
      this.t.pool.chargePeer(this.peer.ip, this.peer.port, 'violation')
      this.t.dropForConduct(this, { kind: 'protocol-violation', detail: reason })
    }
    this.t.onSessionClosed(this, isErrorDisconnect(reason, error), reason)
  }

  // ---- calls from the downloader / choker ----

  canRequest(): boolean {
    return !this.closed && this.conn.state.amInterested && this.conduct.mayRequest(this.t.ctx.clock.now())
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

  close(reason: string): void {
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
    }
  }

  /** qBittorrent-style flags: D/d download (unchoked/choked while interested), U/u upload, K, ?, I, S. */
  private flags(snubbed: boolean): string {
    const c = this.conn
    let f = ''
    if (c.state.amInterested) f += c.state.peerChoking ? 'd' : 'D'
    if (c.state.peerInterested) f += c.state.amChoking ? 'u' : 'U'
    if (!c.state.peerChoking && !c.state.amInterested) f += 'K'
    if (!c.state.amChoking && !c.state.peerInterested) f += '?'
    if (this.incoming) f += 'I'
    if (snubbed) f += 'S'
    if (this.ext.supportsMetadata) f += 'E'
    return f
  }
}

/**
 * Disconnects that cost the peer a failure (pool failcount): socket errors, protocol violations,
 * timeouts and internal errors. A close by the remote or by us for a normal reason (stopped, both
 * seeds, duplicate, banned, torrent error) is clean; otherwise a misbehaving peer is retried forever.
 */
export function isErrorDisconnect(reason: string, error?: IoError): boolean {
  return !!error || /^(socket error|protocol violation|internal error)|timeout$/.test(reason)
}

function shapeOf(info: InfoDictionary | null): { pieceCount: number; pieceLength: number; totalLength: number } | null {
  return info ? { pieceCount: info.pieceCount, pieceLength: info.pieceLength, totalLength: info.length } : null
}
