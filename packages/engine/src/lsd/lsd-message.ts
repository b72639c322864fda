/**
 * BEP 14 local service discovery messages: an HTTP-like "BT-SEARCH" request in one UDP datagram to
 * 239.192.152.143:6771 (IPv6: [ff15::efc0:152:143]:6771).
 *
 *   BT-SEARCH * HTTP/1.1\r\n
 *   Host: 239.192.152.143:6771\r\n
 *   Port: <the port we accept peers on>\r\n
 *   Infohash: <40 hex digits>\r\n      (one or more)
 *   cookie: <hex>\r\n                  (libtorrent's extension: lets a sender recognise its own message)
 *   \r\n\r\n
 */

export const LSD_PORT = 6771
export const LSD_GROUP4 = '239.192.152.143'
/** BEP 14's IPv6 group. */
export const LSD_GROUP6 = 'ff15::efc0:152:143'
/** The IPv6 group libtorrent uses (239.192.152.143 written into ff15::/16), so we meet it over IPv6 too. */
export const LSD_GROUP6_LIBTORRENT = 'ff15::efc0:988f'

/** A datagram longer than this is not ours to parse (one Ethernet frame). */
export const MAX_LSD_MESSAGE_BYTES = 1500
/** At most this many info-hashes are read from one message; the rest are ignored. */
export const MAX_INFOHASHES_PER_MESSAGE = 16

export interface LsdAnnounce {
  port: number
  /** lower-case hex, each 40 digits */
  infoHashes: string[]
  /** the cookie as sent (hex text, lower case), when present */
  cookie?: string
}

const encoder = new TextEncoder()

/** One announce for one torrent. `host` is the group as the Host header names it (IPv6 in brackets). */
export function encodeLsdAnnounce(infoHashHex: string, port: number, cookie: string, host: string): Uint8Array {
  return encoder.encode(
    `BT-SEARCH * HTTP/1.1\r\nHost: ${host}:${LSD_PORT}\r\nPort: ${port}\r\nInfohash: ${infoHashHex.toLowerCase()}\r\ncookie: ${cookie}\r\n\r\n\r\n`,
  )
}

const HEX40 = /^[0-9a-fA-F]{40}$/

/**
 * Reads an announce; null for anything that is not a well-formed BT-SEARCH with a usable port. Header
 * names are case-insensitive (senders differ: "Infohash", "infohash", "cookie"); bad info-hashes are
 * skipped, as libtorrent does, and an all-zero one means nothing.
 */
export function decodeLsdAnnounce(data: Uint8Array): LsdAnnounce | null {
  if (data.length === 0 || data.length > MAX_LSD_MESSAGE_BYTES) return null
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data)
  } catch {
    return null
  }
  const end = text.indexOf('\r\n\r\n')
  if (end < 0) return null
  const lines = text.slice(0, end).split('\r\n')
  const request = lines[0].split(' ')
  if (request.length !== 3 || request[0].toUpperCase() !== 'BT-SEARCH' || !/^HTTP\/1\.\d$/i.test(request[2]))
    return null
  let port = -1
  let cookie: string | undefined
  const infoHashes: string[] = []
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':')
    if (colon <= 0) return null // not a header line: not a message we understand
    const name = lines[i].slice(0, colon).trim().toLowerCase()
    const value = lines[i].slice(colon + 1).trim()
    if (name === 'port') {
      port = /^\d{1,5}$/.test(value) ? Number(value) : -1
    } else if (name === 'infohash') {
      if (infoHashes.length < MAX_INFOHASHES_PER_MESSAGE && HEX40.test(value) && !/^0{40}$/.test(value)) {
        const h = value.toLowerCase()
        if (!infoHashes.includes(h)) infoHashes.push(h)
      }
    } else if (name === 'cookie') {
      cookie = value.toLowerCase()
    }
  }
  if (port < 1 || port > 65535 || infoHashes.length === 0) return null
  return cookie === undefined ? { port, infoHashes } : { port, infoHashes, cookie }
}
