import { MetadataAssembler } from '../extension/metadata-assembler.ts'
import { parseInfoDictionary, type InfoDictionary } from '../metainfo/parse-info.ts'
import type { MetadataPeer } from './peer-handle.ts'

/** What the metadata fetch may use of its torrent, and how it reports. */
export interface MetadataHost {
  readonly infoHash: Uint8Array
  now(): number
  /** The sessions it may ask. */
  peers(): Iterable<MetadataPeer>
  /** The info dictionary arrived and matches the info-hash. */
  onMetadata(info: InfoDictionary): void
  /** The fetched bytes match the info-hash but are not a usable info dictionary. */
  onUnusable(err: Error): void
}

/**
 * Fetches a magnet's info dictionary from the torrent's peers: the MetadataAssembler decides which
 * piece to ask whom (2 per peer, 10 s timeout), caps the size and checks the SHA-1; this class
 * drives it from peer events and remembers the peers that sent a mismatch, so they are asked last.
 */
export class MetadataFetch {
  private readonly asm: MetadataAssembler
  private readonly suspects = new Set<string>()

  constructor(private readonly host: MetadataHost) {
    this.asm = new MetadataAssembler(host.infoHash, { requestTimeoutMs: 10_000, perPeer: 2 })
  }

  /** A peer whose extension handshake we know (or a new session: checked when it arrives). */
  onPeer(s: MetadataPeer): void {
    if (!this.asm.done) this.requestFrom(s)
  }

  onPeerGone(s: MetadataPeer): void {
    this.asm.peerGone(s.peer.key)
    this.fill()
  }

  onReject(s: MetadataPeer, piece: number): void {
    this.asm.onReject(s.peer.key, piece)
    this.fill()
  }

  async onData(s: MetadataPeer, piece: number, data: Uint8Array, totalSize: number): Promise<void> {
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
        this.host.onUnusable(new Error(`metadata from peers is not a valid info dictionary: ${(e as Error).message}`))
        return
      }
      this.host.onMetadata(info)
    }
  }

  /** Requests that timed out become due again. */
  tick(): void {
    this.fill()
  }

  private requestFrom(s: MetadataPeer): void {
    if (!s.ext.supportsMetadata || !s.isOpen()) return
    // the size comes from the peer's handshake (again after a mismatch reset the assembler)
    if (this.asm.size === null && s.ext.metadataSize) this.asm.setSize(s.ext.metadataSize)
    const now = this.host.now()
    // nextRequest returns null once this peer has its share: bounded by the per-peer cap
    for (let p = this.asm.nextRequest(s.peer.key, now); p !== null; p = this.asm.nextRequest(s.peer.key, now))
      s.ext.requestMetadata(p)
  }

  private fill(): void {
    if (this.asm.done) return
    const peers = [...this.host.peers()].filter((s) => s.ext.supportsMetadata)
    peers.sort((a, b) => Number(this.suspects.has(a.peer.key)) - Number(this.suspects.has(b.peer.key)))
    for (const s of peers) this.requestFrom(s)
  }
}
