import { isLocalAddress } from '@tidepool/engine'

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

/** The engine's definition, so the daemon's guard and the engine's "is a bootstrap node local" agree. */
export const isLocalDestination = isLocalAddress
