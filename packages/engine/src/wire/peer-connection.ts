/**
 * One BitTorrent peer connection over a TcpSocket: handshake, piece availability, choke/interest
 * both ways, request pipelining sized to the peer's measured rate, uploads with our own reqq,
 * keep-alives and timeouts, byte accounting. It decides nothing about what to request or whom to
 * unchoke: the torrent drives it (request(), sendPiece(), choke(), ...) and hears back through
 * handlers. Outgoing messages are coalesced per event-loop turn into writes of up to 256 KiB,
 * because per-write cost through the daemon bridge dominates.
 * MSE/PE, when the options ask for it, runs first (mse-stage.ts); after it every received chunk is
 * decrypted before the wire decoder and every outgoing frame encrypted by the outbox.
 */
import type { StreamCipher } from '../mse/stream-cipher.ts'
import type { DataPlaneTorrent, IoError, TcpSocket } from '../platform/ports.ts'
import { bytesEqual } from '../util/bytes.ts'
import { realClock } from '../util/clock.ts'
import type { Clock, TimerHandle } from '../util/clock.ts'
import { STORED_MESSAGE_ID } from '../platform/ports.ts'
import { describeCloseReason, type CloseReason } from './close-reason.ts'
import type { Bitfield } from './bitfield.ts'
import { startFraming, type FramingState } from './frame-handover.ts'
import { encodeHandshake } from './handshake.ts'
import type { Handshake, HandshakeFlags } from './handshake.ts'
import { MseStage, type WireEncryption } from './mse-stage.ts'
import { Outbox } from './outbox.ts'
import { PeerState } from './peer-state.ts'
import { DEFAULT_PEER_CONFIG } from './peer-types.ts'
import type { DropReason, LocalPieces, PeerConnectionConfig, PeerConnectionHandlers } from './peer-types.ts'
import type { PeerConnectionLike, PeerConnectionOptions, PeerConnectionStats, TorrentShape } from './peer-types.ts'
import { PipelineMeter } from './pipeline-meter.ts'
import { RequestQueue } from './request-queue.ts'
import { UploadServer } from './upload-server.ts'
import * as W from './wire-codec.ts'
import type { BlockRef, WireMessage } from './wire-codec.ts'
import { WireDecoder } from './wire-decoder.ts'

type Phase = 'handshake' | 'open' | 'closed'

export class PeerConnection implements PeerConnectionLike {
  readonly direction: 'outgoing' | 'incoming'
  readonly config: PeerConnectionConfig
  /** Choke/interest flags and the peer's pieces. */
  readonly state = new PeerState()
  infoHash: Uint8Array | null
  remote: Handshake | null = null
  closeReason: CloseReason | null = null
  /** Requests the peer allows us while choked (BEP 6 allowed-fast). */
  readonly allowedFastIn = new Set<number>()
  /** Pieces we allowed the peer while choked. */
  readonly allowedFastOut = new Set<number>()
  /** What protects the stream; 'plain' until an MSE handshake completes. */
  encryption: WireEncryption = 'plain'

  private phase: Phase = 'handshake'
  private handlers: PeerConnectionHandlers
  private readonly clock: Clock
  private readonly decoder: WireDecoder
  /** The data plane's handover (frame-handover.ts): 'framed' once the platform carries the pieces. */
  private framing: FramingState = 'plain'
  private dataPlane: (() => DataPlaneTorrent | null) | null
  private parsing = false
  /** Until framing is decided, received buffers are the platform's too (see PeerConnectionOptions). */
  private keepReceived: boolean
  private readonly ours: HandshakeFlags
  private torrent: TorrentShape | null
  private localPieces: LocalPieces | null
  private readonly requests = new RequestQueue()
  private readonly uploads: UploadServer
  private readonly pipeline: PipelineMeter
  private peerReqq: number
  private readonly outbox: Outbox
  private readyDirty = false
  private timer: TimerHandle | null = null
  private readonly createdAt: number
  /** When we last choked the peer (connections begin choked): requests soon after are in flight. */
  private chokedAt = 0
  private lastReceivedAt: number
  private snubbed = false
  private unrequested = 0
  private availabilityKnown = false // a bitfield, have-all, have-none or have arrived
  private bytesIn = 0
  private payloadIn = 0
  private wasted = 0
  /** The MSE (or plain-or-MSE detection) stage before the BitTorrent handshake; null once over. */
  private stage: MseStage | null = null
  private cipher: StreamCipher | null = null
  /** Incoming over MSE: the torrent its SKEY named, which the peer's handshake must name too. */
  private mseInfoHash: Uint8Array | null = null

