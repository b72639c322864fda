/**
 * The DHT's datagram transport over the platform's UDP (NetPort.bindUdp): the node registers its
 * handler after the socket exists, so datagrams that arrive before that are dropped (a DHT retries).
 */
import type { NetPort, UdpSocket } from '../platform/ports.ts'
import type { DatagramTransport } from './dht-node.ts'

export async function bindDatagramTransport(
  net: NetPort,
  opts: { host?: string; port?: number },
): Promise<DatagramTransport & { socket: UdpSocket }> {
  let handler: ((bytes: Uint8Array, host: string, port: number) => void) | undefined
  const socket = await net.bindUdp(opts, (data, from) => handler?.(data, from.address, from.port))
  return {
    socket,
    send: (host, port, bytes) => socket.send(bytes, host, port),
    onMessage: (cb) => {
      handler = cb
    },
  }
}

/**
 * The DHT's transport for both families (BEP 32): an IPv4 socket on `port` (any port if that is
 * taken) and, where the platform can, an IPv6-only socket on the same port number. Datagrams go out
 * through the socket of their destination's family. Without IPv6 (no address, an adapter or daemon
 * that cannot bind IPv6-only) the node runs IPv4 alone.
 */
export async function bindDhtTransport(
  net: NetPort,
  port: number,
  log: (line: string) => void,
): Promise<{
  transport: DatagramTransport
  port: number
  families: Array<4 | 6>
  /** The bound sockets, IPv4 first (for port mapping). */
  sockets: UdpSocket[]
  close(): void
}> {
  let handler: ((bytes: Uint8Array, host: string, port: number) => void) | undefined
  const deliver = (data: Uint8Array, from: { address: string; port: number }) =>
    handler?.(data, from.address, from.port)
  const v4 = await net.bindUdp({ port }, deliver).catch((err: unknown) => {
    if (port === 0) throw err
    log(`binding UDP port ${port} failed (${err instanceof Error ? err.message : String(err)}); trying any port`)
    return net.bindUdp({ port: 0 }, deliver)
  })
  let v6: UdpSocket | null = null
  try {
    v6 = await net.bindUdp({ host: '::', port: v4.port, ipv6Only: true }, deliver)
  } catch (err) {
    log(`no IPv6 DHT: ${err instanceof Error ? err.message : String(err)}`)
  }
  return {
    port: v4.port,
    families: v6 ? [4, 6] : [4],
    sockets: v6 ? [v4, v6] : [v4],
    transport: {
      send: (host, p, bytes) => (host.includes(':') ? v6 : v4)?.send(bytes, host, p),
      onMessage: (cb) => {
        handler = cb
      },
    },
    close: () => {
      v4.close()
      v6?.close()
    },
  }
}
