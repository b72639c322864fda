import type { FilePriority, FileRow, PiecesView } from '../api/types.ts'
import type { ChokerConfig } from '../choke/choker.ts'
import type { RateLimiter } from '../engine/rate-limiter.ts'
import type { InfoDictionary } from '../metainfo/parse-info.ts'
import { PiecePicker } from '../picker/piece-picker.ts'
import { IoError, type FilePort, type Logger, type PieceHasher, type StateStore } from '../platform/ports.ts'
import type { DataPlane, DataPlaneTorrent } from '../platform/ports.ts'
import { pieceSize } from '../storage/file-map.ts'
import { wantedBytes } from '../storage/piece-priorities.ts'
import { TorrentStorage, type BlockWriteResult } from '../storage/torrent-storage.ts'
import { openRemotePieces, type RemotePieces } from '../storage/remote-pieces.ts'
import { RelocatingFiles } from '../storage/relocating-files.ts'
import { recheck } from '../storage/recheck.ts'
import { loadResume, resumeKey, saveResume } from '../storage/resume-state.ts'
import { ResumeSaver } from '../storage/resume-saver.ts'
import type { Clock } from '../util/clock.ts'
import { errorText } from '../util/log.ts'
import type { Bitfield } from '../wire/bitfield.ts'
import type { LocalPieces } from '../wire/peer-types.ts'
import { fileVerifiedBytes } from './file-progress.ts'
import type { TradingPeer } from './peer-handle.ts'
import { PieceReadCache } from './piece-read-cache.ts'
import { SuspectPieces, type Verdict } from './suspect-pieces.ts'
import { UploadChoker } from './upload-choker.ts'
import { FastPeers } from './fast-peers.ts'
import { RequestShare } from './request-share.ts'

const BLOCK = 16 * 1024
const ENDGAME_PIPELINE = 4
/** Buffer for pieces still receiving blocks (memory bound; see the constructor). */
const DOWNLOADING_BYTES = 16 * 1024 * 1024
/**
 * The same budget when the data plane keeps the pieces (its store holds 256 MiB per client): deeper
 * with many peers, so many slow peers each get a share worth their rate (bench:swarm 256 MiB, 32 seeds
 * at 4 MiB/s: 0.82x libtorrent's time with 64 MiB, 1.29x with 16 MiB in the same hour), but only
 * DATA_PLANE_BYTES_PER_PEER per peer that can be asked (at least 16 MiB): a few fast peers need far less,
 * and every MiB of it is daemon memory (bench:download 1 GiB, 4 seeds: peak RSS 250 MiB with 64 MiB,
 * 190 MiB with 8 MiB per peer, 165 MiB with 4 MiB per peer, which was slower: 205 vs 240 MiB/s).
 */
const DATA_PLANE_DOWNLOADING_BYTES = 64 * 1024 * 1024
const DATA_PLANE_BYTES_PER_PEER = 6 * 1024 * 1024
/** A block the data plane's full store refused is requested again after this long. */
const STORE_BUSY_RETRY_MS = 200

/** What the data side may use of its torrent, and what it reports back (the torrent owns the totals). */
export interface DownloaderHost {
  /** Hex; names the resume state. */
  readonly infoHash: string
  readonly files: FilePort
  readonly state: StateStore
  readonly hasher?: PieceHasher
  /** Where piece payloads stay when the platform has a data plane (and the setting is on). */
  dataPlane?(): DataPlane | null
  readonly clock: Clock
  readonly downloadBucket: RateLimiter
  readonly uploadBucket: RateLimiter
  readonly choker?: Partial<ChokerConfig>
  readonly log: Logger
  sessions(): Iterable<TradingPeer>
  session(key: string): TradingPeer | undefined
  isActive(): boolean
  /** Payload bytes received (wasted ones too) or sent. */
  onDownloaded(bytes: number): void
  onUploaded(bytes: number): void
  onHashFailure(piece: number, contributors: string[]): void
  /** Every selected piece is verified (called once per completion). */
  onComplete(): void
  /** A piece was verified and written (streams waiting for it may read it now). */
  onPieceVerified?(piece: number): void
  /** A peer sent bad data (alone: proven; shared: one of several suspects). */
  blamePeer(key: string, shared: boolean): void
  /** What we want changed (a piece verified): every session re-decides its interest. */
  updateInterest(): void
  fail(err: unknown): void
}

/**
 * The data side of a torrent: picker + storage + upload serving. Sessions call in on wire events;
 * everything here is event-driven (a block arriving writes it and refills that peer's pipeline).
 */
