/**
 * Outgoing bytes of one connection, coalesced: messages queued in one event-loop turn go out as
 * one socket write (up to `maxWriteBytes`, then at once), since every write costs a frame through
 * the daemon bridge. While the socket reports backpressure nothing more is written until drain.
 * Queued buffers are owned by the outbox: callers must not mutate them afterwards.
 * After encryptWith() every frame is encrypted as it is written, once per frame: a frame made of one
 * caller buffer (a shared constant message, a cached block) is copied first, since RC4 works in place.
 */
import type { StreamCipher } from '../mse/stream-cipher.ts'
import type { TcpSocket } from '../platform/ports.ts'

/** A block the platform sends itself (TcpSocket.sendBlock): `send` returns like write(). */
export interface PlatformBlock {
  send: () => boolean
  /** Bytes it puts on the wire (header and block), for the counters. */
  wireBytes: number
}

export class Outbox {
  private parts: Array<Uint8Array | PlatformBlock> = []
  private held = false
  /** Some queued part is a PlatformBlock (the plain path never has one). */
  private hasBlocks = false
  private queued = 0
  private scheduled = false
  private closed = false
  private cipher: StreamCipher | null = null
  /** Queued bytes that were already final when the cipher was set (the end of the MSE handshake). */
  private clearBytes = 0
  /** The socket's write returned false; waiting for onDrain. */
  blocked = false
  bytesOut = 0
  lastWriteAt: number

  constructor(
    private readonly socket: TcpSocket,
    private readonly maxWriteBytes: number,
    private readonly now: () => number,
  ) {
    this.lastWriteAt = now()
  }

  get pending(): number {
    return this.queued
  }

  send(bytes: Uint8Array): void {
    if (this.closed) return
    this.parts.push(bytes)
    this.queued += bytes.length
    if (this.queued >= this.maxWriteBytes) return this.flush()
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => {
        this.scheduled = false
        this.flush()
      })
    }
  }

  /** Queues a block the platform sends (framed sockets only, so never with a cipher). */
  sendBlock(block: PlatformBlock): void {
    if (this.closed) return
    this.parts.push(block)
    this.hasBlocks = true
    // counted whole, so a burst of blocks is handed over (and meets the platform's backpressure)
    // every maxWriteBytes instead of all at the end of the turn
    this.queued += block.wireBytes
    if (this.queued >= this.maxWriteBytes) return this.flush()
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => {
        this.scheduled = false
        this.flush()
      })
    }
  }

  /** Writes nothing until release() (a socket being framed takes no writes). */
  hold(): void {
    this.held = true
  }

  release(): void {
    this.held = false
    this.flush()
  }

  /** The platform encrypts from now on: what is queued goes out as it is. */
  dropCipher(): void {
    this.cipher = null
    this.clearBytes = 0
  }

  /** Encrypts everything queued from now on (bytes already queued go out as they are). */
  encryptWith(cipher: StreamCipher): void {
    this.cipher = cipher.encrypted ? cipher : null
    this.clearBytes = this.queued
  }

  flush(): void {
    if (this.closed || this.queued === 0 || this.blocked || this.held) return
    if (this.hasBlocks) return this.flushWithBlocks()
    const parts = this.parts as Uint8Array[]
    let frame = parts.length === 1 ? parts[0]! : concat(parts, this.queued)
    if (this.cipher && this.clearBytes < frame.length) {
      if (parts.length === 1) frame = frame.slice()
      this.cipher.encrypt(this.clearBytes === 0 ? frame : frame.subarray(this.clearBytes))
    }
    this.clearBytes = 0
    this.parts = []
    this.queued = 0
    this.bytesOut += frame.length
    this.lastWriteAt = this.now()
    if (!this.socket.write(frame)) this.blocked = true
  }

  /** Bytes between platform blocks go out as one write each, the blocks in their place. */
  private flushWithBlocks(): void {
    const parts = this.parts
    this.parts = []
    this.queued = 0
    this.hasBlocks = false
    this.lastWriteAt = this.now()
    let run: Uint8Array[] = []
    let runBytes = 0
    let ok = true
    const writeRun = () => {
      if (runBytes === 0) return
      const frame = run.length === 1 ? run[0]! : concat(run, runBytes)
      this.bytesOut += frame.length
      if (!this.socket.write(frame)) ok = false
      run = []
      runBytes = 0
    }
    for (const p of parts) {
      if (!isBlock(p)) {
        run.push(p)
        runBytes += p.length
        continue
      }
      writeRun()
      this.bytesOut += p.wireBytes
      if (!p.send()) ok = false
    }
    writeRun()
    if (!ok) this.blocked = true
  }

  /** The socket drained: write what waited. */
  drained(): void {
    this.blocked = false
    this.flush()
  }

  close(): void {
    this.closed = true
    this.hasBlocks = false
    this.parts = []
    this.queued = 0
  }
}

function isBlock(p: Uint8Array | PlatformBlock): p is PlatformBlock {
  return !(p instanceof Uint8Array)
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
