/**
 * The receive side of a framed socket: raw wire bytes in (decrypted here when the connection has an
 * MSE/PE cipher), the peer's BitTorrent messages out, except that a `piece` message whose block the
 * store keeps becomes a 17-byte STORED message and a message the peer sent with id 250 is dropped.
 * Pure (no Node/DOM): the daemon runs it per framed socket, the in-memory platform in tests.
 */

import { Rc4 } from '../mse/rc4.ts'
import type { Rc4State } from '../platform/ports.ts'
import { STORED_MESSAGE_ID } from '../platform/ports.ts'

/** BitTorrent's `piece` message id. */
export const PIECE_MESSAGE_ID = 7

/** Bytes of a STORED message: <u32 len=13><u8 250><u32 index><u32 begin><u32 length>. */
export const STORED_MESSAGE_LENGTH = 17

/**
 * Largest message length accepted by default: above the engine decoder's own caps (1 MiB extended
 * messages, a bitfield of a few million pieces), so the reader never refuses what the engine takes.
 */
export const DEFAULT_MAX_MESSAGE = 2 * 1024 * 1024

export interface FramedReaderOptions {
  /** Keystream state at the first byte pushed (MSE/PE); absent: plaintext. */
  decrypt?: Rc4State
  /**
   * A complete `piece` message's block: true when the store kept it (then it must not keep `block`,
   * a view into a buffer reused later, beyond the call: it copies what it keeps).
   */
  store(index: number, begin: number, block: Uint8Array): boolean
  /** A message longer than this (its u32 length prefix) stops the reader with `error` set. */
  maxMessage?: number
}

export class FramedReaderError extends Error {
  readonly code = 'too-large'
  constructor(readonly length: number) {
    super(`peer message of ${length} bytes is over the limit`)
    this.name = 'FramedReaderError'
  }
}

export function storedMessage(index: number, begin: number, length: number): Uint8Array {
  const m = new Uint8Array(STORED_MESSAGE_LENGTH)
  const v = new DataView(m.buffer)
  v.setUint32(0, 13)
  m[4] = STORED_MESSAGE_ID
  v.setUint32(5, index)
  v.setUint32(9, begin)
  v.setUint32(13, length)
  return m
}

export class FramedReader {
  private readonly rc4: Rc4 | null
  private readonly store: FramedReaderOptions['store']
  private readonly maxMessage: number
  /** Bytes of the current message gathered across chunks (header first, then the whole message). */
  private partial = new Uint8Array(0)
  private partialFill = 0
  /** Set once a message was over the limit: the stream cannot be resynchronised, close the socket. */
  error: FramedReaderError | null = null
  /** Counters for stats and tests. */
  stored = 0
  forwarded = 0

  constructor(opts: FramedReaderOptions) {
    this.rc4 = opts.decrypt ? Rc4.fromState(opts.decrypt) : null
    this.store = opts.store
    this.maxMessage = opts.maxMessage ?? DEFAULT_MAX_MESSAGE
  }

  /** Bytes held back waiting for the rest of a message. */
  get buffered(): number {
    return this.partialFill
  }

  /**
   * Takes the next raw bytes (decrypted in place: the caller gives up `chunk`) and returns the bytes
   * to deliver, possibly empty. When a message is over the limit, it returns the messages before it
   * and sets `error`; from then on it returns nothing.
   */
  push(chunk: Uint8Array): Uint8Array {
    if (this.error) return EMPTY
    if (this.rc4) this.rc4.process(chunk)
    const out = new OutputParts()
    let pos = 0
    if (this.partialFill > 0) {
      pos = this.fillPartial(chunk, out)
      if (pos < 0 || this.partialFill > 0) return out.join()
    }
    // Whole messages inside the chunk: forwarded runs are kept as one view.
    let runStart = pos
    while (chunk.length - pos >= 4) {
      const len = readU32(chunk, pos)
      if (len > this.maxMessage) {
        out.push(chunk.subarray(runStart, pos))
        this.fail(len)
        return out.join()
      }
      if (chunk.length - pos - 4 < len) break
      const id = len > 0 ? chunk[pos + 4]! : -1
      if (id === STORED_MESSAGE_ID || (id === PIECE_MESSAGE_ID && len >= 9)) {
        const replacement = this.special(chunk.subarray(pos, pos + 4 + len))
        if (replacement !== null) {
          out.push(chunk.subarray(runStart, pos))
          if (replacement.length > 0) out.push(replacement)
          pos += 4 + len
          runStart = pos
          continue
        }
      }
      this.forwarded++
      pos += 4 + len
    }
    out.push(chunk.subarray(runStart, pos))
    if (pos < chunk.length) this.startPartial(chunk.subarray(pos))
    return out.join()
  }

