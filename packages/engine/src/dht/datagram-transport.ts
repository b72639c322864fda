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
