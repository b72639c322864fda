/**
 * BEP 40 canonical peer priority: a number both ends of a connection compute alike, so that
 * clients agree which connections matter most. crc32-c (Castagnoli) over the two masked
 * addresses in ascending order, or over the two ports when the addresses are equal.
 */
import { parseIp } from './ip-address.ts'

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

export function crc32c(data: Uint8Array, length = data.length): number {
  let c = 0xffffffff
  for (let i = 0; i < length; i++) c = CRC32C_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

// Scratch space: the pool computes a priority for every peer it adds, so avoid allocating.
const A = new Uint8Array(16)
const B = new Uint8Array(16)
const BUF = new Uint8Array(32)

/** Copies ip (ipLen bytes) into dst as `len` bytes (IPv4 widened to IPv4-mapped IPv6). */
function load(dst: Uint8Array, ip: Uint8Array, ipLen: number, len: number): void {
  if (ipLen === len) {
    for (let i = 0; i < len; i++) dst[i] = ip[i]
    return
  }
  dst.fill(0, 0, 10)
  dst[10] = 0xff
  dst[11] = 0xff
  for (let i = 0; i < 4; i++) dst[12 + i] = ip[i]
}

/** BEP 40 priority of the connection between a and b (symmetric). Unparsable input gives 0. */
export function peerPriority(a: { ip: string; port: number }, b: { ip: string; port: number }): number {
  const pa = parseIp(a.ip)
  const pb = parseIp(b.ip)
  if (!pa || !pb) return 0
  return peerPriorityBytes(pa.bytes, a.port, pb.bytes, b.port)
}

/**
 * Masks per BEP 40: IPv4 keeps 2 whole bytes (FF.FF.55.55), one more for each further shared
 * leading byte (same /16 → FF.FF.FF.55, same /24 → whole address); IPv6 starts from 6 whole
 * bytes (FFFF:FFFF:FFFF:5555:...) and widens the same way. The rest is ANDed with 0x55.
 */
export function peerPriorityBytes(ipA: Uint8Array, portA: number, ipB: Uint8Array, portB: number): number {
  return peerPriorityRaw(ipA, ipA.length, portA, ipB, ipB.length, portB)
}

/** As peerPriorityBytes, with explicit address lengths (4 or 16) so callers can pass scratch buffers. */
export function peerPriorityRaw(
  ipA: Uint8Array,
  lenA: number,
  portA: number,
  ipB: Uint8Array,
  lenB: number,
  portB: number,
): number {
  if (lenA === 4 && lenB === 4) return priorityV4(ipA, portA, ipB, portB)
  const len = 16
  load(A, ipA, lenA, len)
  load(B, ipB, lenB, len)
  let common = 0
  while (common < len && A[common] === B[common]) common++
  if (common === len) {
    const lo = Math.min(portA, portB)
    const hi = Math.max(portA, portB)
    BUF[0] = lo >> 8
    BUF[1] = lo & 0xff
    BUF[2] = hi >> 8
    BUF[3] = hi & 0xff
    return crc32c(BUF, 4)
  }
  // Mixed or IPv6 pairs: the IPv6 masks (first 6 bytes whole). IPv4 pairs took the fast path above.
  const whole = Math.min(len, Math.max(6, common + 1))
  // The first differing byte decides the order; it lies inside the unmasked prefix.
  const aFirst = A[common] < B[common]
  const lowOff = aFirst ? 0 : len
  const highOff = aFirst ? len : 0
  for (let i = 0; i < len; i++) {
    const m = i < whole ? 0xff : 0x55
    BUF[lowOff + i] = A[i] & m
    BUF[highOff + i] = B[i] & m
  }
  return crc32c(BUF, 2 * len)
}

/** The IPv4 case without copying: the pool computes this for nearly every peer it adds. */
function priorityV4(a: Uint8Array, portA: number, b: Uint8Array, portB: number): number {
  let common = 0
  while (common < 4 && a[common] === b[common]) common++
  if (common === 4) {
    const lo = Math.min(portA, portB)
    const hi = Math.max(portA, portB)
    let c = 0xffffffff
    c = CRC32C_TABLE[(c ^ (lo >> 8)) & 0xff] ^ (c >>> 8)
    c = CRC32C_TABLE[(c ^ lo) & 0xff] ^ (c >>> 8)
    c = CRC32C_TABLE[(c ^ (hi >> 8)) & 0xff] ^ (c >>> 8)
    c = CRC32C_TABLE[(c ^ hi) & 0xff] ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const whole = Math.max(2, common + 1)
  const [lo, hi] = a[common] < b[common] ? [a, b] : [b, a]
  let c = 0xffffffff
  for (let i = 0; i < 4; i++) c = CRC32C_TABLE[(c ^ (lo[i] & (i < whole ? 0xff : 0x55))) & 0xff] ^ (c >>> 8)
  for (let i = 0; i < 4; i++) c = CRC32C_TABLE[(c ^ (hi[i] & (i < whole ? 0xff : 0x55))) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
