/** SSDP (UPnP Device Architecture 1.1 §1.3) search requests and responses for IGD discovery. */

export const SSDP_ADDRESS = '239.255.255.250'
export const SSDP_PORT = 1900
export const IGD_SEARCH_TARGETS = [
  'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
  'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
] as const

export function encodeMSearch(st: string, mxSec: number): Uint8Array {
  const text =
    'M-SEARCH * HTTP/1.1\r\n' +
    `HOST: ${SSDP_ADDRESS}:${SSDP_PORT}\r\n` +
    'MAN: "ssdp:discover"\r\n' +
    `MX: ${mxSec}\r\n` +
    `ST: ${st}\r\n` +
    '\r\n'
  return new TextEncoder().encode(text)
}

export interface SsdpResponse {
  location: string
  st: string
  usn: string
  server?: string
}

/** Parses a search response (HTTP/1.1 200 over UDP); null for anything else (NOTIFY, M-SEARCH, junk). */
export function decodeSsdpResponse(b: Uint8Array): SsdpResponse | null {
  if (b.length > 8192) return null
  const text = new TextDecoder().decode(b)
  const lines = text.split(/\r?\n/)
  if (!/^HTTP\/1\.[01] 200\b/i.test(lines[0] ?? '')) return null
  const h = new Map<string, string>()
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':')
    if (i <= 0) continue
    h.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim())
  }
  const location = h.get('location')
  const st = h.get('st')
  if (!location || !st) return null
  return { location, st, usn: h.get('usn') ?? '', server: h.get('server') }
}
