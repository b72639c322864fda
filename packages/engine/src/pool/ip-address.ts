/**
 * A small, pure IP address parser and canonicaliser (no Node `net`): the pool keys peers by
 * "ip:port", so two spellings of one IPv6 address must map to one key.
 */

export interface ParsedIp {
  family: 4 | 6
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
  text: string
}

/** Reads a strict dotted quad into out[at..at+4]. Hand-rolled: it runs for every peer we hear of. */
function parseIpv4Parts(s: string, out: Uint8Array, at: number): boolean {
  let part = 0
  let value = 0
  let digits = 0
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46 // a virtual '.' ends the last part
    if (c === 46) {
      if (digits === 0 || part > 3) return false
      out[at + part++] = value
      value = 0
      digits = 0
    } else if (c >= 48 && c <= 57) {
      // No leading zeros: "010" is octal to some parsers and decimal to others.
      if (digits === 1 && value === 0) return false
      value = value * 10 + (c - 48)
      if (++digits > 3 || value > 255) return false
    } else return false
  }
  return part === 4
}

const GROUPS = new Array<number>(8).fill(0)
const V4 = new Uint8Array(4)

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** Hand-rolled IPv6 parser (:: compression, trailing dotted quad) writing 16 bytes into out. */
function parseIpv6Into(s: string, out: Uint8Array): boolean {
  const len = s.length
  let n = 0 // groups read
  let dc = -1 // groups before '::', -1 when there is none
  let i = 0
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false
    dc = 0
    i = 2
  }
  while (i < len) {
    const start = i
    let v = 0
    let digits = 0
    for (; i < len; i++) {
      const h = hexValue(s.charCodeAt(i))
      if (h < 0) break
      v = v * 16 + h
      if (++digits > 4) return false
    }
    if (i < len && s.charCodeAt(i) === 46) {
      // Embedded IPv4: the rest of the string, worth two groups.
      if (n > 6 || !parseIpv4Parts(s.slice(start), V4, 0)) return false
      GROUPS[n++] = (V4[0] << 8) | V4[1]
      GROUPS[n++] = (V4[2] << 8) | V4[3]
      i = len
      break
    }
    if (digits === 0 || n >= 8) return false
    GROUPS[n++] = v
    if (i === len) break
    if (s.charCodeAt(i) !== 58) return false
    i++
    if (i < len && s.charCodeAt(i) === 58) {
      if (dc >= 0) return false
      dc = n
      i++
    } else if (i === len) return false // a single trailing ':'
  }
  if (dc < 0 ? n !== 8 : n > 7) return false
  const gap = 8 - n
  for (let g = 0, src = 0; g < 8; g++) {
    const val = dc >= 0 && g >= dc && g < dc + gap ? 0 : GROUPS[src++]
    out[2 * g] = val >> 8
    out[2 * g + 1] = val & 0xff
  }
  return true
}

export function formatIpv6(bytes: Uint8Array): string {
  // RFC 5952: compress the longest run of two or more zero groups (the first one on a tie).
  let bestAt = -1
  let bestLen = 1
  for (let g = 0; g < 8; ) {
    if (bytes[2 * g] !== 0 || bytes[2 * g + 1] !== 0) {
      g++
      continue
    }
    let j = g
    while (j < 8 && bytes[2 * j] === 0 && bytes[2 * j + 1] === 0) j++
    if (j - g > bestLen) {
      bestAt = g
      bestLen = j - g
    }
    g = j
  }
  let out = ''
  for (let g = 0; g < 8; g++) {
    if (g === bestAt) {
      out += '::'
      g += bestLen - 1
      continue
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':'
    out += ((bytes[2 * g] << 8) | bytes[2 * g + 1]).toString(16)
  }
  return out
}

/** Reusable parse result, so hot paths (the pool adds every peer it hears of) do not allocate. */
export interface IpScratch {
  family: 4 | 6
  /** 16 bytes; an IPv4 address is in the first 4. */
  bytes: Uint8Array
  text: string
}

export function newIpScratch(): IpScratch {
  return { family: 4, bytes: new Uint8Array(16), text: '' }
}

/**
 * Parses an IPv4 or IPv6 address (brackets allowed around IPv6) into `out`. IPv4-mapped IPv6
 * (::ffff:a.b.c.d) becomes the plain IPv4 address, since it is the same peer.
 * Returns false for anything malformed, including zone ids.
 */
export function parseIpInto(input: string, out: IpScratch): boolean {
  let s = input
  if (s.length > 0 && (s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32)) s = s.trim()
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1)
  if (s.length === 0 || s.length > 45) return false
  const b = out.bytes
  if (!s.includes(':')) {
    if (!parseIpv4Parts(s, b, 0)) return false
    out.family = 4
    out.text = s // strict parsing means s is already canonical
    return true
  }
  if (!parseIpv6Into(s, b)) return false
  let mapped = b[10] === 0xff && b[11] === 0xff
  for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false
  if (mapped) {
    for (let i = 0; i < 4; i++) b[i] = b[12 + i]
    out.family = 4
    out.text = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
    return true
  }
  out.family = 6
  out.text = formatIpv6(b)
  return true
}

/** Allocating convenience form of parseIpInto; `bytes` is 4 or 16 long. */
export function parseIp(input: string): ParsedIp | null {
  const out = newIpScratch()
  if (!parseIpInto(input, out)) return null
  return { family: out.family, bytes: out.bytes.slice(0, out.family === 4 ? 4 : 16), text: out.text }
}

/**
 * True for addresses a peer can never have: unspecified, multicast, IPv4 broadcast, and
 * 0.0.0.0/8. Loopback and private ranges are allowed (local swarms and tests use them).
 */
export function isUnusableAddress(ip: { family: 4 | 6; bytes: Uint8Array }): boolean {
  const b = ip.bytes
  if (ip.family === 4) {
    if (b[0] === 0) return true
    if (b[0] >= 224 && b[0] <= 239) return true
    return b[0] === 255 && b[1] === 255 && b[2] === 255 && b[3] === 255
  }
  if (b[0] === 0xff) return true
  for (let i = 0; i < 16; i++) if (b[i] !== 0) return false
  return true
}

/**
 * An address on this machine or in a range a test can build (loopback, RFC 1918, link-local, ULA,
 * 192.0.2.0/24): what a daemon with `udpScope` "local" still sends to. Names are never local.
 */
export function isLocalAddress(host: string): boolean {
  if (host === 'localhost') return true
  const ip = parseIp(host)
  if (!ip) return false
  let b = ip.bytes
  if (ip.family === 6) {
    const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff
    if (!mapped) {
      const loopback = b.subarray(0, 15).every((x) => x === 0) && b[15] === 1
      return loopback || (b[0] & 0xfe) === 0xfc || (b[0] === 0xfe && (b[1] & 0xc0) === 0x80)
    }
    b = b.subarray(12)
  }
  return (
    b[0] === 127 ||
    b[0] === 10 ||
    (b[0] === 172 && b[1] >= 16 && b[1] <= 31) ||
    (b[0] === 192 && b[1] === 168) ||
    (b[0] === 169 && b[1] === 254) ||
    (b[0] === 192 && b[1] === 0 && b[2] === 2)
  )
}

/** "ip:port" for IPv4, "[v6]:port" for IPv6: the pool's key and the UI's peer key. */
export function peerKey(ip: { family: 4 | 6; text: string }, port: number): string {
  return ip.family === 6 ? `[${ip.text}]:${port}` : `${ip.text}:${port}`
}

export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 65535
}