  /** STORED for a kept block, empty for a peer's id 250, null to forward the message as it is. */
  private special(msg: Uint8Array): Uint8Array | null {
    if (msg[4] === STORED_MESSAGE_ID) return EMPTY
    const index = readU32(msg, 5)
    const begin = readU32(msg, 9)
    const block = msg.subarray(13)
    if (!this.store(index, begin, block)) return null
    this.stored++
    return storedMessage(index, begin, block.length)
  }

  private startPartial(rest: Uint8Array): void {
    // Room for the header now; grown to the whole message once its length is known.
    const size = Math.max(rest.length, 4)
    if (this.partial.length < size) this.partial = new Uint8Array(Math.max(size, 64))
    this.partial.set(rest, 0)
    this.partialFill = rest.length
  }

  /** Adds bytes to the message in progress; returns how many of `chunk` it used, -1 on failure. */
  private fillPartial(chunk: Uint8Array, out: OutputParts): number {
    let pos = 0
    if (this.partialFill < 4) {
      const n = Math.min(4 - this.partialFill, chunk.length)
      this.partial.set(chunk.subarray(0, n), this.partialFill)
      this.partialFill += n
      pos = n
      if (this.partialFill < 4) return pos
    }
    const len = readU32(this.partial, 0)
    if (len > this.maxMessage) {
      this.fail(len)
      return -1
    }
    const total = 4 + len
    if (this.partial.length < total) {
      const grown = new Uint8Array(total)
      grown.set(this.partial.subarray(0, this.partialFill))
      this.partial = grown
    }
    const n = Math.min(total - this.partialFill, chunk.length - pos)
    this.partial.set(chunk.subarray(pos, pos + n), this.partialFill)
    this.partialFill += n
    pos += n
    if (this.partialFill < total) return pos
    // Complete: the buffer is reused for the next partial message, so what is forwarded is a copy.
    const msg = this.partial.subarray(0, total)
    this.partialFill = 0
    const id = len > 0 ? msg[4]! : -1
    const replacement = id === STORED_MESSAGE_ID || (id === PIECE_MESSAGE_ID && len >= 9) ? this.special(msg) : null
    if (replacement !== null) {
      if (replacement.length > 0) out.push(replacement)
    } else {
      this.forwarded++
      out.push(msg.slice())
    }
    // Large buffers (a 1 MiB extended message) are not kept around for 17-byte headers.
    if (this.partial.length > 64 * 1024) this.partial = new Uint8Array(0)
    return pos
  }

  private fail(len: number): void {
    this.error = new FramedReaderError(len)
    this.partialFill = 0
  }
}

const EMPTY = new Uint8Array(0)

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
}

/** Output of one push: views joined into one buffer only when there is more than one. */
class OutputParts {
  private parts: Uint8Array[] = []
  private size = 0

  push(p: Uint8Array): void {
    if (p.length === 0) return
    this.parts.push(p)
    this.size += p.length
  }

  join(): Uint8Array {
    if (this.parts.length === 0) return EMPTY
    if (this.parts.length === 1) return this.parts[0]!
    const out = new Uint8Array(this.size)
    let at = 0
    for (const p of this.parts) {
      out.set(p, at)
      at += p.length
    }
    return out
  }
}