  constructor(
    readonly socket: TcpSocket,
    private readonly options: PeerConnectionOptions,
  ) {
    this.direction = options.direction
    this.config = { ...DEFAULT_PEER_CONFIG, ...options.config }
    this.handlers = options.handlers ?? {}
    this.clock = options.clock ?? realClock
    this.torrent = options.torrent ?? null
    this.localPieces = options.localPieces ?? null
    this.ours = options.extensions ?? { extended: true, fast: true }
    this.infoHash = options.infoHash ?? null
    this.dataPlane = options.dataPlane ?? null
    this.keepReceived = options.keepReceived ?? options.dataPlane !== undefined
    this.decoder = new WireDecoder({ pieceCount: this.torrent?.pieceCount ?? null, limits: options.limits })
    const now = () => this.clock.now()
    this.uploads = new UploadServer(this.config, now, {
      send: (b) => this.send(b),
      fast: () => this.fast,
      canWrite: () => this.phase === 'open' && !this.outbox.blocked,
      read: (req) => {
        if (!this.handlers.onUploadRequest) return false
        this.handlers.onUploadRequest(req)
        return true
      },
    })
    this.pipeline = new PipelineMeter(now, this.config.rateWindowSec)
    this.peerReqq = this.config.defaultPeerReqq
    this.outbox = new Outbox(socket, this.config.maxWriteBytes, now)
    this.createdAt = this.lastReceivedAt = this.chokedAt = this.clock.now()
    if (this.direction === 'outgoing') {
      if (!this.infoHash) throw new TypeError('an outgoing connection needs an info-hash')
      const hs = encodeHandshake(this.infoHash, options.peerId, this.ours)
      if (options.mse) {
        const { stage, start } = MseStage.outgoing(this.infoHash, options.mse, hs)
        this.stage = stage
        this.send(start)
      } else {
        this.send(hs)
      }
    } else if (options.incomingMse) {
      this.stage = MseStage.incoming(options.incomingMse)
    }
    socket.setHandlers({
      onData: (d) => this.onData(d),
      onDrain: () => this.onDrain(),
      onEnd: () => this.close({ kind: 'remote-closed' }),
      onClose: (err) =>
        this.close(err ? { kind: 'socket-error', detail: err.message } : { kind: 'remote-closed' }, err),
    })
    this.schedule()
  }

  setHandlers(h: PeerConnectionHandlers): void {
    this.handlers = h
  }

  /** Piece geometry, once known (magnet: after metadata). Validates what the peer already sent. */
  setTorrent(t: TorrentShape): void {
    this.torrent = t
    this.decoder.setPieceCount(t.pieceCount)
    if (this.phase !== 'open') return // on open the state starts from the piece count
    const bad = this.state.resolvePieces(t.pieceCount)
    if (bad) return this.violation(bad)
    this.handlers.onPeerPieces?.()
  }

  /** Where this connection's blocks may stay (frame the socket after the handshake); null: never. */
  setDataPlane(source: (() => DataPlaneTorrent | null) | null): void {
    this.dataPlane = source
  }

  /** The platform's data plane carries this connection (STORED instead of blocks, its RC4). */
  get framed(): boolean {
    return this.framing === 'framed'
  }

