/**
 * uTP packet codec (BEP 29). Header, 20 bytes, big-endian:
 * type:4 version:4 | extension:8 | connection_id:16 | timestamp_us:32 | timestamp_difference_us:32 |
 * wnd_size:32 | seq_nr:16 | ack_nr:16, then a chain of extensions (type, length, bytes), then payload.
 * Extension 1 is the selective ack: a bitmask of packets received past ack_nr + 1 (bit 0 = ack_nr + 2).
 */

export const PacketType = { data: 0, fin: 1, state: 2, reset: 3, syn: 4 } as const
export type PacketType = (typeof PacketType)[keyof typeof PacketType]

export const HEADER_BYTES = 20
const VERSION = 1
const EXT_SACK = 1

export interface Packet {
  type: PacketType
  connectionId: number
  timestampUs: number
  timestampDiffUs: number
  wndSize: number
  seqNr: number
  ackNr: number
  /** Selective ack bitmask (we send multiples of 4 bytes; libtorrent sends any length), when present. */
  sack?: Uint8Array
  payload: Uint8Array
}

/** Encodes a packet into a new buffer (the one the datagram goes out in). */
export function encodePacket(p: Packet): Uint8Array {
  const sackLen = p.sack ? p.sack.length : 0
  const out = new Uint8Array(HEADER_BYTES + (sackLen ? 2 + sackLen : 0) + p.payload.length)
  const v = new DataView(out.buffer)
  out[0] = (p.type << 4) | VERSION
  out[1] = sackLen ? EXT_SACK : 0
  v.setUint16(2, p.connectionId)
  v.setUint32(4, p.timestampUs >>> 0)
  v.setUint32(8, p.timestampDiffUs >>> 0)
  v.setUint32(12, p.wndSize >>> 0)
  v.setUint16(16, p.seqNr & 0xffff)
  v.setUint16(18, p.ackNr & 0xffff)
  let at = HEADER_BYTES
  if (p.sack && sackLen) {
    out[at] = 0 // no further extension
    out[at + 1] = sackLen
    out.set(p.sack, at + 2)
    at += 2 + sackLen
  }
  out.set(p.payload, at)
  return out
}

/**
 * Decodes one datagram; null when it is not a uTP version 1 packet (other UDP traffic, garbage).
 * The payload is a view of `buf`. Unknown extensions are skipped.
 */
export function decodePacket(buf: Uint8Array): Packet | null {
  if (buf.length < HEADER_BYTES) return null
  const type = buf[0] >> 4
  if ((buf[0] & 0x0f) !== VERSION || type > PacketType.syn) return null
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  let ext = buf[1]
  let at = HEADER_BYTES
  let sack: Uint8Array | undefined
  // each extension costs at least 2 bytes, so this loop ends within the datagram
  while (ext !== 0) {
    if (at + 2 > buf.length) return null
    const next = buf[at]
    const len = buf[at + 1]
    if (at + 2 + len > buf.length) return null
    if (ext === EXT_SACK) {
      // BEP 29 asks for a multiple of 4 bytes, but libtorrent sends any length: take what is there
      if (len > 0) sack = buf.subarray(at + 2, at + 2 + len)
    }
    ext = next
    at += 2 + len
  }
  const p: Packet = {
    type: type as PacketType,
    connectionId: v.getUint16(2),
    timestampUs: v.getUint32(4),
    timestampDiffUs: v.getUint32(8),
    wndSize: v.getUint32(12),
    seqNr: v.getUint16(16),
    ackNr: v.getUint16(18),
    payload: buf.subarray(at),
  }
  if (sack) p.sack = sack
  return p
}
