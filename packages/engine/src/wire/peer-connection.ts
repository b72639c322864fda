/**
 * One BitTorrent peer connection over a TcpSocket: handshake, piece availability, choke/interest
 * both ways, request pipelining sized to the peer's measured rate, uploads with our own reqq,
 * keep-alives and timeouts, byte accounting. It decides nothing about what to request or whom to
 * unchoke: the torrent drives it (request(), sendPiece(), choke(), ...) and hears back through
 * handlers. Outgoing messages are coalesced per event-loop turn into writes of up to 256 KiB,
 * because per-write cost through the daemon bridge dominates.
 */
import { IoError } from '../platform/ports.ts'
import type { TcpSocket } from '../platform/ports.ts'
import { realClock } from '../util/clock.ts'
import type { Clock, TimerHandle } from '../util/clock.ts'
import { Bitfield } from './bitfield.ts'
import { bytesEqual } from '../util/bytes.ts'
import { encodeHandshake } from './handshake.ts'
import type { Handshake, HandshakeFlags } from './handshake.ts'
import { DEFAULT_PEER_CONFIG } from './peer-types.ts'
import type {
  DropReason,
  LocalPieces,
  PeerConnectionConfig,
  PeerConnectionHandlers,
  PeerConnectionLike,
  PeerConnectionOptions,
  PeerConnectionStats,
  TorrentShape,
} from './peer-types.ts'
import { PeerState } from './peer-state.ts'
import { RateMeter } from './rate-meter.ts'
import { RequestQueue } from './request-queue.ts'
import { UploadQueue } from './upload-queue.ts'
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
  closeReason: string | null = null
  /** Requests the peer allows us while choked (BEP 6 allowed-fast). */
  readonly allowedFastIn = new Set<number>()
  /** Pieces we allowed the peer while choked. */
  readonly allowedFastOut = new Set<number>()

  private phase: Phase = 'handshake'
  private handlers: PeerConnectionHandlers
  private readonly clock: Clock
  private readonly decoder: WireDecoder
  private readonly ours: HandshakeFlags
  private torrent: TorrentShape | null
  private localPieces: LocalPieces | null
  private readonly requests = new RequestQueue()
  private readonly uploads: UploadQueue
  private readonly downRate: RateMeter
  private readonly upRate: RateMeter
  private peerReqq: number
  private outbox: Uint8Array[] = []
  private outboxBytes = 0
  private flushScheduled = false
  private blocked = false // socket write returned false; wait for drain
  private readyDirty = false
  private timer: TimerHandle | null = null
  private readonly createdAt: number
  private lastReceivedAt: number
  private lastSentAt: number
  private lastBlockAt = 0
  private snubbed = false
  private srttMs: number | null = null
  private minRttMs: number | null = null
  private unrequested = 0
  private availabilityKnown = false // a bitfield, have-all, have-none or have arrived
  private bytesIn = 0
  private bytesOut = 0
  private payloadIn = 0
  private payloadOut = 0
  private wasted = 0

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
    this.decoder = new WireDecoder({ pieceCount: this.torrent?.pieceCount ?? null, limits: options.limits })
    this.uploads = new UploadQueue(this.config.maxIncomingRequests, this.config.maxUploadReads)
    const now = () => this.clock.now()
    this.downRate = new RateMeter(now, this.config.rateWindowSec)
    this.upRate = new RateMeter(now, this.config.rateWindowSec)
    this.peerReqq = this.config.defaultPeerReqq
    this.createdAt = this.lastReceivedAt = this.lastSentAt = this.clock.now()
    if (this.direction === 'outgoing') {
      if (!this.infoHash) throw new TypeError('an outgoing connection needs an info-hash')
      this.send(encodeHandshake(this.infoHash, options.peerId, this.ours))
    }
    socket.setHandlers({
      onData: (d) => this.onData(d),
      onDrain: () => this.onDrain(),
      onEnd: () => this.close('peer closed the connection'),
      onClose: (err) => this.close(err ? `socket error: ${err.message}` : 'connection closed', err),
    })
    this.schedule()
  }

  // ---- configuration by the torrent ----

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

  // ---- download side ----

  /** How many more requests this peer should get now (0 while choked, blocked or not interested). */
  wantedRequests(): number {
    if (this.phase !== 'open' || !this.state.amInterested || this.blocked) return 0
    if (this.state.peerChoking && this.allowedFastIn.size === 0) return 0
    if (this.snubbed) return Math.max(0, 1 - this.requests.size)
    return Math.max(0, this.requestDepth() - this.requests.size)
  }

  /** Target pipeline depth: the blocks the peer delivers in one round trip plus a time margin. */
  requestDepth(): number {
    const rate = this.downRate.rate(3)
    const sec = (this.minRttMs ?? 0) / 1000 + this.config.requestQueueTimeSec
    const depth = Math.ceil((rate * sec) / W.BLOCK_SIZE)
    const cap = Math.min(this.peerReqq, this.config.maxOutstandingRequests)
    return Math.max(Math.min(this.config.minRequestDepth, cap), Math.min(depth, cap))
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

  // ---- state we announce ----

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
    this.send(W.CHOKE)
    // Choking discards the peer's queued requests; with BEP 6 each must be rejected explicitly.
    const dropped = this.uploads.removeWhere((r) => !this.allowedFastOut.has(r.index))
    if (this.fast) for (const r of dropped) this.send(W.encodeReject(r.index, r.begin, r.length))
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

  sendExtended(extId: number, payload: Uint8Array): void {
    if (this.phase === 'open') this.send(W.encodeExtended(extId, payload))
  }

  // ---- upload side ----

  /** Answers an onUploadRequest. False (and nothing sent) if it was cancelled or choked away meanwhile. */
  sendPiece(index: number, begin: number, data: Uint8Array): boolean {
    if (this.phase !== 'open') return false
    const req = this.uploads.remove(index, begin)
    if (!req) return false
    if (req.length !== data.length) throw new RangeError(`block ${index}/${begin} is ${data.length} bytes, requested ${req.length}`)
    this.send(W.encodePieceHeader(index, begin, data.length))
    this.send(data)
    this.payloadOut += data.length
    this.upRate.add(data.length)
    this.pumpUploads()
    return true
  }

  /** The torrent cannot serve a request (read failed, piece missing): reject it (BEP 6) or forget it. */
  rejectRequest(index: number, begin: number, length: number): void {
    if (this.phase !== 'open') return
    if (this.uploads.remove(index, begin) && this.fast) this.send(W.encodeReject(index, begin, length))
    this.pumpUploads()
  }

  // ---- lifecycle ----

  /** Stops reading the socket (e.g. storage is behind); resume() continues. */
  pauseReading(): void {
    this.socket.pause()
  }

  resumeReading(): void {
    this.socket.resume()
  }

  close(reason: string, error?: IoError): void {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    this.closeReason = reason
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
    this.outbox = []
    this.uploads.clear()
    this.socket.close()
    const dropped = this.requests.giveUpAll()
    if (dropped.length) this.handlers.onRequestsDropped?.(dropped, 'closed')
    this.handlers.onClose?.(reason, error)
  }

  stats(): PeerConnectionStats {
    return {
      downloadRate: this.downRate.rate(),
      uploadRate: this.upRate.rate(),
      downloaded: this.payloadIn,
      uploaded: this.payloadOut,
      wasted: this.wasted,
      protocolDown: this.bytesIn - this.payloadIn,
      protocolUp: this.bytesOut - this.payloadOut,
      requests: this.requests.size,
      requestDepth: this.requestDepth(),
      uploadQueue: this.uploads.size,
      rttMs: this.srttMs,
      snubbed: this.snubbed,
    }
  }

  // ---- internals: receiving ----

  private onData(data: Uint8Array): void {
    if (this.phase === 'closed') return
    this.bytesIn += data.length
    this.lastReceivedAt = this.clock.now()
    this.decoder.push(data)
    try {
      if (this.phase === 'handshake' && !this.readHandshake()) return
      while (this.phase === 'open') {
        const m = this.decoder.next()
        if (m.type === 'need-more') break
        if (m.type === 'invalid') return this.violation(m.reason)
        this.handle(m)
      }
    } catch (err) {
      // A throwing handler must not break the socket adapter's loop; record it as the reason.
      return this.close(`internal error: ${err instanceof Error ? err.message : String(err)}`)
    }
    if (this.readyDirty && this.phase === 'open') {
      this.readyDirty = false
      if (this.wantedRequests() > 0) this.handlers.onReady?.()
    }
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
      this.close('connected to ourselves')
      return false
    }
    if (this.direction === 'outgoing') {
      if (!bytesEqual(hs.infoHash, this.infoHash!)) {
        this.violation('handshake info-hash mismatch')
        return false
      }
    } else {
      const accept = this.options.acceptIncoming?.(hs, this) ?? false
      if (!accept) {
        this.close('unknown info-hash')
        return false
      }
      this.infoHash = hs.infoHash
      this.send(encodeHandshake(hs.infoHash, this.options.peerId, this.ours))
    }
    this.remote = hs
    this.phase = 'open'
    this.state.startEmpty(this.torrent?.pieceCount ?? null)
    // Availability must be the first message, before anything the handshake handler sends.
    this.sendInitialPieces()
    this.handlers.onHandshake?.(hs)
    return this.phase === 'open'
  }

  private sendInitialPieces(): void {
    const mine = this.localPieces
    const n = mine ? mine.count() : 0
    if (this.fast && (n === 0 || !mine)) this.send(W.HAVE_NONE)
    else if (this.fast && mine && n === mine.size) this.send(W.HAVE_ALL)
    else if (mine && n > 0) this.send(W.encodeBitfield(mine.bytes))
  }

  private handle(m: WireMessage): void {
    switch (m.type) {
      case 'keep-alive':
      case 'port':
      case 'unknown':
        return
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
        this.availabilityKnown = true
        const bad = this.state.addHave(m.index, this.torrent?.pieceCount ?? null, this.decoder.limits.maxUnknownBitfield * 8)
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
      case 'request':
        return this.onUploadRequest(m)
      case 'cancel':
        if (this.uploads.remove(m.index, m.begin) && this.fast) this.send(W.encodeReject(m.index, m.begin, m.length))
        return this.pumpUploads()
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
    const now = this.clock.now()
    this.payloadIn += block.length
    this.downRate.add(block.length)
    const req = this.requests.take(index, begin)
    if (req) {
      if (req.length !== block.length) return this.violation(`block ${index}/${begin} of ${block.length} bytes, requested ${req.length}`)
      const rtt = now - req.sentAt
      this.srttMs = this.srttMs === null ? rtt : this.srttMs * 0.875 + rtt * 0.125
      // A slowly decaying minimum: the path's round trip without our own queueing.
      this.minRttMs = this.minRttMs === null ? rtt : Math.min(rtt, this.minRttMs * 1.05 + 1)
      this.lastBlockAt = now
      this.snubbed = false
      this.readyDirty = true
      return this.handlers.onBlock?.(index, begin, block, true)
    }
    if (this.requests.consumeLate(index, begin)) return this.handlers.onBlock?.(index, begin, block, false)
    this.wasted += block.length
    if (++this.unrequested > this.config.maxUnrequestedBlocks) this.violation('too many unrequested blocks')
  }

  private onUploadRequest(r: BlockRef): void {
    const t = this.torrent
    if (r.length === 0 || r.length > this.config.maxRequestLength) {
      return this.violation(`request of ${r.length} bytes`)
    }
    if (t) {
      const last = r.index === t.pieceCount - 1
      const size = last ? t.totalLength - t.pieceLength * (t.pieceCount - 1) : t.pieceLength
      if (r.begin + r.length > size) return this.violation(`request ${r.index}/${r.begin}+${r.length} beyond the piece`)
    }
    const allowed = !this.state.amChoking || this.allowedFastOut.has(r.index)
    const haveIt = !!this.localPieces?.has(r.index)
    if (!allowed || !haveIt || !this.handlers.onUploadRequest || this.uploads.add(r) === 'full') {
      if (this.fast) this.send(W.encodeReject(r.index, r.begin, r.length))
      return
    }
    this.pumpUploads()
  }

  private pumpUploads(): void {
    for (let i = 0; i < this.config.maxUploadReads && !this.blocked && this.phase === 'open'; i++) {
      const next = this.uploads.nextToRead()
      if (!next) return
      this.handlers.onUploadRequest?.(next)
    }
  }

  private dropRequests(reqs: BlockRef[], reason: DropReason): void {
    if (reqs.length === 0) return
    this.readyDirty = true
    this.handlers.onRequestsDropped?.(reqs, reason)
  }

  private violation(reason: string): void {
    this.close(`protocol violation: ${reason}`)
  }

  // ---- internals: sending ----

  private send(bytes: Uint8Array): void {
    if (this.phase === 'closed') return
    this.outbox.push(bytes)
    this.outboxBytes += bytes.length
    if (this.outboxBytes >= this.config.maxWriteBytes) return this.flush()
    if (!this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(() => {
        this.flushScheduled = false
        this.flush()
      })
    }
  }

  private flush(): void {
    if (this.phase === 'closed' || this.outbox.length === 0 || this.blocked) return
    const parts = this.outbox
    const total = this.outboxBytes
    this.outbox = []
    this.outboxBytes = 0
    const frame = parts.length === 1 ? parts[0]! : concat(parts, total)
    this.bytesOut += frame.length
    this.lastSentAt = this.clock.now()
    if (!this.socket.write(frame)) this.blocked = true
  }

  private onDrain(): void {
    this.blocked = false
    this.flush()
    if (this.phase !== 'open' || this.blocked) return
    this.pumpUploads()
    if (this.wantedRequests() > 0) this.handlers.onReady?.()
  }

  // ---- timers ----

  private schedule(): void {
    if (this.phase === 'closed') return
    this.timer = this.clock.setTimeout(() => this.tick(), this.config.tickMs)
  }

  private tick(): void {
    this.timer = null
    if (this.phase === 'closed') return
    const now = this.clock.now()
    const c = this.config
    if (this.phase === 'handshake' && now - this.createdAt >= c.handshakeTimeoutMs) return this.close('handshake timeout')
    if (now - this.lastReceivedAt >= c.idleTimeoutMs) return this.close('idle timeout')
    if (this.phase === 'open') {
      if (now - this.lastSentAt >= c.keepAliveIntervalMs && this.outbox.length === 0) this.send(W.KEEP_ALIVE)
      this.checkRequestTimeouts(now)
    }
    this.schedule()
  }

  private checkRequestTimeouts(now: number): void {
    const oldest = this.requests.oldest()
    if (!oldest) return
    const c = this.config
    let expired: BlockRef[]
    if (now - Math.max(this.lastBlockAt, oldest.sentAt) >= c.snubTimeoutMs) {
      this.snubbed = true
      expired = this.requests.giveUpAll()
    } else {
      expired = this.requests.giveUpOlderThan(now - c.requestTimeoutMs)
    }
    for (const r of expired) this.send(W.encodeCancel(r.index, r.begin, r.length))
    this.dropRequests(expired, 'timeout')
    if (expired.length && this.wantedRequests() > 0) this.handlers.onReady?.()
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}