  /** Framed: the platform sends this block from the files. False when nothing was sent (as sendPiece). */
  sendStoredBlock(index: number, begin: number, length: number, onError: () => void): boolean {
    const torrent = this.dataPlane?.()
    const socket = this.socket
    if (this.phase !== 'open' || this.framing !== 'framed' || !torrent || !socket.sendBlock) return false
    return this.uploads.sendFromPlatform(index, begin, length, () =>
      this.outbox.sendBlock({
        wireBytes: 13 + length,
        send: () =>
          socket.sendBlock!(torrent, index, begin, length, () => {
            if (this.phase === 'open') this.uploads.platformSendFailed(index, begin, length)
            onError()
          }),
      }),
    )
  }

  setLocalPieces(p: LocalPieces | null): void {
    this.localPieces = p
  }

  /** The peer's `reqq` from its extension handshake (we never keep more requests outstanding). */
  setPeerRequestLimit(reqq: number): void {
    if (Number.isFinite(reqq) && reqq > 0) this.peerReqq = Math.min(Math.floor(reqq), 100_000)
  }

  get isOpen(): boolean {
    return this.phase === 'open'
  }

  /** Both sides announced BEP 6. */
  get fast(): boolean {
    return !!(this.ours.fast && this.remote?.fast)
  }

  get extended(): boolean {
    return !!(this.ours.extended && this.remote?.extended)
  }

  /** How many more requests this peer should get now (0 while choked, blocked or not interested). */
  wantedRequests(): number {
    if (this.phase !== 'open' || !this.state.amInterested || this.outbox.blocked) return 0
    if (this.state.peerChoking && this.allowedFastIn.size === 0) return 0
    if (this.snubbed) return Math.max(0, 1 - this.requests.size)
    return Math.max(0, this.requestDepth() - this.requests.size)
  }

  /** Target pipeline depth: the blocks the peer delivers in one round trip plus a time margin. */
  requestDepth(): number {
    return this.pipeline.depth({
      blockSize: W.BLOCK_SIZE,
      queueTimeSec: this.config.requestQueueTimeSec,
      min: this.config.minRequestDepth,
      cap: Math.min(this.peerReqq, this.config.maxOutstandingRequests),
    })
  }

  /** May we request from this piece now? (unchoked, or allowed-fast while choked) */
  canRequest(index: number): boolean {
    return this.phase === 'open' && (!this.state.peerChoking || this.allowedFastIn.has(index))
  }

  /** Sends a request. False if not allowed now or already outstanding. */
  request(index: number, begin: number, length: number): boolean {
    if (!this.canRequest(index)) return false
    if (!this.requests.add(index, begin, length, this.clock.now())) return false
    this.send(W.encodeRequest(index, begin, length))
    return true
  }

  /** Withdraws a request (endgame, picker change). Not reported as dropped. */
  cancel(index: number, begin: number, length: number): boolean {
    if (this.phase !== 'open' || !this.requests.giveUp(index, begin)) return false
    this.send(W.encodeCancel(index, begin, length))
    return true
  }

  outstandingRequests(): BlockRef[] {
    return this.requests.list()
  }

  get peerPieces(): Bitfield | null {
    return this.state.pieces
  }

  interested(): void {
    if (this.phase !== 'open' || this.state.amInterested) return
    this.state.amInterested = true
    this.send(W.INTERESTED)
  }

  notInterested(): void {
    if (this.phase !== 'open' || !this.state.amInterested) return
    this.state.amInterested = false
    this.send(W.NOT_INTERESTED)
  }

  choke(): void {
    if (this.phase !== 'open' || this.state.amChoking) return
    this.state.amChoking = true
    this.chokedAt = this.clock.now()
    this.send(W.CHOKE)
    // Choking discards the peer's queued requests; with BEP 6 each must be rejected explicitly.
    this.uploads.choked(this.allowedFastOut)
  }

  unchoke(): void {
    if (this.phase !== 'open' || !this.state.amChoking) return
    this.state.amChoking = false
    this.send(W.UNCHOKE)
  }

