import type { TorrentPeer } from '../pool/torrent-peer.ts'
import type { DisplayPeerState } from '../api/types.ts'
import type { PeerSession } from './peer-session.ts'

/**
 * A peer as the UI shows it: connected and connecting peers together. A peer appears as
 * `connecting` the moment its connect is issued, disappears if the connect fails, and becomes
 * `connected` after the handshake.
 */
export interface DisplayPeer {
  /** "ip:port" or "[v6]:port" */
  key: string
  ip: string
  port: number
  state: DisplayPeerState
  /** The live connection, when connected. */
  session?: PeerSession
  /** The pool's record of the peer. */
  peer: TorrentPeer
}

export function buildDisplayPeers(connecting: Iterable<TorrentPeer>, sessions: Iterable<PeerSession>): DisplayPeer[] {
  const out: DisplayPeer[] = []
  for (const s of sessions) {
    out.push({ key: s.peer.key, ip: s.peer.ip, port: s.peer.port, state: 'connected', session: s, peer: s.peer })
  }
  for (const p of connecting) out.push({ key: p.key, ip: p.ip, port: p.port, state: 'connecting', peer: p })
  return out
}
