/**
 * The upload half of a peer connection: checks the peer's requests, queues them within our reqq,
 * hands at most `maxUploadReads` at a time to the torrent for reading (none while the socket is
 * backed up) and sends the blocks it answers with. With BEP 6 every request we will not serve is
 * rejected explicitly; without it such requests are dropped silently, as BEP 3 has it.
 */
import type { LocalPieces, TorrentShape } from './peer-types.ts'
import { RateMeter } from './rate-meter.ts'
import { UploadQueue } from './upload-queue.ts'
import * as W from './wire-codec.ts'
import type { BlockRef } from './wire-codec.ts'

export interface UploadHost {
  send(bytes: Uint8Array): void
  /** Both sides speak BEP 6. */
  fast(): boolean
  /** Open and not under write backpressure. */
  canWrite(): boolean
  /** Ask the torrent to read a block (false when nobody serves uploads). */
  read(req: BlockRef): boolean
}

export interface UploadContext {
  torrent: TorrentShape | null
  localPieces: LocalPieces | null
  amChoking: boolean
  allowedFast: ReadonlySet<number>
}

export class UploadServer {
  readonly queue: UploadQueue
  readonly rate: RateMeter
  uploaded = 0

  constructor(
    private readonly cfg: {
      maxIncomingRequests: number
      maxUploadReads: number
      maxRequestLength: number
      rateWindowSec: number
    },
    now: () => number,
    private readonly host: UploadHost,
  ) {
    this.queue = new UploadQueue(cfg.maxIncomingRequests, cfg.maxUploadReads)
    this.rate = new RateMeter(now, cfg.rateWindowSec)
  }

  /** A request from the peer. Returns a protocol violation reason, or null. */
  request(r: BlockRef, ctx: UploadContext): string | null {
    if (r.length === 0 || r.length > this.cfg.maxRequestLength) return `request of ${r.length} bytes`
    const t = ctx.torrent
    if (t) {
      const last = r.index === t.pieceCount - 1
      const size = last ? t.totalLength - t.pieceLength * (t.pieceCount - 1) : t.pieceLength
      if (r.begin + r.length > size) return `request ${r.index}/${r.begin}+${r.length} beyond the piece`
    }
    const allowed = !ctx.amChoking || ctx.allowedFast.has(r.index)
    if (!allowed || !ctx.localPieces?.has(r.index) || this.queue.add(r) === 'full') this.refuse(r)
    else this.pump()
    return null
  }

  /** The peer withdrew a request; BEP 6 wants a reject for one we had not answered. */
  cancel(r: BlockRef): void {
    if (this.queue.remove(r.index, r.begin)) this.refuse(r)
    this.pump()
  }

  /** The torrent's answer to a read. False (nothing sent) if the request went away meanwhile. */
  sendPiece(index: number, begin: number, data: Uint8Array): boolean {
    const req = this.queue.remove(index, begin)
    if (!req) return false
    if (req.length !== data.length)
      throw new RangeError(`block ${index}/${begin} is ${data.length} bytes, requested ${req.length}`)
    this.host.send(W.encodePieceHeader(index, begin, data.length))
    this.host.send(data)
    this.uploaded += data.length
    this.rate.add(data.length)
    this.pump()
    return true
  }

  /**
   * The torrent's answer on a framed socket: the platform sends the block (`send` queues it in
   * order). False (nothing sent) if the request went away meanwhile.
   */
  sendFromPlatform(index: number, begin: number, length: number, send: () => void): boolean {
    const req = this.queue.remove(index, begin)
    if (!req) return false
    if (req.length !== length)
      throw new RangeError(`block ${index}/${begin} is ${length} bytes, requested ${req.length}`)
    send()
    this.uploaded += length
    this.rate.add(length)
    this.pump()
    return true
  }

  /** The platform could not read a block it was to send: the peer is told no (BEP 6), not counted. */
  platformSendFailed(index: number, begin: number, length: number): void {
    this.uploaded -= length
    this.refuse({ index, begin, length })
  }

  /** The torrent cannot serve a request (read failed, piece missing). */
  reject(index: number, begin: number, length: number): void {
    if (this.queue.remove(index, begin)) this.refuse({ index, begin, length })
    this.pump()
  }

  /** We choked the peer: its queued requests are void, except for allowed-fast pieces. */
  choked(allowedFast: ReadonlySet<number>): void {
    for (const r of this.queue.removeWhere((q) => !allowedFast.has(q.index))) this.refuse(r)
  }

  pump(): void {
    for (let i = 0; i < this.cfg.maxUploadReads && this.host.canWrite(); i++) {
      const next = this.queue.nextToRead()
      if (!next) return
      if (!this.host.read(next)) return this.reject(next.index, next.begin, next.length)
    }
  }

  private refuse(r: BlockRef): void {
    if (this.host.fast()) this.host.send(W.encodeReject(r.index, r.begin, r.length))
  }
}
