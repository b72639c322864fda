import type { WebSocketLike } from '@tidepool/daemon-bridge'

/** What a Session needs of its client connection: the subset of a `ws` WebSocket it uses. */
export interface SessionSocket {
  readonly readyState: number
  readonly OPEN: number
  /** Bytes sent to the client that it has not received yet. */
  readonly bufferedAmount: number
  send(data: Uint8Array, options: { binary: boolean }): void
  close(code?: number, reason?: string): void
  terminate(): void
  /** A message is one Buffer (`ws`) or the fragments it was sent in (InProcessLink: no joining copy). */
  on(event: 'message', fn: (data: Buffer | Buffer[], isBinary: boolean) => void): unknown
  on(event: 'close' | 'error', fn: () => void): unknown
}

function asBuffer(d: Uint8Array): Buffer {
  return Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength)
}

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3
/** The close code a WebSocket reports when the connection ended without a close handshake. */
const ABNORMAL = 1006

/** A message (one part, or the fragments it was sent in) or the close that ends the direction. */
type Item = { parts: Uint8Array[]; bytes: number } | { close: { code: number; reason: string } }

/**
 * One direction of an in-process link: messages are handed over by reference, in order, one per
 * event-loop task (as a browser or `ws` with allowSynchronousEvents off delivers them), so the bridge
 * protocol's ordering rules hold exactly as over a socket: a handle registered in a microtask after
 * its REPLY never misses the DATA that follows.
 */
class Direction {
  /** Delivered slots are cleared at once: a delivered frame must not keep its read arena alive. */
  private readonly queue: Array<Item | undefined> = []
  private head = 0
  /** Bytes queued and not yet delivered: the sender's `bufferedAmount`. */
  queuedBytes = 0

  constructor(private readonly deliver: (item: Item) => void) {}

  push(item: Item): void {
    this.queue.push(item)
    if ('parts' in item) this.queuedBytes += item.bytes
    setImmediate(this.deliverOne)
  }

  drop(): void {
    this.queue.length = 0
    this.head = 0
    this.queuedBytes = 0
  }

  private readonly deliverOne = (): void => {
    if (this.head >= this.queue.length) return // dropped by terminate
    const item = this.queue[this.head]!
    this.queue[this.head++] = undefined
    if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
    if ('parts' in item) this.queuedBytes -= item.bytes
    this.deliver(item)
  }
}

/**
 * A client and a daemon session in the same process, joined without a socket. The CLI runs its own
 * daemon in-process: through a loopback WebSocket every downloaded byte would cross the kernel twice
 * (daemon → engine as DATA, engine → daemon as a file write), with both ends' TCP work on this one
 * process's thread. The link carries the same protocol frames, so the session still authenticates
 * the client and enforces every limit; only the carrier changes.
 */
export class InProcessLink {
  readonly client: WebSocketLike
  readonly daemon: SessionSocket
  private state = CONNECTING
  private closeSeen = false
  private readonly toDaemon: Direction
  private readonly toClient: Direction
  private readonly daemonHandlers = {
    message: [] as Array<(d: Buffer | Buffer[], b: boolean) => void>,
    close: [] as Array<() => void>,
    error: [] as Array<() => void>,
  }
  private fragments: Uint8Array[] = []

  constructor() {
    const link = this
    this.toDaemon = new Direction((item) => {
      if ('close' in item) return this.finish(item.close.code, item.close.reason)
      if (this.state === CLOSED) return // messages sent before a close still arrive
      const bufs = item.parts.map(asBuffer)
      for (const fn of this.daemonHandlers.message) fn(bufs.length === 1 ? bufs[0]! : bufs, true)
    })
    this.toClient = new Direction((item) => {
      if ('close' in item) return this.finish(item.close.code, item.close.reason)
      if (this.state === CLOSED) return // messages sent before a close still arrive
      client.onmessage?.({ data: item.parts[0] })
    })
    const client: WebSocketLike = {
      binaryType: 'arraybuffer',
      get readyState() {
        return link.state
      },
      get bufferedAmount() {
        return link.toDaemon.queuedBytes
      },
      send(data: Uint8Array | ArrayBuffer, options?: { binary?: boolean; fin?: boolean }, cb?: (err?: Error) => void) {
        // Nothing is copied and the daemon may hold `data` for as long as an operation on it runs, so
        // there is no moment to report "written" at: a client reusing buffers on a callback (send mode
        // 'pool') would corrupt writes. Send mode 'fragments' is the zero-copy path over a link.
        if (cb)
          throw new Error("an in-process link has no write callback: connect with send mode 'fragments', not 'pool'")
        link.clientSend(data instanceof ArrayBuffer ? new Uint8Array(data) : data, options?.fin !== false)
      },
      close(code = 1000, reason = '') {
        link.startClose(code, reason, link.toDaemon)
      },
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
    }
    this.client = client
    // The daemon's end is open from the start, as a server socket is once upgraded: what it sends
    // before the client's open event is delivered after it (that event was scheduled first).
    this.daemon = {
      OPEN,
      get readyState() {
        return link.state === CONNECTING ? OPEN : link.state
      },
      get bufferedAmount() {
        return link.toClient.queuedBytes
      },
      send(data: Uint8Array) {
        if (link.state === OPEN || link.state === CONNECTING)
          link.toClient.push({ parts: [data], bytes: data.byteLength })
      },
      close(code = 1000, reason = '') {
        link.startClose(code, reason, link.toClient)
      },
      terminate() {
        link.terminate()
      },
      on(event: 'message' | 'close' | 'error', fn: (...args: never[]) => void) {
        ;(link.daemonHandlers[event] as Array<typeof fn>).push(fn)
        return this
      },
    }
    // Like a WebSocket, the client is told it is open on a later task, after its handlers are set.
    setImmediate(() => {
      if (this.state !== CONNECTING) return
      this.state = OPEN
      client.onopen?.({})
    })
  }

  /**
   * A message, or one fragment of it (`fin` false). A fragmented message reaches the session as its
   * fragments, not joined: a file write's payload (a piece buffer) is then never copied.
   */
  private clientSend(data: Uint8Array, fin: boolean): void {
    if (this.state !== OPEN) return
    if (!fin) {
      this.fragments.push(data)
      return
    }
    const parts = this.fragments.length === 0 ? [data] : [...this.fragments, data]
    this.fragments = []
    this.toDaemon.push({ parts, bytes: parts.reduce((n, p) => n + p.byteLength, 0) })
  }

  /** A close handshake: the peer receives everything sent before it, then both ends close. */
  private startClose(code: number, reason: string, dir: Direction): void {
    if (this.state === CLOSING || this.state === CLOSED) return
    if (this.state === CONNECTING) return this.terminate()
    this.state = CLOSING
    dir.push({ close: { code, reason } })
  }

  /** The connection ends at once: nothing still queued is delivered. */
  private terminate(): void {
    if (this.state === CLOSED) return
    this.toDaemon.drop()
    this.toClient.drop()
    this.state = CLOSING
    setImmediate(() => this.finish(ABNORMAL, ''))
  }

  private finish(code: number, reason: string): void {
    if (this.closeSeen) return
    this.closeSeen = true
    this.state = CLOSED
    this.toDaemon.drop()
    this.toClient.drop()
    for (const fn of this.daemonHandlers.close) fn()
    this.client.onclose?.({ code, reason })
  }
}
