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

function parseIpv6(s: string): Uint8Array | null {
  const bytes = new Uint8Array(16)
  const halves = s.split('::')
  if (halves.length > 2) return null
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return []
    const groups: number[] = []
    const items = part.split(':')
    for (let i = 0; i < items.length; i++) {
      const g = items[i]
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = new Uint8Array(4)
        if (!parseIpv4Parts(g, v4, 0)) return null
        groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3])
        continue
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null
      groups.push(parseInt(g, 16))
    }
    return groups
  }
  const head = parseGroups(halves[0])
  const tail = halves.length === 2 ? parseGroups(halves[1]) : []
  if (!head || !tail) return null
  // An embedded IPv4 is only allowed at the very end.
  if (halves.length === 2 && halves[0].includes('.')) return null
  const total = head.length + tail.length
  if (halves.length === 1 ? total !== 8 : total > 7) return null
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail]
  for (let i = 0; i < 8; i++) {
    bytes[i * 2] = groups[i] >> 8
    bytes[i * 2 + 1] = groups[i] & 0xff
  }
  return bytes
}

export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = []
  for (let i = 0; i < 8; i++) groups.push((bytes[i * 2] << 8) | bytes[i * 2 + 1])
  // RFC 5952: compress the longest run of two or more zero groups (the first one on a tie).
  let bestAt = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      bestAt = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':')
  if (bestAt < 0) return hex(groups)
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`
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
  const v6 = parseIpv6(s)
  if (!v6) return false
  let mapped = v6[10] === 0xff && v6[11] === 0xff
  for (let i = 0; i < 10 && mapped; i++) if (v6[i] !== 0) mapped = false
  if (mapped) {
    for (let i = 0; i < 4; i++) b[i] = v6[12 + i]
    out.family = 4
    out.text = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
    return true
  }
  b.set(v6)
  out.family = 6
  out.text = formatIpv6(v6)
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

/** "ip:port" for IPv4, "[v6]:port" for IPv6: the pool's key and the UI's peer key. */
export function peerKey(ip: { family: 4 | 6; text: string }, port: number): string {
  return ip.family === 6 ? `[${ip.text}]:${port}` : `${ip.text}:${port}`
}

export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 65535
}
