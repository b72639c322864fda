/**
 * The 68-byte BitTorrent handshake (BEP 3): <19>"BitTorrent protocol"<8 reserved><20 info-hash><20 peer id>.
 * Reserved bits we use: extension protocol (BEP 10) 0x10 in reserved[5], fast extension (BEP 6) 0x04
 * in reserved[7], DHT (BEP 5) 0x01 in reserved[7].
 */

export const HANDSHAKE_LENGTH = 68
const PSTR = 'BitTorrent protocol'

export interface HandshakeFlags {
  extended?: boolean
  fast?: boolean
  dht?: boolean
}

export interface Handshake {
  reserved: Uint8Array // 8 bytes
  infoHash: Uint8Array // 20 bytes
  peerId: Uint8Array // 20 bytes
  extended: boolean
  fast: boolean
  dht: boolean
}

export type HandshakeResult = { ok: true; handshake: Handshake } | { ok: false; reason: string }

export function encodeHandshake(infoHash: Uint8Array, peerId: Uint8Array, flags: HandshakeFlags = {}): Uint8Array {
  if (infoHash.length !== 20 || peerId.length !== 20) throw new RangeError('info-hash and peer id must be 20 bytes')
  const out = new Uint8Array(HANDSHAKE_LENGTH)
  out[0] = PSTR.length
  for (let i = 0; i < PSTR.length; i++) out[1 + i] = PSTR.charCodeAt(i)
  if (flags.extended) out[20 + 5]! |= 0x10
  if (flags.fast) out[20 + 7]! |= 0x04
  if (flags.dht) out[20 + 7]! |= 0x01
  out.set(infoHash, 28)
  out.set(peerId, 48)
  return out
}

/** Parses exactly 68 bytes. Copies the fields so the caller's buffer can be reused. */
export function parseHandshake(bytes: Uint8Array): HandshakeResult {
  if (bytes.length !== HANDSHAKE_LENGTH) return { ok: false, reason: `handshake must be 68 bytes, got ${bytes.length}` }
  if (bytes[0] !== PSTR.length) return { ok: false, reason: `bad handshake: protocol string length ${bytes[0]}` }
  for (let i = 0; i < PSTR.length; i++) {
    if (bytes[1 + i] !== PSTR.charCodeAt(i)) return { ok: false, reason: 'bad handshake: protocol string' }
  }
  const reserved = bytes.slice(20, 28)
  return {
    ok: true,
    handshake: {
      reserved,
      infoHash: bytes.slice(28, 48),
      peerId: bytes.slice(48, 68),
      extended: (reserved[5]! & 0x10) !== 0,
      fast: (reserved[7]! & 0x04) !== 0,
      dht: (reserved[7]! & 0x01) !== 0,
    },
  }
}
