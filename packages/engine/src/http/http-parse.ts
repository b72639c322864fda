import { concatBytes, utf8Decode } from '../util/bytes.ts'
import { HttpError } from './http-error.ts'

/** HTTP/1.1 response framing shared by the tracker client and the web-seed agent. */

export const MAX_HEADER_BYTES = 64 * 1024
const CRLFCRLF = [13, 10, 13, 10]

export function indexOfSeq(b: Uint8Array, seq: readonly number[], from = 0): number {
  outer: for (let i = from; i + seq.length <= b.length; i++) {
    for (let j = 0; j < seq.length; j++) if (b[i + j] !== seq[j]) continue outer
    return i
  }
  return -1
}

/** SNI carries host names only (RFC 6066). */
export function isIpLiteral(host: string): boolean {
  return host.includes(':') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host)
}

export interface ResponseHead {
  status: number
  /** 1.0 or 1.1 */
  minor: number
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Map<string, string>
  /** Offset of the body in the bytes parsed. */
  bodyStart: number
}

/** Parses a status line and headers; null while the header has not ended. */
export function parseResponseHead(b: Uint8Array): ResponseHead | null {
  const end = indexOfSeq(b, CRLFCRLF)
  if (end < 0) {
    if (b.length > MAX_HEADER_BYTES) throw new HttpError('bad-response', 'HTTP header too large')
    return null
  }
  if (end > MAX_HEADER_BYTES) throw new HttpError('bad-response', 'HTTP header too large')
  const lines = utf8Decode(b.subarray(0, end)).split('\r\n')
  const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0]!)
  if (!m) throw new HttpError('bad-response', `not an HTTP response: ${JSON.stringify(lines[0]!.slice(0, 60))}`)
  const status = Number(m[2])
  if (status < 100 || status > 599) throw new HttpError('bad-response', `HTTP status ${m[2]} out of range`)
  const headers = new Map<string, string>()
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':')
    if (c <= 0) continue
    const name = line.slice(0, c).trim().toLowerCase()
    const value = line.slice(c + 1).trim()
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value)
  }
  return { status, minor: Number(m[1]), headers, bodyStart: end + 4 }
}

/** A Content-Length value, or throws on a malformed one. */
export function contentLength(head: ResponseHead): number | undefined {
  const cl = head.headers.get('content-length')
  if (cl === undefined) return undefined
  if (!/^\d{1,15}$/.test(cl)) throw new HttpError('bad-response', 'bad Content-Length')
  return Number(cl)
}

/** Decodes a whole chunked body; null while incomplete. */
export function decodeChunked(b: Uint8Array, maxBytes: number): Uint8Array | null {
  const parts: Uint8Array[] = []
  let total = 0
  let p = 0
  for (;;) {
    const eol = indexOfSeq(b, [13, 10], p)
    if (eol < 0) {
      if (b.length - p > 1024) throw new HttpError('bad-response', 'bad chunk header')
      return null
    }
    const size = chunkSize(b.subarray(p, eol))
    p = eol + 2
    if (size === 0) return concatBytes(parts) // trailers are ignored
    total += size
    if (total > maxBytes) throw new HttpError('too-large', `response body over ${maxBytes} bytes`)
    if (p + size + 2 > b.length) return null
    parts.push(b.subarray(p, p + size))
    p += size + 2
  }
}

/** The size on a chunk-size line (extensions after ';' ignored). */
export function chunkSize(line: Uint8Array): number {
  const sizeText = utf8Decode(line).split(';')[0]!.trim()
  if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new HttpError('bad-response', 'bad chunk size')
  return parseInt(sizeText, 16)
}