export class Downloader {
  readonly storage: TorrentStorage
  /** The files as storage sees them: they can move while the torrent runs (TorrentMoves). */
  readonly places: RelocatingFiles
  readonly picker: PiecePicker
  private readonly readCache: PieceReadCache
  readonly choker: UploadChoker
  private readonly suspects = new SuspectPieces()
  private complete = false
  private readonly saver: ResumeSaver
  /** Each askable peer's share of the pieces in progress (request-share.ts). */
  private readonly share: RequestShare
  private readonly priorities?: FilePriority[]
  /** Which peers count as fast for time-critical (streaming) pieces. */
  private readonly fastPeers = new FastPeers(() => this.host.clock.now())
  /** The data plane's pieces (remote-pieces.ts) when it keeps them; null: storage buffers them here. */
  private remote: RemotePieces | null = null

  constructor(
    private readonly host: DownloaderHost,
    readonly info: InfoDictionary,
    where: { root: string; dir: string },
    priorities?: FilePriority[],
  ) {
    // Pieces still downloading share DOWNLOADING_BYTES; finished pieces waiting for their hash or
    // write may use up to as much again, so a slow hash/write does not stall every pipeline. Storage
    // refuses blocks past the total; canStartPiece keeps the picker from ever getting there.
    const maxBufferedBytes = 2 * DOWNLOADING_BYTES
    this.places = new RelocatingFiles(host.files)
    this.storage = new TorrentStorage(this.places, info, {
      root: where.root,
      baseDir: where.dir,
      priorities,
      maxBufferedBytes,
      hasher: host.hasher,
      log: host.log,
    })
    this.picker = new PiecePicker({
      pieceCount: info.pieceCount,
      pieceLength: info.pieceLength,
      totalLength: info.length,
      maxInProgress: this.inProgressPieces(),
      // started pieces count in full (their buffers appear only with their first block)
      canStartPiece: () =>
        this.storage.settlingBytes +
          (this.remote?.settlingBytes ?? 0) +
          (this.picker.downloadingCount() + 1) * info.pieceLength <=
          2 * this.downloadingBytes() &&
        // a full data plane store: one piece at a time (its blocks are put past the store's soft cap)
        (!this.remote?.storeFull() || this.picker.downloadingCount() === 0),
      onPieceAbandoned: (p) => this.remote?.discardPiece(p),
      now: () => host.clock.now(),
    })
    this.readCache = new PieceReadCache((p) => this.storage.readBlock(p, 0, pieceSize(info, p)), 16 * 1024 * 1024)
    this.choker = new UploadChoker({ sessions: () => host.sessions(), clock: host.clock, config: host.choker })
    this.priorities = priorities
    this.saver = new ResumeSaver(this.storage, host.state, resumeKey(host.infoHash), host.clock, 30_000)
    this.share = new RequestShare({
      budgetBlocks: () => (this.inProgressPieces() * info.pieceLength) / BLOCK,
      sessions: () => host.sessions(),
      now: () => host.clock.now(),
      minBlocks: 8,
    })
  }

  /**
   * How many started pieces may wait for blocks: a memory budget here, one scaled by the peers that
   * can be asked (16 to 64 MiB) in a data plane.
   */
  private inProgressPieces(): number {
    return Math.max(2, Math.floor(this.downloadingBytes() / this.info.pieceLength))
  }

  private downloadingBytes(): number {
    if (!this.remote) return DOWNLOADING_BYTES
    const askable = this.share?.askable ?? 0
    return Math.min(DATA_PLANE_DOWNLOADING_BYTES, Math.max(DOWNLOADING_BYTES, askable * DATA_PLANE_BYTES_PER_PEER))
  }

  async open(recheck: boolean): Promise<void> {
    await this.storage.prepare()
    await this.loadOrCheck(recheck)
    this.remote = await openRemotePieces(
      this.host.dataPlane?.() ?? null,
      this.storage,
      this.places,
      this.host.log,
      () => this.host.clock.now(),
    )
    this.picker.setMaxInProgress(this.inProgressPieces())
    this.picker.setPiecePriorities(this.storage.piecePriorities())
    for (let p = 0; p < this.info.pieceCount; p++) if (this.storage.have.has(p)) this.picker.markHave(p)
    this.complete = this.storage.isComplete()
  }

  private async loadOrCheck(full: boolean): Promise<void> {
    const state = this.host.state
    const key = resumeKey(this.host.infoHash)
    if (full) await recheck(this.storage)
    else await loadResume(this.storage, state, key)
    // An explicit selection (add with selectedFiles) wins over saved priorities.
    if (this.priorities) await this.storage.setFilePriorities(this.priorities)
    // the periodic saver tries again soon; a failed save only costs a recheck after a crash
    await saveResume(this.storage, state, key, this.host.clock.now()).catch((err: unknown) =>
      this.host.log.warn(`saving resume state failed: ${errorText(err)}`),
    )
    this.saver.start()
  }