  have(index: number): void {
    if (this.phase === 'open') this.send(W.encodeHave(index))
  }

  /** BEP 6: let the peer request this piece while choked. */
  allowFast(index: number): void {
    if (this.phase !== 'open' || !this.fast || this.allowedFastOut.has(index)) return
    this.allowedFastOut.add(index)
    this.send(W.encodeAllowedFast(index))
  }

  suggest(index: number): void {
    if (this.phase === 'open' && this.fast) this.send(W.encodeSuggest(index))
  }

  /** BEP 5: our DHT port, for peers that announced DHT. */
  sendPort(port: number): void {
    if (this.phase === 'open') this.send(W.encodePort(port))
  }

  sendExtended(extId: number, payload: Uint8Array): void {
    if (this.phase === 'open') this.send(W.encodeExtended(extId, payload))
  }

  /** Answers an onUploadRequest. False (and nothing sent) if it was cancelled or choked away meanwhile. */
  sendPiece(index: number, begin: number, data: Uint8Array): boolean {
    return this.phase === 'open' && this.uploads.sendPiece(index, begin, data)
  }

  /** The torrent cannot serve a request (read failed, piece missing): reject it (BEP 6) or forget it. */
  rejectRequest(index: number, begin: number, length: number): void {
    if (this.phase === 'open') this.uploads.reject(index, begin, length)
  }

  /** Stops reading the socket (e.g. storage is behind); resume() continues. */
  pauseReading(): void {
    this.socket.pause()
  }

  resumeReading(): void {
    this.socket.resume()
  }

  close(reason: CloseReason, error?: IoError): void {
    if (this.phase === 'closed') return
    if (
      this.stage?.inMse &&
      (reason.kind === 'remote-closed' || reason.kind === 'socket-error' || reason.kind === 'timeout')
    ) {
      // A peer that will not speak MSE typically just hangs up on our first bytes.
      reason = { kind: 'encryption-failed', detail: `${describeCloseReason(reason)} during the MSE handshake` }
    }
    this.phase = 'closed'
    this.closeReason = reason
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
    this.outbox.close()
    this.uploads.queue.clear()
    this.socket.close()
    const dropped = this.requests.giveUpAll()
    if (dropped.length) this.handlers.onRequestsDropped?.(dropped, 'closed')
    this.handlers.onClose?.(reason, error)
  }

  stats(): PeerConnectionStats {
    return {
      downloadRate: this.pipeline.rate.rate(),
      uploadRate: this.uploads.rate.rate(),
      downloaded: this.payloadIn,
      uploaded: this.uploads.uploaded,
      wasted: this.wasted,
      protocolDown: this.bytesIn - this.payloadIn,
      protocolUp: this.outbox.bytesOut - this.uploads.uploaded,
      requests: this.requests.size,
      requestDepth: this.requestDepth(),
      uploadQueue: this.uploads.queue.size,
      rttMs: this.pipeline.srttMs,
      snubbed: this.snubbed,
    }
  }

  private onData(data: Uint8Array): void {
    if (this.phase === 'closed') return
    this.bytesIn += data.length
    this.lastReceivedAt = this.clock.now()
    // the platform may still replay these bytes (framing): decrypt a copy, never its buffer (a
    // constructor copy: a Node Buffer's slice() is a view)
    if (this.keepReceived) data = new Uint8Array(data)
    if (this.cipher) {
      data = this.cipher.decrypt(data)
    } else if (this.stage) {
      const rest = this.runStage(data)
      if (!rest || rest.length === 0) return
      data = rest
    }
    this.decoder.push(data)
    if (this.framing !== 'pending') this.parseBuffered()
  }

