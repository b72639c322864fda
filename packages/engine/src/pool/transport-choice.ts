/**
 * Which transport an outgoing connection uses, as libtorrent decides it: uTP for peers that said they
 * take it (the uTP flag in PEX), TCP otherwise; a peer that failed on one transport is tried once on
 * the other (the pool remembers which failed), and the one that worked is kept from then on.
 */
export type Transport = 'tcp' | 'utp'

export interface TransportFacts {
  /** The peer announced uTP (PEX `added.f` 0x04) or reached us over uTP. */
  readonly utp: boolean
  /** The transport that failed once for this peer; the other is used from then on. */
  readonly failedTransport: Transport | undefined
}

/** `utpUsable`: the setting is on and the platform can dial uTP. */
export function chooseTransport(peer: TransportFacts, utpUsable: boolean): Transport {
  if (!utpUsable) return 'tcp'
  if (peer.failedTransport) return peer.failedTransport === 'utp' ? 'tcp' : 'utp'
  return peer.utp ? 'utp' : 'tcp'
}

/**
 * The reason to record when the fallback transport failed as well: the first transport's failure first
 * (often the telling one, e.g. an encryption policy), then this one.
 */
export function withFirstFailure(
  peer: { readonly failedTransport: Transport | undefined; readonly failedTransportReason: string | undefined },
  transport: Transport,
  reason: string,
): string {
  if (peer.failedTransport === undefined || peer.failedTransport === transport || !peer.failedTransportReason)
    return reason
  return `${peer.failedTransportReason}; then over ${transport === 'utp' ? 'uTP' : 'TCP'}: ${reason}`
}
