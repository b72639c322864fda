import { parseInfoDictionary, type InfoDictionary } from '../metainfo/parse-info.ts'
import { bytesEqual } from '../util/bytes.ts'
import { sha1 } from '../util/sha1.ts'
import { MAX_METADATA_SIZE, METADATA_PIECE } from './extension-state.ts'
import type { PeerSession } from './peer-session.ts'
import type { Torrent } from './torrent.ts'

const REQUEST_TIMEOUT_MS = 10_000
const PER_PEER = 2

/**
 * Fetches a magnet's info dictionary from peers with ut_metadata (BEP 9): 16 KiB pieces spread over
 * peers, size-capped, and accepted only when its SHA-1 equals the info-hash. A mismatch starts over
 * and remembers the peers that sent it, so they are asked last.
 */
export class MetadataFetch {
  private size: number | null = null
  private buf: Uint8Array | null = null
  private got: Uint8Array | null = null
  private missing = 0
  private readonly asked = new Map<number, { key: string; at: number }>()
  private readonly suspects = new Set<string>()
  private verifying = false
  private done = false

  constructor(
    private readonly t: Torrent,
    private readonly onDone: (info: InfoDictionary) => void,
  ) {}

  /** A peer whose extension handshake we know (or a new session: checked when it arrives). */
  onPeer(s: PeerSession): void {
    if (this.done || !s.ext.supportsMetadata) return
    if (this.size === null && s.ext.metadataSize) this.setSize(s.ext.metadataSize)
    this.requestFrom(s)
  }

  onPeerGone(s: PeerSession): void {
    for (const [piece, a] of [...this.asked]) if (a.key === s.peer.key) this.asked.delete(piece)
    this.fill()
  }

  private setSize(size: number): void {
    if (size <= 0 || size > MAX_METADATA_SIZE) return
    this.size = size
    const n = Math.ceil(size / METADATA_PIECE)
    this.buf = new Uint8Array(size)
    this.got = new Uint8Array(n)
    this.missing = n
    this.asked.clear()
  }

  private pieceCount(): number {
    return this.got ? this.got.length : 0
  }

  private requestFrom(s: PeerSession): void {
    if (!this.got || !s.ext.supportsMetadata) return
    let mine = 0
    for (const a of this.asked.values()) if (a.key === s.peer.key) mine++
    for (let p = 0; p < this.pieceCount() && mine < PER_PEER; p++) {
      if (this.got[p] || this.asked.has(p)) continue
      this.asked.set(p, { key: s.peer.key, at: this.t.ctx.clock.now() })
      s.ext.requestMetadata(p)
      mine++
    }
  }

  private fill(): void {
    const peers = [...this.t.sessions.values()].filter((s) => s.ext.supportsMetadata)
    peers.sort((a, b) => Number(this.suspects.has(a.peer.key)) - Number(this.suspects.has(b.peer.key)))
    for (const s of peers) this.requestFrom(s)
  }

  onData(s: PeerSession, piece: number, data: Uint8Array, totalSize: number | null): void {
    if (this.done) return
    if (this.size === null && totalSize) this.setSize(totalSize)
    if (!this.buf || !this.got || piece >= this.got.length || this.got[piece]) return
    const expected = Math.min(METADATA_PIECE, this.buf.length - piece * METADATA_PIECE)
    if (data.length !== expected) {
      s.close('bad metadata piece size')
      return
    }
    this.buf.set(data, piece * METADATA_PIECE)
    this.got[piece] = 1
    this.asked.delete(piece)
    this.missing--
    this.lastSenders.add(s.peer.key)
    if (this.missing === 0) void this.verify()
    else this.requestFrom(s)
  }

  private readonly lastSenders = new Set<string>()

  onReject(s: PeerSession, piece: number): void {
    const a = this.asked.get(piece)
    if (a && a.key === s.peer.key) this.asked.delete(piece)
    this.fill()
  }

  private async verify(): Promise<void> {
    if (this.verifying || !this.buf) return
    this.verifying = true
    const bytes = this.buf
    const hash = await sha1(bytes)
    this.verifying = false
    if (bytesEqual(hash, this.t.infoHashBytes)) {
      try {
        const info = await parseInfoDictionary(bytes)
        this.done = true
        this.onDone(info)
        return
      } catch {
        // hash matched but the dictionary is unusable: nothing more to fetch
        this.done = true
        this.t.fail(new Error('metadata from peers is not a valid info dictionary'))
        return
      }
    }
    for (const k of this.lastSenders) this.suspects.add(k)
    this.lastSenders.clear()
    if (this.size !== null) this.setSize(this.size)
    this.fill()
  }

  tick(): void {
    if (this.done) return
    const now = this.t.ctx.clock.now()
    for (const [piece, a] of [...this.asked]) if (now - a.at > REQUEST_TIMEOUT_MS) this.asked.delete(piece)
    this.fill()
  }
}
