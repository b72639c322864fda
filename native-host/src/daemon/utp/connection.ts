import { Ledbat } from './ledbat.ts'
import { HEADER_BYTES, type Packet, PacketType, encodePacket } from './packet.ts'
import { RttEstimator } from './rtt.ts'
import { seqAdd, seqDiff, seqLess } from './seq.ts'

/** What a connection needs from its socket: a clock and a way to send one datagram to its peer. */
export interface ConnectionIo {
  /** Milliseconds, monotonic. */
  nowMs(): number
  /** Microseconds, wrapping at 2^32 (the header's timestamps). */
  nowUs(): number
  send(datagram: Uint8Array): void
}

export interface ConnectionEvents {
  /** The peer answered our SYN (outgoing connections). */
  onConnect?(): void
  /** In-order bytes: a view valid only during the call (copy what you keep). */
  onData?(bytes: Uint8Array): void
  /** The peer's FIN and everything before it arrived: no more data. */
  onEnd?(): void
  /** The send buffer went under its low-water mark after `write` returned false. */
  onDrain?(): void
  /** Gone; the last event. `error` is set unless both sides finished cleanly or we closed it. */
  onClose?(error?: { code: 'refused' | 'timeout' | 'reset' | 'closed'; message: string }): void
}

export interface ConnectionOptions {
  /** Largest datagram we send (header included). */
  packetBytes?: number
  /** Receive buffer: the window we advertise. */
  recvWindowBytes?: number
  /** Bytes queued for sending above which `write` returns false. */
  sendHighWater?: number
  /** A SYN unanswered this long fails the connect with `timeout`. */
  connectTimeoutMs?: number
  /** Consecutive retransmission timeouts after which the connection is given up. */
  maxTimeouts?: number
  ledbat?: ConstructorParameters<typeof Ledbat>[0]
}

type State = 'syn-sent' | 'connected' | 'closed'

interface OutPacket {
  seq: number
  type: PacketType
  connectionId: number
  payload: Uint8Array
  payloadBytes: number
  sentAt: number
  sends: number
  /** Marked lost (timeout or selective acks): goes out again before new data. */
  resend: boolean
}

/** Out-of-order packets held beyond this distance from ack_nr are dropped (the sender's window is far smaller). */
const MAX_REORDER = 4096
const DUP_ACKS = 3

/**
 * One uTP connection, free of I/O: packets in through `receive`, datagrams out through `io.send`,
 * timers through `tick`. The socket multiplexer owns it.
 */
export class UtpConnection {
  state: State
  readonly recvId: number
  readonly sendId: number
  private seqNr: number
  /** Last in-order packet received from the peer. */
  private ackNr = 0
  private readonly maxPayload: number
  private readonly recvWindow: number
  private readonly sendHighWater: number
  private readonly connectTimeoutMs: number
  private readonly maxTimeouts: number
  readonly cc: Ledbat
  readonly rtt = new RttEstimator()
  private ev: ConnectionEvents = {}

  // sending
  private readonly sendQueue: Uint8Array[] = []
  private sendQueueHead = 0
  private sendQueued = 0
  private readonly inflight = new Map<number, OutPacket>()
  /** Oldest unacked sequence number (== seqNr when nothing is in flight). */
  private seqUnacked: number
  private bytesInFlight = 0
  private peerWindow: number
  private dupAcks = 0
  /** Packets marked for resending (flush skips its scan of the in-flight ones when none are). */
  private resendMarked = 0
  private lastAckSeen = -1
  private wantDrain = false
  private finQueued = false
  private finSeq: number | undefined
  private finAcked = false
  private timeouts = 0
  private readonly startedAt: number

  // receiving
  private readonly reorder = new Map<number, Uint8Array>()
  private reorderBytes = 0
  private readonly inbox: Uint8Array[] = []
  private inboxBytes = 0
  private paused = false
  private eofSeq: number | undefined
  private ended = false
  /**
   * Our clock minus the peer's timestamp, taken when its last packet arrived (BEP 29): what our packets
   * carry as timestamp_difference. Measured on arrival, so time our own process spends before answering
   * does not look like queuing on the path to the peer's congestion control.
   */
  private replyDiff = 0
  /** A packet arrived that we have not acknowledged yet. */
  ackPending = false
  /** Our advertised window was too small to be useful when last sent. */
  private windowWasClosed = false
  lastReceivedMs: number
  /** The multiplexer's hook: the connection is closed (by either side) and can be forgotten. */
  onFinish: (() => void) | undefined

