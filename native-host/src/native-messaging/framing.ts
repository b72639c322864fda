/**
 * Chrome native-messaging framing: a 4-byte length in native byte order (little-endian on every
 * platform Chrome ships on) followed by that many bytes of UTF-8 JSON.
 */

/** Chrome refuses host→extension messages above 1 MB. */
export const MAX_HOST_MESSAGE = 1024 * 1024
/** We only expect small requests; Chrome itself allows 64 MiB extension→host. */
export const MAX_INCOMING_MESSAGE = 1024 * 1024

export function encodeFrame(msg: unknown, max = MAX_HOST_MESSAGE): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(msg))
  if (body.length > max) throw new Error(`native message of ${body.length} bytes exceeds ${max}`)
  const out = new Uint8Array(4 + body.length)
  new DataView(out.buffer).setUint32(0, body.length, true)
  out.set(body, 4)
  return out
}

/** Incremental decoder: push() chunks as they arrive, get whole messages back. */
export class FrameReader {
  private buf = new Uint8Array(0)

  constructor(private readonly max = MAX_INCOMING_MESSAGE) {}

  /** Returns every complete message in the buffered bytes; throws on an oversized or non-JSON frame. */
  push(chunk: Uint8Array): unknown[] {
    const joined = new Uint8Array(this.buf.length + chunk.length)
    joined.set(this.buf, 0)
    joined.set(chunk, this.buf.length)
    const out: unknown[] = []
    let off = 0
    const view = new DataView(joined.buffer)
    while (joined.length - off >= 4) {
      const len = view.getUint32(off, true)
      if (len > this.max) throw new Error(`native message of ${len} bytes exceeds ${this.max}`)
      if (joined.length - off - 4 < len) break
      const text = new TextDecoder('utf-8', { fatal: true }).decode(joined.subarray(off + 4, off + 4 + len))
      out.push(JSON.parse(text))
      off += 4 + len
    }
    this.buf = joined.slice(off)
    return out
  }

  /** Bytes of an unfinished frame still buffered. */
  get pending(): number {
    return this.buf.length
  }
}
