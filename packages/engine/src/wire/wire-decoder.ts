/**
 * Incremental peer wire decoder: push() received chunks, then call next() until it answers
 * `need-more`. Every length is checked against a per-id limit as soon as the 5-byte header is in,
 * before the body is buffered, so a hostile length never makes us wait for or hold huge data.
 * Piece blocks and payloads are views into the received chunks when contiguous (do not mutate them).
 */
import { STORED_MESSAGE_ID } from '../platform/ports.ts'
import { ChunkQueue } from './chunk-queue.ts'
import { HANDSHAKE_LENGTH, parseHandshake } from './handshake.ts'
import type { Handshake } from './handshake.ts'
import { BLOCK_SIZE, MsgId } from './wire-codec.ts'
import type { DecodeResult, NeedMore, WireErrorCode, WireInvalid, WireMessage } from './wire-codec.ts'

export interface DecoderLimits {
  /** Largest block in a piece message. Default 16 KiB (BEP 3's block size). */
  maxBlockLength: number
  /** Largest extended (id 20) payload. Default 1 MiB. */
  maxExtendedLength: number
  /** Largest bitfield while the piece count is unknown (magnet before metadata). Default 256 KiB. */
  maxUnknownBitfield: number
  /** Largest message with an id we do not know (skipped by the caller). Default 64 KiB. */
  maxUnknownLength: number
}

export const DEFAULT_DECODER_LIMITS: DecoderLimits = {
  maxBlockLength: BLOCK_SIZE,
  maxExtendedLength: 1 << 20,
  maxUnknownBitfield: 256 * 1024,
  maxUnknownLength: 64 * 1024,
}

const FIXED: Record<number, number> = {
  [MsgId.choke]: 1,
  [MsgId.unchoke]: 1,
  [MsgId.interested]: 1,
  [MsgId.notInterested]: 1,
  [MsgId.haveAll]: 1,
  [MsgId.haveNone]: 1,
  [MsgId.have]: 5,
  [MsgId.suggest]: 5,
  [MsgId.allowedFast]: 5,
  [MsgId.request]: 13,
  [MsgId.cancel]: 13,
  [MsgId.reject]: 13,
  [MsgId.port]: 3,
}

const SIMPLE: Record<number, WireMessage> = {
  [MsgId.choke]: { type: 'choke' },
  [MsgId.unchoke]: { type: 'unchoke' },
  [MsgId.interested]: { type: 'interested' },
  [MsgId.notInterested]: { type: 'not-interested' },
  [MsgId.haveAll]: { type: 'have-all' },
  [MsgId.haveNone]: { type: 'have-none' },
}
const KEEP_ALIVE_MSG: WireMessage = { type: 'keep-alive' }

export class WireDecoder {
  readonly limits: DecoderLimits
  private readonly queue = new ChunkQueue()
  private pieceCount: number | null
  private failure: WireInvalid | null = null
  /** A framed stream (the data plane's): id 250 is STORED, not an unknown message. */
  private framed = false

  constructor(opts: { pieceCount?: number | null; limits?: Partial<DecoderLimits> } = {}) {
    this.limits = { ...DEFAULT_DECODER_LIMITS, ...opts.limits }
    this.pieceCount = opts.pieceCount ?? null
  }

  /** Known once metadata is in; enables exact bitfield and index checks. */
  setPieceCount(n: number): void {
    this.pieceCount = n
  }

  /**
   * From now on the bytes are the data plane's framed stream: what was buffered is dropped (the
   * platform delivers it again, framed) and STORED messages parse.
   */
  startFramed(): void {
    this.queue.skip(this.queue.length)
    this.framed = true
  }

  get buffered(): number {
    return this.queue.length
  }

  push(chunk: Uint8Array): void {
    this.queue.push(chunk)
  }

  readHandshake(): { type: 'handshake'; handshake: Handshake } | NeedMore | WireInvalid {
    if (this.failure) return this.failure
    const q = this.queue
    // Fail fast on a wrong first byte instead of waiting for 68 bytes that may never come.
    if (q.length > 0 && q.byteAt(0) !== 19)
      return this.fail('bad-handshake', `bad handshake: protocol string length ${q.byteAt(0)}`)
    if (q.length < HANDSHAKE_LENGTH) return needMore(HANDSHAKE_LENGTH - q.length)
    const r = parseHandshake(q.take(HANDSHAKE_LENGTH))
    if (!r.ok) return this.fail('bad-handshake', r.reason)
    return { type: 'handshake', handshake: r.handshake }
  }