  private constructor(
    private readonly io: ConnectionIo,
    state: State,
    recvId: number,
    sendId: number,
    seqNr: number,
    o: ConnectionOptions,
  ) {
    this.state = state
    this.recvId = recvId
    this.sendId = sendId
    this.seqNr = seqNr
    this.seqUnacked = seqNr
    this.maxPayload = (o.packetBytes ?? 1400) - HEADER_BYTES
    this.recvWindow = o.recvWindowBytes ?? 1024 * 1024
    this.sendHighWater = o.sendHighWater ?? 1024 * 1024
    this.connectTimeoutMs = o.connectTimeoutMs ?? 5000
    this.maxTimeouts = o.maxTimeouts ?? 7
    this.cc = new Ledbat({ packetBytes: this.maxPayload, ...o.ledbat })
    this.peerWindow = this.maxPayload
    this.startedAt = io.nowMs()
    this.lastReceivedMs = this.startedAt
  }

  /** Starts an outgoing connection: sends the SYN. */
  static connect(io: ConnectionIo, recvId: number, seqNr: number, o: ConnectionOptions = {}): UtpConnection {
    const c = new UtpConnection(io, 'syn-sent', recvId, (recvId + 1) & 0xffff, seqNr, o)
    c.sendPacket(PacketType.syn, new Uint8Array(0), c.recvId)
    return c
  }

  /** Accepts a peer's SYN: answers with a STATE and is connected from then on. */
  static accept(io: ConnectionIo, syn: Packet, seqNr: number, o: ConnectionOptions = {}): UtpConnection {
    const c = new UtpConnection(io, 'connected', (syn.connectionId + 1) & 0xffff, syn.connectionId, seqNr, o)
    c.ackNr = syn.seqNr
    c.peerWindow = syn.wndSize
    c.replyDiff = (io.nowUs() - syn.timestampUs) >>> 0
    c.sendState()
    return c
  }

  /** Read through a getter so the checks after callbacks are not narrowed away by the compiler. */
  get closed(): boolean {
    return this.state === 'closed'
  }

  setEvents(ev: ConnectionEvents): void {
    this.ev = ev
  }

  get sendBufferedBytes(): number {
    return this.sendQueued + this.bytesInFlight
  }

  // ---- application side ----

  /** Queues bytes (kept by reference). False when the send buffer is over its high-water mark. */
  write(bytes: Uint8Array): boolean {
    if (this.state === 'closed' || this.finQueued) return false
    if (bytes.length > 0) {
      this.sendQueue.push(bytes)
      this.sendQueued += bytes.length
      this.flush()
    }
    if (this.sendBufferedBytes > this.sendHighWater) {
      this.wantDrain = true
      return false
    }
    return true
  }

  /** FIN after everything queued. */
  end(): void {
    if (this.state === 'closed' || this.finQueued) return
    this.finQueued = true
    this.flush()
  }

  /** Closes at once: tells the peer with a RESET; no events follow. */
  close(): void {
    if (this.state === 'closed') return
    if (this.state === 'connected') this.sendPacket(PacketType.reset, new Uint8Array(0), this.sendId, false)
    this.finish(undefined, false)
  }

