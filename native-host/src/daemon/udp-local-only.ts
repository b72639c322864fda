import { isIP } from 'node:net'

/**
 * A safety switch for test and benchmark runs (`TIDEPOOL_UDP_LOCAL_ONLY=1`): the daemon then sends
 * UDP datagrams only to addresses on this machine or in private ranges a test can create
 * (loopback, RFC 1918, link-local, ULA, 192.0.2.0/24), never to a name (no DNS lookup) or a public
 * address. A DHT that a test forgot to turn off can then never reach the public routers. Multicast
 * groups a socket joined are the one exception (udp-ops.ts): joining needs the udp-multicast
 * capability, which the suite turns off with its own switch (TIDEPOOL_NO_MULTICAST) except inside a
 * test's own network namespaces.
 */
export function udpLocalOnly(): boolean {
  return process.env.TIDEPOOL_UDP_LOCAL_ONLY === '1'
}

export function isLocalDestination(address: string): boolean {
  if (address === 'localhost') return true
  const family = isIP(address)
  if (family === 4) {
    const [a, b, c] = address.split('.').map(Number)
    return (
      a === 127 ||
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 192 && b === 0 && c === 2)
    )
  }
  if (family === 6) {
    const lower = address.toLowerCase()
    if (lower === '::1') return true
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
    if (mapped) return isLocalDestination(mapped[1])
    return /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower)
  }
  return false
}
