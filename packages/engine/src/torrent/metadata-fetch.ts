import { MetadataAssembler } from '../extension/metadata-assembler.ts'
import { parseInfoDictionary, type InfoDictionary } from '../metainfo/parse-info.ts'
import type { PeerSession } from './peer-session.ts'
import type { Torrent } from './torrent.ts'

/**
 * Fetches a magnet's info dictionary from the torrent's peers: the MetadataAssembler decides which
 * piece to ask whom (2 per peer, 10 s timeout), caps the size and checks the SHA-1; this class
 * drives it from peer events and remembers the peers that sent a mismatch, so they are asked last.
 */
export class MetadataFetch {
  private readonly asm: MetadataAssembler
  private readonly suspects = new Set<string>()

  constructor(
    private readonly t: Torrent,
    private readonly onDone: (info: InfoDictionary) => void,
  ) {
    this.asm = new MetadataAssembler(t.infoHashBytes, { requestTimeoutMs: 10_000, perPeer: 2 })
  }

  /** A peer whose extension handshake we know (or a new session: checked when it arrives). */
  onPeer(s: PeerSession): void {
    if (!this.asm.done) this.requestFrom(s)
  }

  onPeerGone(s: PeerSession): void {
    this.asm.peerGone(s.peer.key)
    this.fill()
  }

  onReject(s: PeerSession, piece: number): void {
    this.asm.onReject(s.peer.key, piece)
    this.fill()
  }

  async onData(s: PeerSession, piece: number, data: Uint8Array, totalSize: number): Promise<void> {
    const r = await this.asm.onData(s.peer.key, piece, totalSize, data)
    if (r.status === 'progress') this.requestFrom(s)
    else if (r.status === 'bad') {
      for (const k of r.peers) this.suspects.add(k)
      this.fill()
    } else if (r.status === 'done') {
      let info: InfoDictionary
      try {
        info = await parseInfoDictionary(r.infoBytes)
      } catch (e) {
        // hash matched but the dictionary is unusable (malformed, or over a metainfo limit): nothing more to fetch
        this.t.fail(new Error(`metadata from peers is not a valid info dictionary: ${(e as Error).message}`))
        return
      }
      this.onDone(info)
    }
  }

  /** Requests that timed out become due again. */
  tick(): void {
    this.fill()
  }

  private requestFrom(s: PeerSession): void {
    if (!s.ext.supportsMetadata || !s.isOpen()) return
    // the size comes from the peer's handshake (again after a mismatch reset the assembler)
    if (this.asm.size === null && s.ext.metadataSize) this.asm.setSize(s.ext.metadataSize)
    const now = this.t.ctx.clock.now()
    // nextRequest returns null once this peer has its share: bounded by the per-peer cap
    for (let p = this.asm.nextRequest(s.peer.key, now); p !== null; p = this.asm.nextRequest(s.peer.key, now)) s.ext.requestMetadata(p)
  }

  private fill(): void {
    if (this.asm.done) return
    const peers = [...this.t.sessions.values()].filter((s) => s.ext.supportsMetadata)
    peers.sort((a, b) => Number(this.suspects.has(a.peer.key)) - Number(this.suspects.has(b.peer.key)))
    for (const s of peers) this.requestFrom(s)
  }
}