  next(): DecodeResult {
    if (this.failure) return this.failure
    const q = this.queue
    if (q.length < 4) return needMore(4 - q.length)
    const len = q.peekUint32(0) // unsigned: 2^31 and above stay positive
    if (len === 0) {
      q.skip(4)
      return KEEP_ALIVE_MSG
    }
    if (q.length < 5) return needMore(1)
    const id = q.byteAt(4)
    const bad = this.checkLength(id, len)
    if (bad) return bad
    if (q.length < 4 + len) return needMore(4 + len - q.length)
    q.skip(5)
    return this.body(id, len - 1)
  }

  private checkLength(id: number, len: number): WireInvalid | null {
    if (this.framed && id === STORED_MESSAGE_ID)
      return len === 13 ? null : this.fail('bad-length', `STORED has length ${len}, expected 13`)
    const fixedLen = FIXED[id]
    if (fixedLen !== undefined) {
      return len === fixedLen ? null : this.fail('bad-length', `message ${id} has length ${len}, expected ${fixedLen}`)
    }
    let max: number
    let min = 1
    switch (id) {
      case MsgId.piece:
        max = 9 + this.limits.maxBlockLength
        min = 9
        break
      case MsgId.bitfield:
        if (this.pieceCount !== null) {
          const want = 1 + Math.ceil(this.pieceCount / 8)
          return len === want ? null : this.fail('bad-bitfield', `bitfield of ${len - 1} bytes, expected ${want - 1}`)
        }
        max = 1 + this.limits.maxUnknownBitfield
        break
      case MsgId.extended:
        max = 2 + this.limits.maxExtendedLength
        min = 2
        break
      default:
        max = 1 + this.limits.maxUnknownLength
    }
    if (len > max) return this.fail('too-long', `message ${id} of ${len} bytes exceeds ${max}`)
    if (len < min) return this.fail('bad-length', `message ${id} of ${len} bytes is shorter than ${min}`)
    return null
  }

  private body(id: number, n: number): DecodeResult {
    const q = this.queue
    const simple = SIMPLE[id]
    if (simple) return simple
    if (this.framed && id === STORED_MESSAGE_ID) {
      const index = q.takeUint32()
      const begin = q.takeUint32()
      const length = q.takeUint32()
      if (this.pieceCount !== null && index >= this.pieceCount)
        return this.fail('index-out-of-range', `piece index ${index} ≥ ${this.pieceCount}`)
      return { type: 'stored', index, begin, length }
    }
    switch (id) {
      case MsgId.have:
      case MsgId.suggest:
      case MsgId.allowedFast: {
        const index = q.takeUint32()
        if (this.pieceCount !== null && index >= this.pieceCount) {
          return this.fail('index-out-of-range', `piece index ${index} ≥ ${this.pieceCount}`)
        }
        const type = id === MsgId.have ? 'have' : id === MsgId.suggest ? 'suggest' : 'allowed-fast'
        return { type, index }
      }
      case MsgId.request:
      case MsgId.cancel:
      case MsgId.reject: {
        const index = q.takeUint32()
        const begin = q.takeUint32()
        const length = q.takeUint32()
        if (this.pieceCount !== null && index >= this.pieceCount) {
          return this.fail('index-out-of-range', `piece index ${index} ≥ ${this.pieceCount}`)
        }
        const type = id === MsgId.request ? 'request' : id === MsgId.cancel ? 'cancel' : 'reject'
        return { type, index, begin, length }
      }
      case MsgId.piece: {
        const index = q.takeUint32()
        const begin = q.takeUint32()
        if (this.pieceCount !== null && index >= this.pieceCount) {
          q.skip(n - 8)
          return this.fail('index-out-of-range', `piece index ${index} ≥ ${this.pieceCount}`)
        }
        return { type: 'piece', index, begin, block: q.take(n - 8) }
      }
      case MsgId.bitfield: {
        const bits = q.take(n)
        if (this.pieceCount !== null && n > 0) {
          const spare = 8 * n - this.pieceCount
          const mask = spare > 0 ? (1 << spare) - 1 : 0
          if ((bits[n - 1]! & mask) !== 0) return this.fail('bad-bitfield', 'bitfield has spare bits set')
        }
        return { type: 'bitfield', bits }
      }
      case MsgId.port: {
        const hi = q.byteAt(0)
        const lo = q.byteAt(1)
        q.skip(2)
        return { type: 'port', port: (hi << 8) | lo }
      }
      case MsgId.extended: {
        const extId = q.byteAt(0)
        q.skip(1)
        return { type: 'extended', extId, payload: q.take(n - 1) }
      }
      default:
        return { type: 'unknown', id, payload: q.take(n) }
    }
  }

  private fail(code: WireErrorCode, reason: string): WireInvalid {
    this.failure = { type: 'invalid', code, reason }
    return this.failure
  }
}

function needMore(missing: number): NeedMore {
  return { type: 'need-more', missing }
}