  private parseBuffered(): void {
    if (this.parsing) return // the loop below picks up what changed
    this.parsing = true
    try {
      if (this.phase === 'handshake' && !this.readHandshake()) return
      while (this.phase === 'open' && this.framing !== 'pending') {
        const m = this.decoder.next()
        if (m.type === 'need-more') break
        if (m.type === 'invalid') return this.violation(m.reason)
        this.handle(m)
      }
    } catch (err) {
      // A throwing handler must not break the socket adapter's loop; record it as the reason.
      return this.close({ kind: 'internal', detail: err instanceof Error ? err.message : String(err) })
    } finally {
      this.parsing = false
    }
    if (this.readyDirty && this.phase === 'open') {
      this.readyDirty = false
      if (this.wantedRequests() > 0) this.handlers.onReady?.()
    }
  }

  /** Feeds the MSE stage; the bytes that start the BitTorrent stream once it is over, else null. */
  private runStage(data: Uint8Array): Uint8Array | null {
    const step = this.stage!.push(data)
    if (step.state === 'failed') {
      this.close(
        step.refused
          ? { kind: 'encryption-refused', detail: step.detail }
          : { kind: 'encryption-failed', detail: step.detail },
      )
      return null
    }
    if (step.send) this.send(step.send)
    if (step.state === 'continue') return null
    this.stage = null
    this.encryption = step.encryption
    if (step.cipher.encrypted) {
      this.cipher = step.cipher
      this.outbox.encryptWith(step.cipher) // what the handshake queued is already final
    }
    if (this.direction === 'incoming') this.mseInfoHash = step.infoHash
    return step.received
  }

  /** True once the handshake is complete and the connection is open. */
  private readHandshake(): boolean {
    const r = this.decoder.readHandshake()
    if (r.type === 'need-more') return false
    if (r.type === 'invalid') {
      this.violation(r.reason)
      return false
    }
    const hs = r.handshake
    if (bytesEqual(hs.peerId, this.options.peerId)) {
      this.close({ kind: 'self' })
      return false
    }
    if (this.direction === 'outgoing') {
      if (!bytesEqual(hs.infoHash, this.infoHash!)) {
        this.violation('handshake info-hash mismatch')
        return false
      }
    } else {
      if (this.mseInfoHash && !bytesEqual(hs.infoHash, this.mseInfoHash)) {
        this.violation('handshake info-hash differs from the one the MSE handshake named')
        return false
      }
      const accept = this.options.acceptIncoming?.(hs, this) ?? false
      if (!accept) {
        this.close({ kind: 'incoming-refused' })
        return false
      }
      this.infoHash = hs.infoHash
      this.send(encodeHandshake(hs.infoHash, this.options.peerId, this.ours))
    }
    this.remote = hs
    this.phase = 'open'
    this.state.startEmpty(this.torrent?.pieceCount ?? null)
    // Availability must be the first message, before anything the handshake handler sends.
    const availability = W.encodeAvailability(this.localPieces, this.fast)
    if (availability) this.send(availability)
    this.handlers.onHandshake?.(hs)
    if (this.phase === 'open') this.frame()
    return this.phase === 'open'
  }

  /** Right after the handshake: let the data plane carry the rest, if there is one for this torrent. */
  private frame(): void {
    const torrent = this.dataPlane?.()
    if (!torrent) {
      this.keepReceived = false
      return
    }
    this.framing = 'pending'
    const self = {
      socket: this.socket,
      outbox: this.outbox,
      bytesIn: this.bytesIn,
      unparsed: this.decoder.buffered,
      cipher: this.cipher,
      onFramed: (framed: boolean, at: number) => this.onFramed(framed, at),
    }
    if (!startFraming(self, torrent) && this.framing === 'pending') {
      this.framing = 'plain'
      this.keepReceived = false
    }
  }

  /** The platform's answer to frame() (frame-handover.ts). */
  private onFramed(framed: boolean, at: number): void {
    if (this.phase === 'closed') return
    this.keepReceived = false
    if (framed) {
      this.framing = 'framed'
      this.decoder.startFramed()
      this.cipher = null
      this.outbox.dropCipher()
      this.bytesIn = at // the platform delivers the bytes past `at` again
    } else {
      this.framing = 'plain'
    }
    this.outbox.release()
    this.parseBuffered()
  }

