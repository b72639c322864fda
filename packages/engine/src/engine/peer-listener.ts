import type { Logger, NetPort, TcpListener, TcpSocket } from '../platform/ports.ts'
import { errorText } from '../util/log.ts'

/** The listeners for incoming peers: IPv6 and IPv4 on one port. */
export interface PeerListeners {
  readonly port: number
  /** Which families the listeners accept: '::' alone on a dual-stack system accepts both. */
  readonly hosts: string[]
  /** The sockets themselves (one per family, or one dual-stack); the first is the one port mapping forwards. */
  readonly listeners: readonly TcpListener[]
  /** uTP is accepted on the port too. */
  readonly utp: boolean
  close(): void
}

/**
 * Listens for peers on IPv6 and IPv4 on one port. '::' first: on a dual-stack system (Linux and the
 * reference daemon by default) it takes IPv4 peers as well, and the '0.0.0.0' that follows fails with
 * in-use, which is fine. Where '::' is not available (IPv6 off) '0.0.0.0' alone; where the two are separate
 * (v6-only systems) both. A taken port falls back to any port, as before.
 */
export async function listenForPeers(
  net: NetPort,
  port: number,
  onConnection: (socket: TcpSocket) => void,
  log: Logger,
  /** Accept uTP on the same port where the platform can. */
  utp = false,
  /** Accepted sockets may be framed (the platform's data plane). */
  framable = false,
): Promise<PeerListeners> {
  const withUtp = utp && net.utp === true
  const extra = { ...(withUtp ? { utp: true } : {}), ...(framable ? { framable: true } : {}) }
  const open = async (p: number): Promise<{ port: number; listeners: TcpListener[]; hosts: string[] }> => {
    let v6: TcpListener | null = null
    try {
      v6 = await net.listen({ host: '::', port: p, ...extra }, onConnection)
    } catch (err) {
      log.debug?.(`listening on [::]:${p} failed (${errorText(err)}); IPv4 only`)
    }
    const at = v6 ? v6.port : p
    try {
      const v4 = await net.listen({ host: '0.0.0.0', port: at, ...extra }, onConnection)
      return v6
        ? { port: at, listeners: [v6, v4], hosts: ['::', '0.0.0.0'] }
        : { port: v4.port, listeners: [v4], hosts: ['0.0.0.0'] }
    } catch (err) {
      // a dual-stack '::' already has IPv4 on this port
      if (v6) return { port: at, listeners: [v6], hosts: ['::'] }
      throw err
    }
  }
  let got: Awaited<ReturnType<typeof open>>
  try {
    got = await open(port)
  } catch (err) {
    // Try any port before giving up on incoming peers.
    if (port === 0) throw err
    log.warn(`listening on port ${port} failed (${errorText(err)}); trying any port`)
    got = await open(0)
  }
  const { listeners } = got
  return {
    port: got.port,
    hosts: got.hosts,
    listeners,
    utp: listeners.some((l) => l.utp === true),
    close() {
      for (const l of listeners) l.close()
    },
  }
}
