/**
 * The one frame codec both sides use: `u8 kind | u32 id | u16 op | u32 metaLen | meta JSON | payload`,
 * big-endian. Decoding returns views into the message (no copies).
 */
import { concatBytes } from '@tidepool/engine'

export const HEADER_BYTES = 11

export interface Frame {
  kind: number
  id: number
  op: number
  /** Parsed meta JSON object ({} when metaLen is 0). */
  meta: Record<string, unknown>
  payload: Uint8Array
}

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; reason: string; id: number; op: number }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const EMPTY = new Uint8Array(0)

/** Writes the 11-byte header into `buf` at `at`. */
export function writeHeader(buf: Uint8Array, at: number, kind: number, id: number, op: number, metaLen: number): void {
  const v = new DataView(buf.buffer, buf.byteOffset + at, HEADER_BYTES)
  v.setUint8(0, kind)
  v.setUint32(1, id >>> 0)
  v.setUint16(5, op)
  v.setUint32(7, metaLen)
}

/** Encodes a whole frame into one new buffer. `meta` undefined → metaLen 0. */
export function encodeFrame(kind: number, id: number, op: number, meta?: object, payload?: Uint8Array): Uint8Array {
  const metaBytes = meta === undefined ? EMPTY : encoder.encode(JSON.stringify(meta))
  const body = payload ?? EMPTY
  const out = new Uint8Array(HEADER_BYTES + metaBytes.length + body.length)
  writeHeader(out, 0, kind, id, op, metaBytes.length)
  out.set(metaBytes, HEADER_BYTES)
  out.set(body, HEADER_BYTES + metaBytes.length)
  return out
}

/** Encodes a whole frame into `out` (which must be large enough); returns its length. */
export function encodeFrameInto(
  out: Uint8Array,
  kind: number,
  id: number,
  op: number,
  meta: object | undefined,
  payload: Uint8Array,
): number {
  const metaBytes = meta === undefined ? EMPTY : encoder.encode(JSON.stringify(meta))
  const n = HEADER_BYTES + metaBytes.length + payload.length
  if (n > out.length) throw new RangeError('frame larger than its buffer')
  writeHeader(out, 0, kind, id, op, metaBytes.length)
  out.set(metaBytes, HEADER_BYTES)
  out.set(payload, HEADER_BYTES + metaBytes.length)
  return n
}

/** Decodes one WebSocket message. Never throws. */
export function decodeFrame(msg: Uint8Array): DecodeResult {
  if (msg.length < HEADER_BYTES) return { ok: false, reason: 'frame shorter than header', id: 0, op: 0 }
  const v = new DataView(msg.buffer, msg.byteOffset, HEADER_BYTES)
  const kind = v.getUint8(0)
  const id = v.getUint32(1)
  const op = v.getUint16(5)
  const metaLen = v.getUint32(7)
  if (metaLen > msg.length - HEADER_BYTES) return { ok: false, reason: 'metaLen past end of frame', id, op }
  let meta: Record<string, unknown> = {}
  if (metaLen > 0) {
    let parsed: unknown
    try {
      parsed = JSON.parse(decoder.decode(msg.subarray(HEADER_BYTES, HEADER_BYTES + metaLen)))
    } catch {
      return { ok: false, reason: 'meta is not UTF-8 JSON', id, op }
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { ok: false, reason: 'meta is not a JSON object', id, op }
    }
    meta = parsed as Record<string, unknown>
  }
  return { ok: true, frame: { kind, id, op, meta, payload: msg.subarray(HEADER_BYTES + metaLen) } }
}

/**
 * Decodes a message that arrives as fragments (`ws` binaryType 'fragments', or an in-process link):
 * when the first fragment is exactly the header and meta, the payload is the rest without a copy
 * (one fragment: as is). Otherwise the fragments are joined first.
 */
export function decodeFrameParts(parts: readonly Uint8Array[]): DecodeResult {
  if (parts.length === 1) return decodeFrame(parts[0]!)
  const head = parts[0]
  if (head && head.length >= HEADER_BYTES) {
    const metaLen = new DataView(head.buffer, head.byteOffset, HEADER_BYTES).getUint32(7)
    if (HEADER_BYTES + metaLen === head.length) {
      const r = decodeFrame(head)
      if (r.ok) r.frame.payload = parts.length === 2 ? parts[1]! : concatBytes(parts.slice(1))
      return r
    }
  }
  return decodeFrame(concatBytes(parts))
}

/** CREDIT payload: u32 BE byte count. */
export function encodeCredit(handle: number, bytes: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + 4)
  writeHeader(out, 0, 6, handle, 0, 0)
  new DataView(out.buffer).setUint32(HEADER_BYTES, bytes >>> 0)
  return out
}

export function readCredit(payload: Uint8Array): number | null {
  if (payload.length !== 4) return null
  return new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0)
}