  /** Stops delivering data: it waits here and our advertised window shrinks. */
  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    while (this.inbox.length > 0 && !this.paused && this.state !== 'closed') {
      const b = this.inbox.shift()!
      this.inboxBytes -= b.length
      this.ev.onData?.(b)
    }
    this.checkEnd()
    // the window opened: tell a sender that may be waiting on it
    if (this.windowWasClosed && this.state === 'connected' && this.advertisedWindow() >= this.maxPayload * 4) {
      this.sendState()
    }
  }

  // ---- network side ----

  receive(p: Packet): void {
    if (this.state === 'closed') return
    const now = this.io.nowMs()
    this.lastReceivedMs = now
    this.replyDiff = (this.io.nowUs() - p.timestampUs) >>> 0
    if (p.type === PacketType.reset) {
      const refused = this.state === 'syn-sent'
      return this.finish(
        refused
          ? { code: 'refused', message: 'uTP connection refused (reset)' }
          : { code: 'reset', message: 'uTP connection reset by peer' },
      )
    }
    if (p.type === PacketType.syn) {
      // our STATE answering it was lost: answer again
      if (this.sendId === p.connectionId) this.sendState()
      return
    }
    if (this.state === 'syn-sent') {
      // the answer must acknowledge our SYN
      if (p.type !== PacketType.state || p.ackNr !== seqAdd(this.seqNr, -1)) return
      this.state = 'connected'
      // a STATE carries the sequence number of the peer's next packet without using it up
      this.ackNr = seqAdd(p.seqNr, -1)
      this.ev.onConnect?.()
      if (this.state !== 'connected') return
    }
    this.peerWindow = p.wndSize
    this.processAcks(p, now)
    if (this.closed) return
    if (p.type === PacketType.data || p.type === PacketType.fin) this.processData(p)
    if (this.closed) return
    this.flush()
    this.maybeDone()
  }

  private processAcks(p: Packet, now: number): void {
    let acked = 0
    const cwndLimited = this.bytesInFlight + this.maxPayload > this.cc.window
    const ack = p.ackNr
    // cumulative ack: everything from seqUnacked up to ack_nr (only what we actually sent)
    if (seqDiff(ack, this.seqUnacked) >= 0 && seqLess(ack, this.seqNr)) {
      while (!seqLess(ack, this.seqUnacked)) {
        acked += this.ackOne(this.seqUnacked, now)
        this.seqUnacked = seqAdd(this.seqUnacked, 1)
      }
    }
    // selective acks: bit i says ack_nr + 2 + i arrived
    let sackedPast = 0
    let lastSacked = -1
    if (p.sack) {
      const s = p.sack
      for (let i = s.length * 8 - 1; i >= 0; i--) {
        if ((s[i >> 3] & (1 << (i & 7))) === 0) continue
        const seq = seqAdd(ack, 2 + i)
        if (!seqLess(seq, this.seqNr)) continue
        if (lastSacked < 0) lastSacked = seq
        sackedPast++
        acked += this.ackOne(seq, now)
      }
      this.advanceUnacked()
    }
    if (acked > 0) {
      this.timeouts = 0
      this.dupAcks = 0
    } else if (ack === this.lastAckSeen && p.type === PacketType.state && this.inflight.size > 0) {
      this.dupAcks++
    }
    this.lastAckSeen = ack
    const sample = p.timestampDiffUs !== 0 ? p.timestampDiffUs : undefined
    this.cc.onAck(acked, sample, cwndLimited, now)
    // fast resend: the packet after ack_nr is missing while three later ones arrived
    const first = this.inflight.get(seqAdd(ack, 1))
    if (first && (this.dupAcks >= DUP_ACKS || sackedPast >= DUP_ACKS) && first.sends === 1) {
      this.cc.onLoss(now, this.rtt.rtt)
      first.resend = true
      this.resendMarked++
      // every hole below the last selectively acked packet is lost too
      if (lastSacked >= 0) {
        for (let s = seqAdd(ack, 2); seqLess(s, lastSacked); s = seqAdd(s, 1)) {
          const o = this.inflight.get(s)
          if (o && o.sends === 1) {
            o.resend = true
            this.resendMarked++
          }
        }
      }
      this.dupAcks = 0
    }
    if (acked > 0) this.checkDrain()
  }

  private ackOne(seq: number, now: number): number {
    const o = this.inflight.get(seq)
    if (!o) return 0
    this.inflight.delete(seq)
    this.bytesInFlight -= o.payloadBytes
    if (o.sends === 1) this.rtt.sample(now - o.sentAt) // Karn: no samples from resent packets
    if (this.finSeq !== undefined && seq === this.finSeq) this.finAcked = true
    return Math.max(o.payloadBytes, 1)
  }

  private advanceUnacked(): void {
    while (seqLess(this.seqUnacked, this.seqNr) && !this.inflight.has(this.seqUnacked)) {
      this.seqUnacked = seqAdd(this.seqUnacked, 1)
    }
  }

  private processData(p: Packet): void {
    this.ackPending = true
    const d = seqDiff(p.seqNr, this.ackNr)
    if (d <= 0) return // a duplicate: the ack we send says so
    if (p.type === PacketType.fin) this.eofSeq ??= p.seqNr
    if (d === 1) {
      this.deliver(p.payload)
      this.ackNr = p.seqNr
      // what waited for this packet follows it
      for (let next = seqAdd(this.ackNr, 1); this.reorder.has(next); next = seqAdd(next, 1)) {
        const b = this.reorder.get(next)!
        this.reorder.delete(next)
        this.reorderBytes -= b.length
        this.deliver(b)
        this.ackNr = next
      }
    } else if (d < MAX_REORDER && !this.reorder.has(p.seqNr)) {
      if (this.eofSeq !== undefined && seqLess(this.eofSeq, p.seqNr)) return
      // copy: the datagram buffer may be reused by the socket
      const b = p.payload.slice()
      this.reorder.set(p.seqNr, b)
      this.reorderBytes += b.length
    }
    this.checkEnd()
  }

  private deliver(b: Uint8Array): void {
    if (b.length === 0) return
    if (this.paused || this.inbox.length > 0) {
      const copy = b.slice()
      this.inbox.push(copy)
      this.inboxBytes += copy.length
    } else this.ev.onData?.(b)
  }

  private checkEnd(): void {
    if (this.ended || this.eofSeq === undefined || this.inbox.length > 0) return
    if (seqLess(this.ackNr, this.eofSeq)) return
    this.ended = true
    this.ev.onEnd?.()
    this.maybeDone()
  }

  private maybeDone(): void {
    if (this.state === 'closed') return
    // both directions finished and our FIN is acknowledged
    if (this.ended && this.finAcked) {
      if (this.ackPending) this.sendState() // the peer waits for the ack of its FIN
      this.finish(undefined)
    }
  }

  private checkDrain(): void {
    if (!this.wantDrain || this.sendBufferedBytes > this.sendHighWater / 4) return
    this.wantDrain = false
    this.ev.onDrain?.()
  }

  private advertisedWindow(): number {
    return Math.max(0, this.recvWindow - this.reorderBytes - this.inboxBytes)
  }

  // ---- sending ----

  /** Sends what the congestion and the peer's windows allow: lost packets first, then new data, then FIN. */
  flush(): void {
    if (this.state !== 'connected') return
    const now = this.io.nowMs()
    if (this.resendMarked > 0) {
      this.resendMarked = 0
      for (const o of this.inflight.values()) {
        if (!o.resend) continue
        o.resend = false
        this.resendPacket(o, now)
      }
    }
    while (this.sendQueued > 0) {
      const room = Math.min(this.cc.window, this.peerWindow) - this.bytesInFlight
      // one packet may always be in flight, or a window smaller than a packet would stall us
      if (room < Math.min(this.maxPayload, this.sendQueued) && this.bytesInFlight > 0) break
      if (room <= 0 && this.bytesInFlight === 0 && this.peerWindow === 0) break // zero window: tick probes
      this.sendPacket(PacketType.data, this.takePayload(Math.min(this.maxPayload, this.sendQueued)), this.sendId)
    }
    if (this.finQueued && this.finSeq === undefined && this.sendQueued === 0) {
      this.finSeq = this.seqNr
      this.sendPacket(PacketType.fin, new Uint8Array(0), this.sendId)
    }
  }

  private takePayload(n: number): Uint8Array {
    const head = this.sendQueue[this.sendQueueHead]
    let out: Uint8Array
    if (head.length === n) {
      out = head
      this.sendQueueHead++
    } else if (head.length > n) {
      out = head.subarray(0, n)
      this.sendQueue[this.sendQueueHead] = head.subarray(n)
    } else {
      out = new Uint8Array(n)
      let at = 0
      while (at < n) {
        const h = this.sendQueue[this.sendQueueHead]
        const take = Math.min(h.length, n - at)
        out.set(h.subarray(0, take), at)
        at += take
        if (take === h.length) this.sendQueueHead++
        else this.sendQueue[this.sendQueueHead] = h.subarray(take)
      }
    }
    if (this.sendQueueHead > 64) {
      this.sendQueue.splice(0, this.sendQueueHead)
      this.sendQueueHead = 0
    }
    this.sendQueued -= n
    return out
  }

  /** STATE: acknowledges, with a selective ack when packets are missing. Uses no sequence number. */
  sendState(): void {
    if (this.state === 'closed') return
    this.sendPacket(PacketType.state, new Uint8Array(0), this.sendId, false)
  }

  private sendPacket(type: PacketType, payload: Uint8Array, connectionId: number, track = true): void {
    const bytes = this.encode(type, connectionId, this.seqNr, payload)
    this.ackPending = false
    if (track) {
      // SYN, DATA and FIN use up a sequence number and wait for their ack
      this.inflight.set(this.seqNr, {
        seq: this.seqNr,
        type,
        connectionId,
        payload,
        payloadBytes: payload.length,
        sentAt: this.io.nowMs(),
        sends: 1,
        resend: false,
      })
      this.bytesInFlight += payload.length
      this.seqNr = seqAdd(this.seqNr, 1)
    }
    this.io.send(bytes)
  }

  /**
   * Sends a lost packet again with what the peer reads from every packet brought up to date: libtorrent
   * ignores a packet whose ack_nr is older than one it has seen, so a stale one would never be answered.
   */
  private resendPacket(o: OutPacket, now: number): void {
    o.sentAt = now
    o.sends++
    this.ackPending = false
    this.io.send(this.encode(o.type, o.connectionId, o.seq, o.payload))
  }

  private encode(type: PacketType, connectionId: number, seqNr: number, payload: Uint8Array): Uint8Array {
    const wnd = this.advertisedWindow()
    this.windowWasClosed = wnd < this.maxPayload * 4
    const us = this.io.nowUs()
    return encodePacket({
      type,
      connectionId,
      timestampUs: us,
      timestampDiffUs: this.replyDiff,
      wndSize: wnd,
      seqNr,
      ackNr: this.ackNr,
      ...(this.reorder.size > 0 && type !== PacketType.syn ? { sack: this.sackMask() } : {}),
      payload,
    })
  }

  /** Bitmask of out-of-order packets held, bit 0 = ack_nr + 2; 4 bytes, or up to 32 when needed. */
  private sackMask(): Uint8Array {
    let highest = 0
    for (const s of this.reorder.keys()) highest = Math.max(highest, seqDiff(s, this.ackNr) - 2)
    const bytes = Math.min(32, Math.max(4, Math.ceil((highest + 1) / 32) * 4))
    const mask = new Uint8Array(bytes)
    for (const s of this.reorder.keys()) {
      const i = seqDiff(s, this.ackNr) - 2
      if (i >= 0 && i < bytes * 8) mask[i >> 3] |= 1 << (i & 7)
    }
    return mask
  }

  // ---- timers ----

  /** Called every few tens of milliseconds: retransmission timeout, connect timeout, zero-window probe. */
  tick(): void {
    if (this.state === 'closed') return
    const now = this.io.nowMs()
    if (this.state === 'syn-sent' && now - this.startedAt > this.connectTimeoutMs) {
      return this.finish({ code: 'timeout', message: `uTP connect timed out after ${this.connectTimeoutMs} ms` })
    }
    const oldest = this.inflight.get(this.seqUnacked)
    if (oldest && now - oldest.sentAt > this.rtt.rto) {
      this.timeouts++
      if (this.timeouts > this.maxTimeouts) {
        return this.finish({ code: 'timeout', message: 'uTP peer stopped answering' })
      }
      this.rtt.timedOut()
      if (this.state === 'connected') this.cc.onTimeout()
      for (const o of this.inflight.values()) o.resend = o.seq !== oldest.seq
      this.resendMarked = this.inflight.size
      this.resendPacket(oldest, now)
      return
    }
    // the peer's window is shut and nothing is in flight to bring an update: probe with one packet
    if (
      this.state === 'connected' &&
      this.inflight.size === 0 &&
      this.sendQueued > 0 &&
      now - this.lastReceivedMs > this.rtt.rto
    ) {
      this.peerWindow = this.maxPayload
      this.flush()
    }
  }

  private finish(error: Parameters<NonNullable<ConnectionEvents['onClose']>>[0], notify = true): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.inflight.clear()
    this.sendQueue.length = 0
    this.reorder.clear()
    this.onFinish?.()
    if (notify) this.ev.onClose?.(error)
  }
}
