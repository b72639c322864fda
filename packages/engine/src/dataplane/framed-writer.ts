/**
 * The send side of a framed socket: the engine's plaintext writes and the `piece` messages the
 * platform builds for sendBlock go out in the order they were asked for, encrypted with the
 * connection's RC4 when it has one. Pure: the daemon and the in-memory platform both use it.
 */

import { Rc4 } from '../mse/rc4.ts'
import type { Rc4State } from '../platform/ports.ts'
import { PIECE_MESSAGE_ID } from './framed-reader.ts'

/** <u32 len><u8 7><u32 index><u32 begin>, the bytes before a piece message's block. */
export const PIECE_HEADER_LENGTH = 13

/** The 13 bytes before a `piece` message's block (the wire codec's, for the daemon's uploads). */
export { encodePieceHeader } from '../wire/wire-codec.ts'

/**
 * One buffer for a whole `piece` message: the header filled in, `block` the view to read the file
 * bytes into (so the message is sent without another copy).
 */
export function blockMessage(index: number, begin: number, length: number): { message: Uint8Array; block: Uint8Array } {
  const message = new Uint8Array(PIECE_HEADER_LENGTH + length)
  const v = new DataView(message.buffer)
  v.setUint32(0, 9 + length)
  message[4] = PIECE_MESSAGE_ID
  v.setUint32(5, index)
  v.setUint32(9, begin)
  return { message, block: message.subarray(PIECE_HEADER_LENGTH) }
}

/**
 * Keeps a write order across bytes that are ready now and blocks still being read: each entry goes
 * to `sink` (encrypted there if the stream has a cipher) once everything before it has gone.
 */
export class OrderedSender {
  private readonly rc4: Rc4 | null
  private readonly queue: Array<{
    bytes: Uint8Array | null
    /** A block after `bytes` that is not ours to change (writePieceLater). */
    shared?: Uint8Array | null
    ready: boolean
    after?: () => void
  }> = []
  private closed = false

  /** `encrypt`: keystream state for the next byte sent (absent: plaintext). */
  constructor(
    private readonly sink: (bytes: Uint8Array) => void,
    encrypt?: Rc4State,
  ) {
    this.rc4 = encrypt ? Rc4.fromState(encrypt) : null
  }

  /** Entries waiting behind a block still being read. */
  get pending(): number {
    return this.queue.length
  }

  /**
   * Plaintext to send. With a cipher, `owned` bytes are encrypted in place (the caller gives them
   * up); others are encrypted into a copy, so a buffer the sender reuses is never changed.
   */
  write(bytes: Uint8Array, owned = false): void {
    if (this.closed || bytes.length === 0) return
    const b = this.rc4 && !owned ? bytes.slice() : bytes
    if (this.queue.length === 0) this.emit(b)
    else this.queue.push({ bytes: b, ready: true })
  }

  /** Runs `fn` once everything queued so far has gone to the sink (at once when nothing waits). */
  afterQueued(fn: () => void): void {
    if (this.closed) return
    if (this.queue.length === 0) fn()
    else this.queue.push({ bytes: null, ready: true, after: fn })
  }

  /**
   * A message whose bytes come later (a block read from the files; owned, encrypted in place); null
   * or a rejection sends nothing for it (the caller reports the read error), and the entries after
   * it go on.
   */
  writeLater(bytes: Promise<Uint8Array | null>): void {
    if (this.closed) return
    const entry: { bytes: Uint8Array | null; ready: boolean } = { bytes: null, ready: false }
    this.queue.push(entry)
    const settle = (b: Uint8Array | null): void => {
      entry.bytes = b
      entry.ready = true
      this.flush()
    }
    bytes.then(settle, () => settle(null))
  }

  /**
   * A `piece` message whose block is a view of a buffer others read too (the daemon's cache of
   * whole pieces): on a plain stream the header and the block go to the sink as they are, no copy;
   * with a cipher they are encrypted as one copy. A null block or a rejection sends nothing.
   */
  writePieceLater(header: Uint8Array, block: Promise<Uint8Array | null>): void {
    if (this.closed) return
    const entry: { bytes: Uint8Array | null; shared: Uint8Array | null; ready: boolean } = {
      bytes: null,
      shared: null,
      ready: false,
    }
    this.queue.push(entry)
    const settle = (b: Uint8Array | null): void => {
      if (b) {
        entry.bytes = header
        entry.shared = b
      }
      entry.ready = true
      this.flush()
    }
    block.then(settle, () => settle(null))
  }

  /** Drops everything queued; later writes are ignored. */
  close(): void {
    this.closed = true
    this.queue.length = 0
  }

  private flush(): void {
    while (!this.closed && this.queue.length > 0 && this.queue[0]!.ready) {
      const e = this.queue.shift()!
      if (e.shared) this.emitShared(e.bytes!, e.shared)
      else if (e.bytes && e.bytes.length > 0) this.emit(e.bytes)
      e.after?.()
    }
  }

  private emitShared(header: Uint8Array, block: Uint8Array): void {
    if (!this.rc4) {
      this.sink(header)
      this.sink(block)
      return
    }
    const m = new Uint8Array(header.length + block.length)
    m.set(header)
    m.set(block, header.length)
    this.emit(m)
  }

  private emit(bytes: Uint8Array): void {
    if (this.rc4) this.rc4.process(bytes)
    this.sink(bytes)
  }
}
