import { concatBytes } from '../util/bytes.ts'
import { HttpError } from './http-error.ts'
import {
  chunkSize,
  contentLength,
  indexOfSeq,
  MAX_HEADER_BYTES,
  parseResponseHead,
  type ResponseHead,
} from './http-parse.ts'

const CRLF = [13, 10]
const MAX_CHUNK_LINE = 1024

export interface ReadResponse {
  status: number
  headers: Map<string, string>
  body: Uint8Array
  /** The connection may carry another request (framed body, no `Connection: close`, nothing extra sent). */
  reusable: boolean
}

type BodyMode = 'none' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailer' | 'eof'

/**
 * Reads one HTTP/1.1 response as bytes arrive, without re-scanning what it has seen: the body is
 * framed by Content-Length, chunked encoding or the connection's end, and capped at `maxBytes`.
 */
export class ResponseReader {
  private head: ResponseHead | null = null
  private headBytes: Uint8Array = new Uint8Array()
  private mode: BodyMode = 'none'
  private remaining = 0
  private pending: Uint8Array = new Uint8Array()
  private readonly parts: Uint8Array[] = []
  private bodyBytes = 0
  private extra = false
  result: ReadResponse | null = null

  constructor(
    private readonly maxBytes: number,
    /** Body bytes as they arrive (rate meters). */
    private readonly onBody?: (n: number) => void,
  ) {}

  /** True once any byte of a response arrived (a reused connection that closes before is just stale). */
  get started(): boolean {
    return this.head !== null || this.headBytes.length > 0
  }

  /** Feeds bytes; returns true once the response is complete. Throws HttpError. */
  push(data: Uint8Array): boolean {
    if (this.result) {
      if (data.length > 0) this.extra = true
      return true
    }
    if (!this.head) {
      this.headBytes = this.headBytes.length ? concatBytes([this.headBytes, data]) : data.slice()
      const head = parseResponseHead(this.headBytes)
      if (!head) {
        if (this.headBytes.length > MAX_HEADER_BYTES) throw new HttpError('bad-response', 'HTTP header too large')
        return false
      }
      this.head = head
      this.startBody(head)
      const rest = this.headBytes.subarray(head.bodyStart)
      this.headBytes = new Uint8Array(1) // marks `started`; the header is parsed
      if (this.mode === 'none') return this.complete(rest.length > 0)
      return this.body(rest)
    }
    return this.body(data)
  }

  /** The server closed the connection; returns true when that completes the response. */
  end(): boolean {
    if (this.result) return true
    if (!this.head) throw new HttpError('bad-response', 'connection closed before the HTTP header ended')
    if (this.mode !== 'eof') throw new HttpError('bad-response', 'connection closed before the body ended')
    return this.complete(false)
  }

  private startBody(head: ResponseHead): void {
    const s = head.status
    if (s === 204 || s === 304 || (s >= 100 && s < 200)) {
      this.mode = 'none'
      return
    }
    const te = head.headers.get('transfer-encoding')?.toLowerCase()
    if (te?.includes('chunked')) {
      this.mode = 'chunk-size'
      return
    }
    const n = contentLength(head)
    if (n !== undefined) {
      if (n > this.maxBytes) throw new HttpError('too-large', `response body of ${n} bytes over ${this.maxBytes}`)
      this.mode = n === 0 ? 'none' : 'length'
      this.remaining = n
      return
    }
    this.mode = 'eof'
  }

  private take(b: Uint8Array): void {
    if (b.length === 0) return
    this.bodyBytes += b.length
    if (this.bodyBytes > this.maxBytes) throw new HttpError('too-large', `response body over ${this.maxBytes} bytes`)
    this.parts.push(b.slice())
    this.onBody?.(b.length)
  }

  private body(data: Uint8Array): boolean {
    let b = this.pending.length ? concatBytes([this.pending, data]) : data
    this.pending = new Uint8Array()
    for (;;) {
      switch (this.mode) {
        case 'eof':
          this.take(b)
          return false
        case 'length': {
          const n = Math.min(this.remaining, b.length)
          this.take(b.subarray(0, n))
          this.remaining -= n
          if (this.remaining > 0) return false
          return this.complete(n < b.length)
        }
        case 'chunk-size': {
          const eol = indexOfSeq(b, CRLF)
          if (eol < 0) {
            if (b.length > MAX_CHUNK_LINE) throw new HttpError('bad-response', 'bad chunk header')
            this.pending = b.slice()
            return false
          }
          const size = chunkSize(b.subarray(0, eol))
          b = b.subarray(eol + 2)
          if (size === 0) this.mode = 'trailer'
          else {
            if (this.bodyBytes + size > this.maxBytes)
              throw new HttpError('too-large', `response body over ${this.maxBytes} bytes`)
            this.mode = 'chunk-data'
            this.remaining = size
          }
          break
        }
        case 'chunk-data': {
          const n = Math.min(this.remaining, b.length)
          this.take(b.subarray(0, n))
          this.remaining -= n
          b = b.subarray(n)
          if (this.remaining > 0) return false
          this.mode = 'chunk-crlf'
          break
        }
        case 'chunk-crlf':
          if (b.length < 2) {
            this.pending = b.slice()
            return false
          }
          if (b[0] !== 13 || b[1] !== 10) throw new HttpError('bad-response', 'chunk not followed by CRLF')
          b = b.subarray(2)
          this.mode = 'chunk-size'
          break
        case 'trailer': {
          // trailer fields are skipped up to the empty line
          const eol = indexOfSeq(b, CRLF)
          if (eol < 0) {
            if (b.length > MAX_CHUNK_LINE) throw new HttpError('bad-response', 'bad chunk trailer')
            this.pending = b.slice()
            return false
          }
          b = b.subarray(eol + 2)
          if (eol === 0) return this.complete(b.length > 0)
          break
        }
        case 'none':
          return this.complete(b.length > 0)
      }
    }
  }

  private complete(extra: boolean): boolean {
    const head = this.head!
    const conn = head.headers.get('connection')?.toLowerCase() ?? ''
    const keepAlive = head.minor === 1 ? !conn.includes('close') : conn.includes('keep-alive')
    this.extra = extra
    this.result = {
      status: head.status,
      headers: head.headers,
      body: this.parts.length === 1 ? this.parts[0]! : concatBytes(this.parts),
      reusable: keepAlive && this.mode !== 'eof' && !extra,
    }
    return true
  }

  /** Bytes came after the response (we never pipeline): the connection cannot be trusted again. */
  get sawExtraBytes(): boolean {
    return this.extra
  }
}
