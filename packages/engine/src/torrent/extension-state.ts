import { decodeBencode, decodeBencodePrefix, encodeBencode, getDict, getInt, isDict, type BDict } from '../util/bencode.ts'
import { concatBytes, utf8Encode } from '../util/bytes.ts'
import type { PeerSession } from './peer-session.ts'

/** Our message id for ut_metadata (what peers must use when they send it to us). */
export const UT_METADATA_ID = 3
export const METADATA_PIECE = 16 * 1024
/** Largest info dictionary we accept from peers. */
export const MAX_METADATA_SIZE = 8 * 1024 * 1024

/**
 * One peer's BEP 10 extension state: our handshake out, theirs in (ut_metadata id, metadata_size,
 * reqq), and ut_metadata (BEP 9) messages: requests are served from our info dictionary,
 * data/reject go to the torrent's metadata fetch.
 */
export class ExtensionState {
  peerMetadataId = 0
  metadataSize: number | null = null
  private sentHandshake = false

  constructor(private readonly s: PeerSession) {}

  get supportsMetadata(): boolean {
    return this.peerMetadataId > 0
  }

  sendHandshake(): void {
    if (this.sentHandshake) return
    this.sentHandshake = true
    const t = this.s.t
    const d: BDict = {
      m: { ut_metadata: UT_METADATA_ID },
      v: utf8Encode('Tidepool 0.1'),
      reqq: 250,
    }
    if (t.info) d.metadata_size = t.info.infoBytes.length
    const port = t.ctx.listenPort()
    if (port > 0) d.p = port
    this.s.conn.sendExtended(0, encodeBencode(d))
  }

  onMessage(id: number, payload: Uint8Array): void {
    // Their messages can arrive in the same read as their handshake, before our deferred
    // handshake went out: ours must precede anything we answer.
    this.sendHandshake()
    try {
      if (id === 0) this.onHandshake(payload)
      else if (id === UT_METADATA_ID) this.onMetadataMessage(payload)
    } catch {
      this.s.close('bad extension message')
    }
  }

  private onHandshake(payload: Uint8Array): void {
    const d = decodeBencode(payload)
    if (!isDict(d)) return
    const m = getDict(d, 'm')
    const ut = m ? getInt(m, 'ut_metadata') : undefined
    this.peerMetadataId = ut !== undefined && ut > 0 && ut < 256 ? ut : 0
    const size = getInt(d, 'metadata_size')
    if (size !== undefined && size > 0 && size <= MAX_METADATA_SIZE) this.metadataSize = size
    const reqq = getInt(d, 'reqq')
    if (reqq !== undefined) this.s.conn.setPeerRequestLimit(reqq)
    this.s.t.onExtensionHandshake(this.s)
  }

  private onMetadataMessage(payload: Uint8Array): void {
    const { value, end } = decodeBencodePrefix(payload)
    if (!isDict(value)) return
    const type = getInt(value, 'msg_type')
    const piece = getInt(value, 'piece')
    if (piece === undefined || piece < 0) return
    if (type === 0) this.serve(piece)
    else if (type === 1) this.s.t.onMetadataData(this.s, piece, payload.subarray(end), getInt(value, 'total_size') ?? null)
    else if (type === 2) this.s.t.onMetadataReject(this.s, piece)
  }

  private serve(piece: number): void {
    if (!this.peerMetadataId) return
    const info = this.s.t.info
    const start = piece * METADATA_PIECE
    if (!info || start >= info.infoBytes.length) {
      this.s.conn.sendExtended(this.peerMetadataId, encodeBencode({ msg_type: 2, piece }))
      return
    }
    const data = info.infoBytes.subarray(start, Math.min(info.infoBytes.length, start + METADATA_PIECE))
    const head = encodeBencode({ msg_type: 1, piece, total_size: info.infoBytes.length })
    this.s.conn.sendExtended(this.peerMetadataId, concatBytes([head, data]))
  }

  requestMetadata(piece: number): void {
    if (this.peerMetadataId) this.s.conn.sendExtended(this.peerMetadataId, encodeBencode({ msg_type: 0, piece }))
  }
}
