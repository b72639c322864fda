import type { Logger, NetPort, UdpSocket } from '../platform/ports.ts'
import { errorText } from '../util/log.ts'
import { LSD_GROUP4, LSD_GROUP6, LSD_GROUP6_LIBTORRENT, LSD_PORT } from './lsd-message.ts'
import type { LsdChannel } from './local-discovery.ts'

/** The LSD sockets of one engine: what to send to, and close(). */
export interface LsdSockets {
  channels: LsdChannel[]
  close(): void
}

/**
 * Hops our announces may travel. BEP 14 is about the local network: 1 keeps them on the link (libtorrent
 * allows 32, which routers that forward multicast would carry further).
 */
const LSD_TTL = 1

/**
 * Binds 6771 (shared with other clients on this machine: reuseAddr) for IPv4 and IPv6 and joins the LSD
 * groups on the interface the system routes them to. A family that fails (no IPv6, no multicast route)
 * is left out; no family at all gives no channels. Only where `net.multicast` says the platform can.
 */
export async function openLsdSockets(
  net: NetPort,
  onDatagram: (data: Uint8Array, from: { address: string; port: number }) => void,
  log: Logger,
): Promise<LsdSockets> {
  const sockets: UdpSocket[] = []
  const channels: LsdChannel[] = []
  const families: Array<{ host: string; groups: Array<{ group: string; hostHeader: string }> }> = [
    { host: '0.0.0.0', groups: [{ group: LSD_GROUP4, hostHeader: LSD_GROUP4 }] },
    {
      host: '::',
      groups: [
        { group: LSD_GROUP6, hostHeader: `[${LSD_GROUP6}]` },
        { group: LSD_GROUP6_LIBTORRENT, hostHeader: `[${LSD_GROUP6_LIBTORRENT}]` },
      ],
    },
  ]
  for (const f of families) {
    const family = f.host === '::' ? 'IPv6' : 'IPv4'
    let sock: UdpSocket
    try {
      sock = await net.bindUdp({ host: f.host, port: LSD_PORT, reuseAddr: true }, onDatagram)
    } catch (err) {
      log.info(`local peer discovery on ${family} is off: binding port ${LSD_PORT} failed: ${errorText(err)}`)
      continue
    }
    let joined = 0
    for (const g of f.groups) {
      try {
        if (!sock.joinMulticast) throw new Error('the platform cannot join multicast groups')
        await sock.joinMulticast({ group: g.group, ttl: LSD_TTL, loopback: true })
        const s = sock
        channels.push({ host: g.hostHeader, send: (data) => s.send(data, g.group, LSD_PORT) })
        joined++
      } catch (err) {
        log.info(`local peer discovery: joining ${g.group} failed: ${errorText(err)}`)
      }
    }
    if (joined > 0) sockets.push(sock)
    else sock.close()
  }
  return {
    channels,
    close() {
      for (const s of sockets) s.close()
    },
  }
}
