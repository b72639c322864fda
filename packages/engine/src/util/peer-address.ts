/** A peer's address as trackers, magnets and PEX give it. `ip` may be IPv4, IPv6 (no brackets) or a host name. */
export interface PeerAddress {
  ip: string
  port: number
}

/** "ip:port" or "[v6]:port", the key PeerRow uses. */
export function peerKey(p: PeerAddress): string {
  return p.ip.includes(':') ? `[${p.ip}]:${p.port}` : `${p.ip}:${p.port}`
}

export function formatIPv6(b: Uint8Array): string {
  const words: number[] = []
  for (let i = 0; i < 16; i += 2) words.push((b[i] << 8) | b[i + 1])
  // IPv4-mapped addresses read better in dotted form.
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff)
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`
  // RFC 5952: compress the longest run (>= 2) of zero words.
  let bestStart = -1,
    bestLen = 0
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) [bestStart, bestLen] = [i, j - i]
    i = j
  }
  const hex = words.map((w) => w.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
}

/** Parses dotted IPv4 into 4 bytes, or null. */
export function parseIPv4(s: string): Uint8Array | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s)
  if (!m) return null
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const n = Number(m[i + 1])
    if (n > 255 || (m[i + 1].length > 1 && m[i + 1][0] === '0')) return null
    out[i] = n
  }
  return out
}

/** Parses IPv6 text (with '::' and an optional dotted IPv4 tail) into 16 bytes, or null. */
export function parseIPv6(s: string): Uint8Array | null {
  if (s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return null
  let text = s
  const tail: number[] = []
  const lastColon = text.lastIndexOf(':')
  if (text.includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1))
    if (!v4) return null
    tail.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3])
    text = `${text.slice(0, lastColon + 1)}0` // placeholder word, replaced below
  }
  const halves = text.split('::')
  if (halves.length > 2) return null
  const parse = (h: string) =>
    h === '' ? [] : h.split(':').map((w) => (/^[0-9a-fA-F]{1,4}$/.test(w) ? parseInt(w, 16) : NaN))
  const head = parse(halves[0])
  const rest = halves.length === 2 ? parse(halves[1]) : []
  let words: number[]
  if (tail.length) {
    const arr = halves.length === 2 ? rest : head
    arr.pop()
    arr.push(...tail)
  }
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length
    if (fill < 1) return null
    words = [...head, ...new Array<number>(fill).fill(0), ...rest]
  } else words = head
  if (words.length !== 8 || words.some((w) => Number.isNaN(w))) return null
  const out = new Uint8Array(16)
  words.forEach((w, i) => {
    out[2 * i] = w >> 8
    out[2 * i + 1] = w & 0xff
  })
  return out
}

/** BEP 23 compact IPv4 peers (6 bytes each); a trailing partial entry is ignored. */
export function decodeCompactPeers4(b: Uint8Array): PeerAddress[] {
  const out: PeerAddress[] = []
  for (let i = 0; i + 6 <= b.length; i += 6) {
    const port = (b[i + 4] << 8) | b[i + 5]
    if (port === 0) continue
    out.push({ ip: `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`, port })
  }
  return out
}

/** BEP 7 compact IPv6 peers (18 bytes each). */
export function decodeCompactPeers6(b: Uint8Array): PeerAddress[] {
  const out: PeerAddress[] = []
  for (let i = 0; i + 18 <= b.length; i += 18) {
    const port = (b[i + 16] << 8) | b[i + 17]
    if (port === 0) continue
    out.push({ ip: formatIPv6(b.subarray(i, i + 16)), port })
  }
  return out
}

/** Compact form of the peers of one family; others (and host names) are skipped. */
export function encodeCompactPeers(peers: readonly PeerAddress[], family: 4 | 6): Uint8Array {
  const chunks: Uint8Array[] = []
  for (const p of peers) {
    const ip = family === 4 ? parseIPv4(p.ip) : parseIPv6(p.ip)
    if (!ip) continue
    const e = new Uint8Array(ip.length + 2)
    e.set(ip)
    e[ip.length] = p.port >> 8
    e[ip.length + 1] = p.port & 0xff
    chunks.push(e)
  }
  const out = new Uint8Array(chunks.length * (family === 4 ? 6 : 18))
  for (let i = 0; i < chunks.length; i++) out.set(chunks[i]!, i * chunks[i]!.length)
  return out
}
