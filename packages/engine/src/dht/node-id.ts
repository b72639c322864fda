/**
 * 160-bit DHT node ids (BEP 5) as 20-byte Uint8Arrays: XOR distance, bucket ranges, and BEP 42 secure
 * ids, which tie the first 21 bits of an id to the node's IP so one host cannot pick ids at will.
 */
import { parseIPv4, parseIPv6 } from '../util/peer-address.ts'

export type NodeId = Uint8Array

export const ID_BYTES = 20
export const ID_BITS = 160

/** A random source in [0, 1); tests and the simulator pass a seeded one. */
export type Random = () => number

export function randomId(rnd?: Random): NodeId {
  const id = new Uint8Array(ID_BYTES)
  if (rnd) for (let i = 0; i < ID_BYTES; i++) id[i] = Math.floor(rnd() * 256)
  else crypto.getRandomValues(id)
  return id
}

export function isNodeId(b: unknown): b is NodeId {
  return b instanceof Uint8Array && b.length === ID_BYTES
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Lower-case hex, for people and saved state. */
export function idToHex(id: NodeId): string {
  let s = ''
  for (let i = 0; i < id.length; i++) s += HEX[id[i]]
  return s
}

/** A compact map key for an id (one 20-character string, no intermediate strings). */
export function idKey(id: NodeId): string {
  return String.fromCharCode.apply(null, id as unknown as number[])
}

export function xorDistance(a: NodeId, b: NodeId): Uint8Array {
  const out = new Uint8Array(ID_BYTES)
  for (let i = 0; i < ID_BYTES; i++) out[i] = a[i] ^ b[i]
  return out
}

/** Negative when `a` is closer to `target` than `b`, 0 when equally close (a == b), positive otherwise. */
export function compareDistance(target: NodeId, a: NodeId, b: NodeId): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const da = a[i] ^ target[i]
    const db = b[i] ^ target[i]
    if (da !== db) return da - db
  }
  return 0
}

/** Number of leading bits `a` and `b` share (160 when equal). */
export function commonPrefixBits(a: NodeId, b: NodeId): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const x = a[i] ^ b[i]
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return ID_BITS
}

/** log2 of the XOR distance: the index (0 = lowest) of its highest set bit, -1 when the ids are equal. */
export function distanceExp(a: NodeId, b: NodeId): number {
  return ID_BITS - 1 - commonPrefixBits(a, b)
}

/**
 * A random id sharing exactly `prefixBits` leading bits with `own` (the next bit differs), i.e. one
 * that falls into the bucket at that depth. `prefixBits` = 160 returns `own` itself.
 */
export function randomIdWithPrefix(own: NodeId, prefixBits: number, rnd?: Random): NodeId {
  const id = randomId(rnd)
  if (prefixBits >= ID_BITS) return own.slice()
  const whole = prefixBits >> 3
  for (let i = 0; i < whole; i++) id[i] = own[i]
  const rest = prefixBits & 7
  // Keep the top `rest` bits of the byte from `own`, flip the bit after them, randomise the others.
  const keep = (0xff00 >> rest) & 0xff
  const flip = 0x80 >> rest
  id[whole] = (own[whole] & keep) | (~own[whole] & flip) | (id[whole] & ~(keep | flip) & 0xff)
  return id
}

// ---- CRC32-C (Castagnoli), which BEP 42 uses --------------------------------------------------

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

// ---- BEP 42 -----------------------------------------------------------------------------------

const V4_MASK = [0x03, 0x0f, 0x3f, 0xff]
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff]

function ipBytes(ip: string): Uint8Array | null {
  return parseIPv4(ip) ?? parseIPv6(ip)
}

/** The CRC32-C BEP 42 derives from an address (4 or 16 bytes) and the 3-bit `r`. */
function secureCrc(ip: Uint8Array, r: number): number {
  const mask = ip.length === 4 ? V4_MASK : V6_MASK
  const masked = new Uint8Array(mask.length)
  for (let i = 0; i < mask.length; i++) masked[i] = ip[i] & mask[i]
  masked[0] |= (r & 7) << 5
  return crc32c(masked)
}

/**
 * Addresses BEP 42 exempts: a node behind them cannot know its public address, so their ids are
 * never judged. IPv4 private, loopback and link-local ranges; IPv6 loopback, link-local and ULA.
 */
export function isBep42Exempt(ip: string): boolean {
  const b = ipBytes(ip)
  if (!b) return true
  if (b.length === 4) {
    return (
      b[0] === 10 ||
      b[0] === 127 ||
      (b[0] === 172 && (b[1] & 0xf0) === 16) ||
      (b[0] === 192 && b[1] === 168) ||
      (b[0] === 169 && b[1] === 254)
    )
  }
  const loopback = b.subarray(0, 15).every((x) => x === 0) && b[15] === 1
  return loopback || (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) || (b[0] & 0xfe) === 0xfc
}

/** A secure id for our external `ip` (IPv4 or IPv6 text); null when the text is no address. */
export function secureNodeId(ip: string, rnd?: Random): NodeId | null {
  const b = ipBytes(ip)
  if (!b) return null
  const id = randomId(rnd)
  const r = id[19] & 7
  const crc = secureCrc(b, r)
  id[0] = (crc >>> 24) & 0xff
  id[1] = (crc >>> 16) & 0xff
  id[2] = ((crc >>> 8) & 0xf8) | (id[2] & 7)
  return id
}

/** Whether `id` is a valid BEP 42 id for `ip` (always true for exempt addresses). */
export function isSecureNodeId(id: NodeId, ip: string): boolean {
  if (isBep42Exempt(ip)) return true
  const b = ipBytes(ip)
  if (!b || id.length !== ID_BYTES) return false
  const crc = secureCrc(b, id[19] & 7)
  return id[0] === ((crc >>> 24) & 0xff) && id[1] === ((crc >>> 16) & 0xff) && (id[2] & 0xf8) === ((crc >>> 8) & 0xf8)
}
