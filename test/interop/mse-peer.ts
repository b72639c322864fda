// A bare BitTorrent peer over a Node socket for the MSE interop tests: runs one of our MSE handshake
// machines on the socket, then reads and writes length-prefixed messages through the cipher it yields.
// Every wait is bounded.
import type net from 'node:net'
import type { MseInitiator, MseReceiver, MseResult, StreamCipher } from '@tidepool/engine/mse'

export class MsePeerSocket {
  private onBytes: (b: Uint8Array) => void = () => {}
  private buffered: Uint8Array = new Uint8Array(0)
  private wake: (() => void) | null = null
  private ended: string | null = null
  cipher: StreamCipher | null = null
  /** Raw bytes received before the handshake machine took over (incoming: the detection bytes). */
  readonly firstBytes: Uint8Array[] = []

  constructor(readonly socket: net.Socket) {
    socket.on('data', (b: Buffer) => this.onBytes(new Uint8Array(b.buffer, b.byteOffset, b.length)))
    const end = (why: string) => {
      this.ended ??= why
      this.wake?.()
    }
    socket.on('end', () => end('peer closed the connection'))
    socket.on('close', () => end('connection closed'))
    socket.on('error', (e) => end(`socket error: ${e.message}`))
  }

  /** Runs the handshake to its end; `first` is what the initiator sends at once (Ya, PadA). */
  handshake(
    machine: MseInitiator | MseReceiver,
    first: Uint8Array | null,
    timeoutMs: number,
    already: Uint8Array[] = [],
  ): Promise<MseResult> {
    return new Promise<MseResult>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`MSE handshake timed out after ${timeoutMs} ms`)), timeoutMs)
      const fail = (e: Error) => {
        clearTimeout(timer)
        this.onBytes = () => {}
        reject(e)
      }
      if (first) this.socket.write(first)
      this.socket.once('close', () => fail(new Error('connection closed during the MSE handshake')))
      this.onBytes = (b) => {
        const step = machine.push(b)
        if (step.send) this.socket.write(step.send)
        if (step.state === 'failed') return fail(step.error)
        if (step.state !== 'done') return
        clearTimeout(timer)
        this.cipher = step.result.cipher
        this.buffered = step.result.received
        this.onBytes = (more) => this.append(this.cipher!.decrypt(more.slice()))
        resolve(step.result)
      }
      for (const b of already) this.onBytes(b)
    })
  }

  /** Without MSE: bytes are taken as they come. */
  plain(): void {
    this.onBytes = (b) => this.append(b.slice())
  }

  /** Collects raw bytes until `enough` says so (incoming detection), then stops collecting. */
  collect(enough: (all: Uint8Array[]) => boolean, timeoutMs: number): Promise<Uint8Array[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no first bytes')), timeoutMs)
      this.onBytes = (b) => {
        this.firstBytes.push(b.slice())
        if (!enough(this.firstBytes)) return
        clearTimeout(timer)
        this.onBytes = () => {}
        resolve(this.firstBytes)
      }
    })
  }

  /** Sends through the cipher (a copy: the cipher works in place and the caller may share `bytes`). */
  send(bytes: Uint8Array): void {
    this.socket.write(this.cipher ? this.cipher.encrypt(bytes.slice()) : bytes)
  }

  async read(n: number, timeoutMs: number): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs
    while (this.buffered.length < n) {
      if (this.ended) throw new Error(`${this.ended} while waiting for ${n} bytes (have ${this.buffered.length})`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${n} bytes (have ${this.buffered.length})`)
      await new Promise<void>((r) => {
        const t = setTimeout(r, left)
        this.wake = () => {
          clearTimeout(t)
          r()
        }
      })
      this.wake = null
    }
    const out = this.buffered.subarray(0, n)
    this.buffered = this.buffered.subarray(n)
    return out
  }

  /** The next message: id (-1 for keep-alive) and payload. */
  async message(timeoutMs: number): Promise<{ id: number; payload: Uint8Array }> {
    const len = new DataView((await this.read(4, timeoutMs)).slice().buffer).getUint32(0)
    if (len > 1 << 20) throw new Error(`message of ${len} bytes`)
    if (len === 0) return { id: -1, payload: new Uint8Array(0) }
    const body = await this.read(len, timeoutMs)
    return { id: body[0]!, payload: body.subarray(1) }
  }

  /** Reads messages until one with `id` arrives; returns it and the ids seen before it. */
  async until(id: number, timeoutMs: number): Promise<{ payload: Uint8Array; before: number[] }> {
    const deadline = Date.now() + timeoutMs
    const before: number[] = []
    for (let i = 0; i < 1000; i++) {
      const m = await this.message(Math.max(1, deadline - Date.now()))
      if (m.id === id) return { payload: m.payload, before }
      before.push(m.id)
    }
    throw new Error(`no message ${id} in 1000 messages (${before.join(',')})`)
  }

  /** Resolves with how the connection ended, or null if it is still open after timeoutMs. */
  async closedWithin(timeoutMs: number): Promise<string | null> {
    const deadline = Date.now() + timeoutMs
    while (!this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    return this.ended
  }

  private append(b: Uint8Array): void {
    const all = new Uint8Array(this.buffered.length + b.length)
    all.set(this.buffered)
    all.set(b, this.buffered.length)
    this.buffered = all
    this.wake?.()
  }
}
