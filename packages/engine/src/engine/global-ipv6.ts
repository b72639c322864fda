import { parseIp } from '../pool/ip-address.ts'

/**
 * The canonical text of `ip` when it is a global unicast IPv6 address (2000::/3), else null. Only such an
 * address is worth telling trackers: a loopback, link-local or unique-local one reaches nobody outside.
 */
export function globalIpv6(ip: string): string | null {
  const p = parseIp(ip)
  if (p?.family !== 6) return null
  return (p.bytes[0] & 0xe0) === 0x20 ? p.text : null
}