  private handle(m: WireMessage): void {
    switch (m.type) {
      case 'keep-alive':
        return
      case 'unknown':
        if (m.id === STORED_MESSAGE_ID) return this.violation('STORED on a connection that is not framed')
        return
      case 'stored':
        if (this.framing !== 'framed') return this.violation('STORED on a connection that is not framed')
        this.bytesIn += m.length - 4 // it stands for a piece message of 13 + length bytes
        return this.onBlockIn(
          m.index,
          m.begin,
          m.length,
          (solicited) => this.handlers.onStored?.(m.index, m.begin, m.length, solicited),
          () => this.handlers.onStrayStored?.(m.index),
        )
      case 'port':
        return this.handlers.onPort?.(m.port)
      case 'choke':
        return this.onPeerChoke()
      case 'unchoke':
        this.state.peerChoking = false
        this.readyDirty = true
        return this.handlers.onUnchoke?.()
      case 'interested':
        this.state.peerInterested = true
        return this.handlers.onInterested?.()
      case 'not-interested':
        this.state.peerInterested = false
        return this.handlers.onNotInterested?.()
      case 'have': {
        // A peer with nothing may skip the bitfield (BEP 3): announce its empty set before the have.
        const announce = !this.availabilityKnown && this.state.pieces !== null
        this.availabilityKnown = true
        if (announce) this.handlers.onPeerPieces?.()
        const bad = this.state.addHave(
          m.index,
          this.torrent?.pieceCount ?? null,
          this.decoder.limits.maxUnknownBitfield * 8,
        )
        if (bad) return this.violation(bad)
        return this.handlers.onHave?.(m.index)
      }
      case 'bitfield':
      case 'have-all':
      case 'have-none': {
        if (m.type !== 'bitfield' && !this.fast) return this.violation(`${m.type} without the fast extension`)
        // BEP 3/6 want it first; libtorrent sends its extension handshake before it, so we only
        // insist that it comes once and before any have.
        if (this.availabilityKnown) return this.violation(`${m.type} after the peer's pieces were known`)
        this.availabilityKnown = true
        const bad = this.state.setInitialPieces(m, this.torrent?.pieceCount ?? null)
        if (bad) return this.violation(bad)
        if (this.state.pieces) this.handlers.onPeerPieces?.()
        return
      }
      case 'request': {
        const ctx = {
          torrent: this.torrent,
          localPieces: this.localPieces,
          amChoking: this.state.amChoking,
          allowedFast: this.allowedFastOut,
        }
        const bad = this.uploads.request(m, ctx)
        if (bad) return this.violation(bad)
        if (!this.localPieces?.has(m.index)) this.handlers.onStray?.('unadvertised-request')
        else if (
          ctx.amChoking &&
          !ctx.allowedFast.has(m.index) &&
          this.clock.now() - this.chokedAt >= this.config.chokedRequestGraceMs
        )
          this.handlers.onStray?.('choked-request')
        return
      }
      case 'cancel':
        return this.uploads.cancel(m)
      case 'piece':
        return this.onPiece(m.index, m.begin, m.block)
      case 'suggest':
        if (!this.fast) return this.violation('suggest without the fast extension')
        return this.handlers.onSuggest?.(m.index)
      case 'allowed-fast':
        if (!this.fast) return this.violation('allowed-fast without the fast extension')
        this.allowedFastIn.add(m.index)
        this.readyDirty = true
        return this.handlers.onAllowedFast?.(m.index)
      case 'reject': {
        if (!this.fast) return this.violation('reject without the fast extension')
        const r = this.requests.giveUp(m.index, m.begin)
        if (r) {
          this.readyDirty = true
          this.handlers.onRequestsDropped?.([r], 'rejected')
        } else if (!this.requests.consumeLate(m.index, m.begin)) {
          this.handlers.onStray?.('unrequested-reject') // a reject after our cancel is normal; this is not
        }
        return
      }
      case 'extended':
        if (!this.ours.extended) return this.violation('extended message without the extension protocol')
        return this.handlers.onExtended?.(m.extId, m.payload)
    }
  }