  async close(): Promise<void> {
    await this.saver
      .stop()
      .catch((err: unknown) => this.host.log.warn(`saving resume state on close failed: ${errorText(err)}`))
    await this.storage.close()
    await this.remote
      ?.close()
      .catch((err: unknown) => this.host.log.debug?.(`closing the data plane's torrent: ${errorText(err)}`))
  }

  /** The platform's store of this torrent's pieces, when it keeps them (sockets are framed onto it). */
  get dataPlaneTorrent(): DataPlaneTorrent | null {
    return this.remote?.torrent ?? null
  }

  isComplete(): boolean {
    return this.complete
  }

  /** Our verified pieces (what the wire advertises). */
  get have(): LocalPieces {
    return this.storage.have
  }

  selectedBytes(): number {
    return wantedBytes(this.info, this.storage.piecePriorities()).selected
  }

  verifiedSelectedBytes(): number {
    return wantedBytes(this.info, this.storage.piecePriorities(), (p) => this.storage.have.has(p)).verified
  }

  /** Bytes of the whole torrent not verified yet, skipped files included (BEP 3's `left`). */
  missingBytes(): number {
    let n = this.info.length
    for (let p = 0; p < this.info.pieceCount; p++) if (this.storage.have.has(p)) n -= pieceSize(this.info, p)
    return n
  }

  wants(piece: number): boolean {
    return !this.storage.have.has(piece) && this.storage.piecePriorities()[piece]! > 0
  }

  async setFilePriority(index: number, priority: FilePriority): Promise<void> {
    await this.setFilePriorities([index], priority)
  }

  /** One priority for many files (a folder in the UI) in one change; indices out of range are ignored. */
  async setFilePriorities(indices: readonly number[], priority: FilePriority): Promise<void> {
    const prios = this.storage.filePriorities()
    let changed = false
    for (const i of indices) {
      if (i < 0 || i >= prios.length || prios[i] === priority) continue
      prios[i] = priority
      changed = true
    }
    if (!changed) return
    await this.storage.setFilePriorities(prios)
    this.picker.setPiecePriorities(this.storage.piecePriorities())
    // the torrent reads isComplete() next and moves its status
    this.complete = this.storage.isComplete()
  }

  filePriorities(): FilePriority[] {
    return this.storage.filePriorities()
  }

  /** Removes the torrent's files (and its folder for a multi-file torrent). */
  async deleteFiles(): Promise<void> {
    const files = this.places
    const root = this.storage.root
    const multi = this.info.files.length > 1 || this.info.files[0]?.path !== this.info.name
    const path = multi ? this.storage.dirPath(this.info.name) : this.storage.filePath(0)
    const removing = multi ? files.remove(root, path, { recursive: true }) : files.remove(root, path)
    // data that is already gone (or was never written) is not an error for a removal
    await removing.catch((err: unknown) => this.host.log.info(`removing ${path} failed: ${errorText(err)}`))
  }

  // ---- peers ----

  /** The peer's pieces became known (bitfield, have-all, have-none). */
  onPeerPieces(s: TradingPeer, pieces: Bitfield): void {
    if (pieces.count() === pieces.size) this.picker.addSeed(s.peer.key)
    else this.picker.addPeer(s.peer.key, pieces)
  }

  onPeerHave(s: TradingPeer, piece: number): void {
    this.picker.peerHave(s.peer.key, piece)
  }

  onPeerInterested(s: TradingPeer): void {
    this.choker.onInterested(s)
  }

  onPeerRemoved(s: TradingPeer): void {
    this.picker.removePeer(s.peer.key) // frees its outstanding requests too
    this.suspects.onPeerGone(s.peer.key)
    this.choker.onPeerRemoved(s)
  }

