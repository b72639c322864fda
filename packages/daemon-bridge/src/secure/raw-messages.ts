import { IoError } from '@tidepool/engine'
import type { WebSocketCtor, WebSocketLike } from '../websocket-like.ts'

export interface RawOpenOptions {
  url: string
  WebSocketImpl?: WebSocketCtor
  /** Origin header (Node only; a browser sends its own). */
  origin?: string
  wsOptions?: Record<string, unknown>
  timeoutMs?: number
  /** 'nodebuffer' (Node `ws` only) delivers messages as Buffers without an ArrayBuffer copy. */
  binaryType?: 'arraybuffer' | 'nodebuffer'
}

/**
 * A WebSocket opened for a handshake: messages are queued until asked for, so the handshake reads
 * them in turn with `next()`. `release()` hands the socket on with its handlers cleared.
 */
export class RawMessages {
  private readonly queue: Uint8Array[] = []
  private waiter: ((m: Uint8Array | IoError) => void) | null = null
  private ended: IoError | null = null

  private constructor(readonly ws: WebSocketLike) {
    ws.onmessage = (ev) => {
      const d = ev.data
      const m = d instanceof ArrayBuffer ? new Uint8Array(d) : d instanceof Uint8Array ? d : new Uint8Array(0)
      if (this.waiter) {
        const w = this.waiter
        this.waiter = null
        w(m)
      } else this.queue.push(m)
    }
    ws.onclose = (ev) => this.end(closeError(ev.code, ev.reason))
    ws.onerror = () => this.end(new IoError('unreachable', 'companion connection failed'))
  }

  static open(opts: RawOpenOptions): Promise<RawMessages> {
    const Impl = opts.WebSocketImpl ?? (globalThis as unknown as { WebSocket?: WebSocketCtor }).WebSocket
    if (!Impl) return Promise.reject(new IoError('unsupported', 'no WebSocket implementation'))
    const nodeOpts: Record<string, unknown> = {
      perMessageDeflate: false,
      maxPayload: 64 * 1024 * 1024,
      ...opts.wsOptions,
    }
    if (opts.origin !== undefined) nodeOpts.origin = opts.origin
    let ws: WebSocketLike
    try {
      ws = new Impl(opts.url, [], nodeOpts)
    } catch (e) {
      return Promise.reject(new IoError('invalid', `bad companion url: ${(e as Error).message}`))
    }
    ws.binaryType = opts.binaryType ?? 'arraybuffer'
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.close()
        reject(new IoError('timeout', `companion at ${opts.url} did not answer in time`))
      }, opts.timeoutMs ?? 10_000)
      ws.onopen = () => {
        clearTimeout(timer)
        resolve(new RawMessages(ws))
      }
      ws.onerror = () => {
        clearTimeout(timer)
        reject(new IoError('unreachable', `cannot reach companion at ${opts.url}`))
      }
      ws.onclose = (ev) => {
        clearTimeout(timer)
        reject(closeError(ev.code, ev.reason))
      }
    })
  }

  next(timeoutMs = 10_000): Promise<Uint8Array> {
    const queued = this.queue.shift()
    if (queued) return Promise.resolve(queued)
    if (this.ended) return Promise.reject(this.ended)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null
        reject(new IoError('timeout', 'companion handshake timed out'))
      }, timeoutMs)
      this.waiter = (m) => {
        clearTimeout(timer)
        if (m instanceof IoError) reject(m)
        else resolve(m)
      }
    })
  }

  send(m: Uint8Array): void {
    this.ws.send(m)
  }

  release(): WebSocketLike {
    this.ws.onmessage = null
    this.ws.onclose = null
    this.ws.onerror = null
    return this.ws
  }

  private end(e: IoError): void {
    this.ended ??= e
    const w = this.waiter
    this.waiter = null
    w?.(e)
  }
}

function closeError(code: number, reason: string): IoError {
  // 4001 is the daemon's refusal (wrong code, closed window, not paired): the reason says which.
  return code === 4001
    ? new IoError('auth', reason || 'refused by the companion')
    : new IoError('closed', `companion closed the connection (${code}${reason ? ` ${reason}` : ''})`)
}
