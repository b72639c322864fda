import { FramedReader, IoError, OrderedSender, type Rc4State } from '@tidepool/engine'

/** What a framable socket keeps of what it delivered, until it is framed (docs/daemon-protocol.md §4.8). */
export const RETAIN_BYTES = 256 * 1024

export interface FrameRequest {
  at: number
  cipher?: { decrypt: Rc4State; encrypt: Rc4State }
  store(index: number, begin: number, block: Uint8Array): boolean
}

/**
 * The data-plane side of one framable socket (TCP or uTP): before tcp.frame it keeps a copy of the
 * bytes it delivered (up to RETAIN_BYTES); after, received bytes go through a FramedReader (STORED
 * instead of kept blocks) and writes through an OrderedSender (encrypted, in order with sendBlock).
 */
export class FrameTap {
  private retained: Uint8Array[] = []
  private received = 0
  private overflow = false
  private ended = false
  private reader: FramedReader | null = null
  /** Present once framed: every write of the client and every sendBlock goes through it. */
  sender: OrderedSender | null = null

  constructor(
    /** The peer sent something the reader cannot follow (a message over the limit): close the socket. */
    private readonly onFatal: (e: IoError) => void,
  ) {}

  /** The peer half-closed: its `end` event may already be with the client, ahead of any framed byte. */
  peerEnded(): void {
    this.ended = true
  }

  get framed(): boolean {
    return this.reader !== null
  }

  /**
   * Raw bytes read from the socket (`owned`: nobody else reads or reuses them; otherwise they are
   * copied before being kept or decrypted). Returns what to deliver: the raw bytes before framing,
   * the framed stream after.
   */
  read(chunk: Uint8Array, owned: boolean): Uint8Array {
    if (this.reader) {
      const out = this.reader.push(owned ? chunk : new Uint8Array(chunk)) // a copy: Buffer#slice is a view
      if (this.reader.error) this.onFatal(new IoError('too-large', this.reader.error.message))
      return out
    }
    this.received += chunk.length
    if (this.overflow) return chunk
    if (this.received > RETAIN_BYTES) {
      this.overflow = true
      this.retained = []
    } else this.retained.push(new Uint8Array(chunk)) // always a copy: the client may decrypt what it got in place (the in-process link hands it this very buffer)
    return chunk
  }

  /**
   * Switches to the framed stream. Returns the framed bytes of what was received from `at` on (the
   * caller delivers them after its reply); `sink` takes the socket's outgoing bytes from now on.
   * Throws IoError: `too-large` past the retention cap, `invalid` for a bad `at` or a second frame.
   */
  frame(req: FrameRequest, sink: (bytes: Uint8Array) => void): Uint8Array {
    if (this.reader) throw new IoError('invalid', 'the socket is already framed')
    if (this.ended) throw new IoError('closed', 'the peer half-closed before tcp.frame: the socket stays plain')
    if (this.overflow) throw new IoError('too-large', `more than ${RETAIN_BYTES} bytes were delivered before tcp.frame`)
    if (!Number.isSafeInteger(req.at) || req.at < 0 || req.at > this.received) {
      throw new IoError('invalid', `at ${req.at} is past the ${this.received} bytes received`)
    }
    let reader: FramedReader
    let sender: OrderedSender
    try {
      reader = new FramedReader({ decrypt: req.cipher?.decrypt, store: req.store })
      sender = new OrderedSender(sink, req.cipher?.encrypt)
    } catch (e) {
      throw new IoError('invalid', e instanceof Error ? e.message : String(e))
    }
    // The bytes from `at` on, in one buffer the reader may decrypt in place.
    const rest = new Uint8Array(this.received - req.at)
    let pos = 0
    let skip = req.at
    for (const c of this.retained) {
      const from = Math.min(skip, c.length)
      skip -= from
      rest.set(c.subarray(from), pos)
      pos += c.length - from
    }
    this.retained = []
    this.reader = reader
    this.sender = sender
    return this.read(rest, true)
  }

  close(): void {
    this.retained = []
    this.sender?.close()
  }
}