  /** Fill this peer's request pipeline from the picker. */
  fillRequests(s: TradingPeer): void {
    if (this.complete || !s.canRequest()) return
    let want = s.wantedRequests()
    if (want <= 0) return
    // Endgame: every block is requested somewhere. Duplicates go only to peers whose own pipeline
    // is nearly empty, a few at a time, so a deep pipeline does not re-download megabytes.
    if (this.picker.isEndgame()) want = Math.min(want, Math.max(0, ENDGAME_PIPELINE - s.requestCount()))
    else {
      want = Math.min(want, this.share.room(s))
      this.picker.setMaxInProgress(this.inProgressPieces()) // the share may have seen more or fewer peers
    }
    if (want <= 0) return
    const bucket = this.host.downloadBucket
    if (!bucket.unlimited) want = Math.min(want, Math.floor(bucket.take(want * BLOCK) / BLOCK))
    if (want <= 0) return
    const blocks = this.picker.pickBlocks(s.peer.key, s.bitfield, want, {
      allowedFast: s.allowedFastSet(),
      choked: s.peerChoking,
      ...(this.picker.deadlines.size > 0 ? { peerIsFast: this.fastPeers.isFast(s, this.host.sessions()) } : {}),
    })
    for (const b of blocks) {
      // a piece that failed with several senders is retried from one peer only
      if (this.suspects.size > 0 && !this.suspects.allow(b.piece, s.peer.key))
        this.picker.releaseBlock(s.peer.key, b.piece, b.begin)
      else {
        this.remote?.beforeRequest(b.piece)
        if (!s.request(b.piece, b.begin, b.length)) this.picker.releaseBlock(s.peer.key, b.piece, b.begin)
      }
    }
  }

  /**
   * Deadline pieces appeared: withdraw every queued request for other pieces (a slow peer serves
   * requests in order, so the urgent blocks would wait behind seconds of ordinary ones) and refill.
   */
  preemptForDeadlines(): void {
    for (const s of this.host.sessions()) {
      for (const b of this.picker.requestsOf(s.peer.key)) {
        if (this.picker.deadlines.get(b.piece)) continue
        s.cancel(b.piece, b.begin, b.length)
        this.picker.releaseBlock(s.peer.key, b.piece, b.begin)
      }
      this.fillRequests(s)
    }
  }

  /** A requested block arrived. */
  onBlock(s: TradingPeer, piece: number, begin: number, data: Uint8Array): void {
    this.onSourceBlock(s.peer.key, piece, begin, data)
    this.fillRequests(s)
  }

  /** A block from `key`, a peer or a web seed: stored, verified, and its sender credited or blamed. */
  onSourceBlock(key: string, piece: number, begin: number, data: Uint8Array): void {
    this.host.onDownloaded(data.length)
    const cancels = this.picker.onBlockReceived(key, piece, begin)
    for (const other of cancels) this.host.session(other)?.cancel(piece, begin, data.length)
    this.settle(piece, begin, (this.remote ?? this.storage).writeBlock(piece, begin, data, key))
  }

  /** A framed peer's block the data plane kept (STORED): counted like a block with its bytes. */
  onStored(s: TradingPeer, piece: number, begin: number, length: number): void {
    const key = s.peer.key
    this.host.onDownloaded(length)
    const cancels = this.picker.onBlockReceived(key, piece, begin)
    for (const other of cancels) this.host.session(other)?.cancel(piece, begin, length)
    const stored = this.remote
      ? this.remote.markStored(piece, begin, length, key)
      : Promise.reject(new IoError('invalid', 'a stored block without a data plane'))
    this.settle(piece, begin, stored)
    this.fillRequests(s)
  }

  /** The data plane kept a block `s` sent unasked: if the piece then fails, `s` is one of its suspects. */
  onStrayStored(s: TradingPeer, piece: number): void {
    this.remote?.suspect(piece, s.peer.key)
  }

  private settle(piece: number, begin: number, result: Promise<BlockWriteResult>): void {
    result.then(
      (r) => {
        if (r.status === 'verified') this.onVerified(r.piece, r.contributors.map(String))
        else if (r.status === 'failed') this.onFailed(r.piece, r.contributors.map(String))
        else if (r.status === 'lost') this.onLost(r.piece)
      },
      (err: unknown) => {
        if (!this.host.isActive()) return // stopping closed the files under in-flight writes
        if (err instanceof IoError && (err.code === 'busy' || err.code === 'invalid')) {
          // the picker already counted it received: free it so someone fetches it again (from a
          // full data plane store a little later, rather than at once in a loop with the peer)
          if (err.code === 'busy' && this.remote)
            this.host.clock.setTimeout(() => this.picker.unreceiveBlock(piece, begin), STORE_BUSY_RETRY_MS)
          else this.picker.unreceiveBlock(piece, begin)
          return
        }
        this.host.fail(err)
      },
    )
  }

  /** May source `key` (a web seed) be asked for `piece`? A suspect piece is retried by one sender only. */
  allowSource(piece: number, key: string): boolean {
    return this.suspects.size === 0 || this.suspects.allow(piece, key)
  }

  /** A source that is not a peer session (a web seed) left: its pieces and requests no longer count. */
  onSourceGone(key: string): void {
    this.picker.removePeer(key)
    this.suspects.onPeerGone(key)
  }