  private onPeerChoke(): void {
    this.state.peerChoking = true
    // BEP 3: a choke discards our requests. With BEP 6 the peer rejects each one it drops instead.
    if (!this.fast) this.dropRequests(this.requests.giveUpAll(), 'choked')
    this.handlers.onChoke?.()
  }

  private onPiece(index: number, begin: number, block: Uint8Array): void {
    this.onBlockIn(index, begin, block.length, (solicited) => this.handlers.onBlock?.(index, begin, block, solicited))
  }

  /** A block arrived (its bytes, or STORED for bytes the data plane kept): `deliver` hands it on. */
  private onBlockIn(
    index: number,
    begin: number,
    length: number,
    deliver: (solicited: boolean) => void,
    stray?: () => void,
  ): void {
    const now = this.clock.now()
    this.payloadIn += length
    const req = this.requests.take(index, begin)
    if (req) {
      if (req.length !== length)
        return this.violation(`block ${index}/${begin} of ${length} bytes, requested ${req.length}`)
      this.pipeline.onBlock(length, now - req.sentAt, now)
      this.snubbed = false
      this.readyDirty = true
      return deliver(true)
    }
    this.pipeline.rate.add(length)
    if (this.requests.consumeLate(index, begin)) return deliver(false)
    this.wasted += length
    stray?.()
    if (++this.unrequested > this.config.maxUnrequestedBlocks) this.violation('too many unrequested blocks')
    else this.handlers.onStray?.('unrequested-block')
  }

  private dropRequests(reqs: BlockRef[], reason: DropReason): void {
    if (reqs.length === 0) return
    this.readyDirty = true
    this.handlers.onRequestsDropped?.(reqs, reason)
  }

  private violation(reason: string): void {
    this.close({ kind: 'protocol-violation', detail: reason })
  }

  private send(bytes: Uint8Array): void {
    if (this.phase !== 'closed') this.outbox.send(bytes)
  }

  private onDrain(): void {
    this.outbox.drained()
    if (this.phase !== 'open' || this.outbox.blocked) return
    this.uploads.pump()
    if (this.wantedRequests() > 0) this.handlers.onReady?.()
  }

  private schedule(): void {
    if (this.phase === 'closed') return
    this.timer = this.clock.setTimeout(() => this.tick(), this.config.tickMs)
  }

  private tick(): void {
    this.timer = null
    if (this.phase === 'closed') return
    const now = this.clock.now()
    const c = this.config
    if (this.phase === 'handshake' && now - this.createdAt >= c.handshakeTimeoutMs)
      return this.close({ kind: 'timeout', detail: 'handshake' })
    if (now - this.lastReceivedAt >= c.idleTimeoutMs) return this.close({ kind: 'timeout', detail: 'idle' })
    if (this.phase === 'open') {
      if (now - this.outbox.lastWriteAt >= c.keepAliveIntervalMs && this.outbox.pending === 0) this.send(W.KEEP_ALIVE)
      this.checkRequestTimeouts(now)
    }
    this.schedule()
  }

  private checkRequestTimeouts(now: number): void {
    const oldest = this.requests.oldest()
    if (!oldest) return
    const c = this.config
    let expired: BlockRef[]
    const wasSnubbed = this.snubbed
    if (now - Math.max(this.pipeline.lastBlockAt, oldest.sentAt) >= c.snubTimeoutMs) {
      this.snubbed = true
      expired = this.requests.giveUpAll()
    } else {
      expired = this.requests.giveUpOlderThan(now - c.requestTimeoutMs)
    }
    for (const r of expired) this.send(W.encodeCancel(r.index, r.begin, r.length))
    this.dropRequests(expired, 'timeout')
    if (this.snubbed && !wasSnubbed) this.handlers.onSnubbed?.()
    if (expired.length && this.wantedRequests() > 0) this.handlers.onReady?.()
  }
}