  /** Blocks we will not get from this peer (choked, rejected, timed out): let others fetch them. */
  onBlocksLost(s: TradingPeer, blocks: Array<{ piece: number; begin: number }>): void {
    for (const b of blocks) this.picker.releaseBlock(s.peer.key, b.piece, b.begin)
  }

  private onVerified(piece: number, contributors: string[]): void {
    this.picker.onPieceVerified(piece)
    this.host.onPieceVerified?.(piece)
    if (this.suspects.isSuspect(piece)) this.judge(this.suspects.onVerified(piece, contributors))
    this.readCache.drop(piece)
    for (const s of this.host.sessions()) s.sendHave(piece)
    if (!this.complete && this.storage.isComplete()) {
      this.complete = true
      void this.saver
        .saveNow()
        .catch((err: unknown) => this.host.log.warn(`saving resume state at completion failed: ${errorText(err)}`))
      this.host.onComplete()
    }
    this.host.updateInterest()
    // A finished piece frees an in-progress slot (and storage buffer): keep every pipeline full.
    for (const s of this.host.sessions()) this.fillRequests(s)
  }

  private onFailed(piece: number, contributors: string[]): void {
    this.picker.onPieceFailed(piece)
    this.host.onHashFailure(piece, contributors)
    this.judge(this.suspects.onFailed(piece, contributors))
    for (const s of this.host.sessions()) this.fillRequests(s)
  }

  /** The piece's data was lost before it could be checked (not its senders' fault): fetch it again. */
  private onLost(piece: number): void {
    this.host.log.debug?.(`piece ${piece} was lost before its check; fetching it again`)
    this.picker.onPieceFailed(piece)
    for (const s of this.host.sessions()) this.fillRequests(s)
  }

  private judge(v: Verdict): void {
    for (const key of v.alone) this.host.blamePeer(key, false)
    for (const key of v.shared) this.host.blamePeer(key, true)
  }

  // ---- upload ----

  /** A peer we unchoked asked for a block. */
  async serveRequest(s: TradingPeer, piece: number, begin: number, length: number): Promise<void> {
    if (!this.storage.have.has(piece)) {
      s.reject(piece, begin, length)
      return
    }
    const bucket = this.host.uploadBucket
    if (!bucket.unlimited) {
      for (let guard = 0; guard < 600 && bucket.take(length) < length; guard++) {
        await new Promise<void>((r) => this.host.clock.setTimeout(r, Math.max(10, bucket.waitMs(length))))
        if (!s.isOpen()) return
      }
    }
    if (this.remote && s.framed?.()) {
      // the platform reads and sends it; a read error rejects the request (as below)
      const onError = () => this.host.log.debug?.(`the data plane could not read piece ${piece} to upload`)
      if (s.sendStoredBlock?.(piece, begin, length, onError)) this.host.onUploaded(length)
      return
    }
    let data: Uint8Array
    try {
      const whole = await this.readCache.get(piece)
      if (begin + length > whole.length) {
        s.reject(piece, begin, length)
        return
      }
      data = whole.subarray(begin, begin + length)
    } catch (err) {
      // the peer is told no (BEP 6 reject) and may ask someone else
      this.host.log.debug?.(`reading piece ${piece} to upload failed: ${errorText(err)}`)
      s.reject(piece, begin, length)
      return
    }
    if (s.sendPiece(piece, begin, data)) this.host.onUploaded(length)
  }

  // ---- maintenance ----

  tick(n: number): void {
    this.choker.tick(n)
    for (const s of this.host.sessions()) this.fillRequests(s)
  }

  // ---- views ----

  fileRows(): FileRow[] {
    const prios = this.storage.filePriorities()
    const verified = fileVerifiedBytes(this.info, this.storage.have)
    return this.info.files.map((f, index) => {
      const done = verified[index]!
      return {
        index,
        path: f.path,
        size: f.length,
        downloaded: done,
        progress: f.length > 0 ? done / f.length : 1,
        priority: prios[index] ?? 'normal',
      }
    })
  }

  /** The platform's data plane receives, checks and writes this torrent's pieces (else they come here). */
  keepsPiecesOnPlatform(): boolean {
    return this.remote !== null
  }

  piecesView(): PiecesView {
    const states = new Uint8Array(this.info.pieceCount)
    const prio = this.storage.piecePriorities()
    for (let p = 0; p < states.length; p++) {
      states[p] = this.storage.have.has(p) ? 2 : prio[p] === 0 ? 3 : this.picker.isInProgress(p) ? 1 : 0
    }
    return { pieceCount: this.info.pieceCount, pieceLength: this.info.pieceLength, states }
  }
}
