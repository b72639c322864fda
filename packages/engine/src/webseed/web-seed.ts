import type { WebSeedState } from '../api/types.ts'
import { HttpError } from '../http/http-error.ts'
import type { HttpAgent, HttpAgentResponse } from '../http/http-agent.ts'
import type { InfoDictionary } from '../metainfo/parse-info.ts'
import type { Logger } from '../platform/ports.ts'
import { utf8Decode } from '../util/bytes.ts'
import type { Clock } from '../util/clock.ts'
import { errorText } from '../util/log.ts'
import { RateMeter } from '../wire/rate-meter.ts'
import { Backoff, retryAfterMs } from './webseed-backoff.ts'
import { fileSpans, groupRuns, splitRun, type ByteRun, type PlannedBlock } from './webseed-plan.ts'
import { bep17Url, bep19FileUrl, type WebSeedSource } from './webseed-url.ts'

const BLOCK = 16 * 1024
/** A first request asks for at least this much (or one piece), later ones ~3 s of the seed's rate. */
const MIN_REQUEST_BYTES = 256 * 1024
const MAX_REQUEST_BYTES = 4 * 1024 * 1024
const RATE_WINDOW_SEC = 3
/** A request may take 15 s plus this slow a transfer before the seed counts as failing. */
const MIN_RATE_BYTES_PER_SEC = 32 * 1024
/**
 * Requests under way at once (each on its own kept connection): while one body is being handed to
 * storage and the next request's round trip runs, the other keeps the server sending.
 */
const PARALLEL = 2
/** Hash failures this seed shared with other senders before it is dropped anyway. */
const MAX_SHARED_FAILURES = 2

/** What a web seed may use of its torrent's data side. */
export interface WebSeedHost {
  readonly info: InfoDictionary
  agent(): HttpAgent
  readonly clock: Clock
  readonly log: Logger
  /** Blocks for this source, about `bytes` of them as runs of whole pieces where it can; [] when none is wanted. */
  pick(key: string, bytes: number): PlannedBlock[]
  /** Blocks it will not deliver after all. */
  release(key: string, blocks: readonly PlannedBlock[]): void
  /** A block arrived: stored and verified like a peer's block. */
  deliver(key: string, piece: number, begin: number, data: Uint8Array): void
  /** Bytes the download rate limit would let through now (at most `wanted`); nothing is taken yet. */
  allowance(wanted: number): number
  /** Bytes asked for: charged to the download rate limit. */
  spend(bytes: number): void
  /** The seed was dropped: it no longer counts anywhere. */
  onDropped(key: string, reason: string): void
}

class RequestFailure extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message)
  }
}

/**
 * One web seed (BEP 19 or BEP 17): a permanently unchoked seed reached over HTTP. It asks its
 * host for piece runs, fetches each run with as few range requests as the file layout allows, and
 * hands the blocks back to be verified like peer data. Two requests at once; on failure it backs
 * off (exponentially, or as long as the server asked), and it is dropped when it sends bad data.
 */
export class WebSeed {
  readonly key: string
  readonly rate: RateMeter
  /** Requests under way. */
  private jobs = 0
  private running = false
  private stateNow: WebSeedState = 'idle'
  private dropReason?: string
  private lastError?: string
  private readonly backoff = new Backoff()
  private bytes = 0
  private inFlight = 0
  private sharedFailures = 0
  /** Bumped on stop, so answers to requests of an earlier run are ignored. */
  private generation = 0

  constructor(
    readonly source: WebSeedSource,
    private readonly host: WebSeedHost,
  ) {
    this.key = source.url
    this.rate = new RateMeter(() => host.clock.now(), 5)
  }

  get state(): WebSeedState {
    if (this.dropReason !== undefined) return 'dropped'
    if (!this.running) return 'stopped'
    if (this.jobs > 0) return 'downloading'
    return this.backoff.ready(this.host.clock.now()) ? this.stateNow : 'backoff'
  }

  get downloaded(): number {
    return this.bytes
  }

  /** Blocks asked of it now. */
  get requests(): number {
    return this.inFlight
  }

  get error(): string | undefined {
    return this.dropReason ?? this.lastError
  }

  /** Seconds until it is asked again while backing off. */
  retryInSec(): number | undefined {
    const ms = this.backoff.retryAt - this.host.clock.now()
    return this.state === 'backoff' && ms > 0 ? Math.ceil(ms / 1000) : undefined
  }

  start(): void {
    if (this.dropReason !== undefined) return
    this.running = true
    this.kick()
  }

  /** Stops asking; a request under way is left to finish and its blocks given back. */
  stop(): void {
    this.running = false
    this.generation++
  }

  /** Starts requests while fewer than PARALLEL run, it is not backing off, and something is wanted. */
  kick(): void {
    for (let i = 0; i < PARALLEL && this.jobs < PARALLEL; i++) if (!this.startOne()) return
  }

  private startOne(): boolean {
    if (!this.running || this.dropReason !== undefined) return false
    if (!this.backoff.ready(this.host.clock.now())) return false
    const info = this.host.info
    const target = Math.min(
      MAX_REQUEST_BYTES,
      Math.max(MIN_REQUEST_BYTES, info.pieceLength, this.rate.rate() * RATE_WINDOW_SEC),
    )
    const allowed = this.host.allowance(target)
    if (allowed < Math.min(BLOCK, info.length)) return false // rate limit: the next tick tries again
    const blocks = this.host.pick(this.key, allowed)
    if (blocks.length === 0) {
      this.stateNow = 'idle'
      return false
    }
    // charged for what was picked, not what was hoped for (nothing to pick costs the peers nothing)
    this.host.spend(blocks.reduce((n, b) => n + b.length, 0))
    this.jobs++
    this.inFlight += blocks.length
    void this.fetch(blocks, this.generation)
    return true
  }

  /** The seed sent data that failed verification: alone, it is dropped; shared, after a few. */
  blame(shared: boolean): void {
    if (!shared) this.drop('sent data that failed verification')
    else if (++this.sharedFailures >= MAX_SHARED_FAILURES) this.drop('shared in repeated verification failures')
  }

  drop(reason: string): void {
    if (this.dropReason !== undefined) return
    this.dropReason = reason
    this.running = false
    this.generation++
    this.host.log.info(`web seed ${this.key} dropped: ${reason}`)
    this.host.onDropped(this.key, reason)
  }

  private async fetch(blocks: PlannedBlock[], gen: number): Promise<void> {
    const info = this.host.info
    const runs = groupRuns(blocks, info.pieceLength)
    let i = 0
    try {
      for (; i < runs.length; i++) {
        if (gen !== this.generation) break
        const run = runs[i]!
        const data = await this.fetchRun(run)
        if (gen !== this.generation) break
        for (const b of splitRun(run, data, info.pieceLength)) {
          this.inFlight--
          this.host.deliver(this.key, b.piece, b.begin, b.data)
        }
      }
      if (i === runs.length) {
        this.backoff.succeed()
        this.lastError = undefined
      }
    } catch (err) {
      const retry = err instanceof RequestFailure ? err.retryAfterMs : undefined
      this.lastError = errorText(err)
      // the other request failing the same way is the same failure, not a second one
      if (gen === this.generation && this.backoff.ready(this.host.clock.now())) {
        const delay = this.backoff.fail(this.host.clock.now(), retry)
        this.host.log.info(`web seed ${this.key}: ${this.lastError}; asking again in ${Math.round(delay / 1000)} s`)
      }
    } finally {
      // what was not delivered goes back to the picker for anyone to fetch
      const undelivered = runs.slice(i).flatMap((r) => r.blocks)
      if (undelivered.length) this.host.release(this.key, undelivered)
      this.inFlight = Math.max(0, this.inFlight - undelivered.length)
      this.jobs--
    }
    if (gen === this.generation) this.kick()
  }

  /** The bytes of one run: one range request per file it touches (BEP 19), one per piece (BEP 17). */
  private async fetchRun(run: ByteRun): Promise<Uint8Array> {
    const info = this.host.info
    const out = new Uint8Array(run.length)
    if (this.source.kind === 'httpseeds') {
      let pos = run.start
      while (pos < run.start + run.length) {
        const piece = Math.floor(pos / info.pieceLength)
        const pieceStart = piece * info.pieceLength
        const pieceEnd = Math.min(pieceStart + info.pieceLength, info.length)
        const end = Math.min(pieceEnd, run.start + run.length)
        const whole = pos === pieceStart && end === pieceEnd
        const url = bep17Url(
          this.source.url,
          info.infoHashBytes,
          piece,
          whole ? [] : [{ begin: pos - pieceStart, length: end - pos }],
        )
        const res = await this.get(url, end - pos, {})
        if (res.status !== 200) throw failure(res, this.host.clock.now())
        if (res.body.length !== end - pos)
          throw new RequestFailure(`piece ${piece}: ${res.body.length} bytes for ${end - pos} asked`)
        out.set(res.body, pos - run.start)
        pos = end
      }
      return out
    }
    for (const span of fileSpans(info, run.start, run.length)) {
      if (span.padding) continue // zeros already
      const file = info.files[span.file]!
      const url = bep19FileUrl(this.source.url, info, span.file)
      const whole = span.fileOffset === 0 && span.length === file.length
      const last = span.fileOffset + span.length - 1
      const res = await this.get(url, span.length, { Range: `bytes=${span.fileOffset}-${last}` })
      if (res.status === 206) {
        const cr = /^bytes (\d+)-(\d+)\//.exec(res.headers.get('content-range') ?? '')
        if (cr && (Number(cr[1]) !== span.fileOffset || Number(cr[2]) !== last))
          throw new RequestFailure(`${file.path}: answered range ${cr[1]}-${cr[2]} for ${span.fileOffset}-${last}`)
      } else if (res.status !== 200 || !whole) {
        throw res.status === 200
          ? new RequestFailure(`${res.url} ignores Range requests`)
          : failure(res, this.host.clock.now())
      }
      if (res.body.length !== span.length)
        throw new RequestFailure(`${file.path}: ${res.body.length} bytes for ${span.length} asked`)
      out.set(res.body, span.runOffset)
    }
    return out
  }

  private get(url: string, length: number, headers: Record<string, string>): Promise<HttpAgentResponse> {
    return this.host
      .agent()
      .get(url, {
        headers,
        maxBytes: Math.max(length, 64 * 1024), // an error page may be longer than a short range
        timeoutMs: 15_000 + (length / MIN_RATE_BYTES_PER_SEC) * 1000,
        maxRedirects: 5,
        onBody: (n) => {
          this.bytes += n
          this.rate.add(n)
        },
      })
      .catch((err: unknown) => {
        // a whole file sent for a range is cut off by the size cap before its status is seen
        if (err instanceof HttpError && err.code === 'too-large' && headers.Range)
          throw new RequestFailure(`${url} sent more than the range asked (ignores Range requests?)`)
        throw new RequestFailure(err instanceof HttpError ? `${err.code}: ${err.message}` : errorText(err))
      })
  }
}

function failure(res: HttpAgentResponse, now: number): RequestFailure {
  const body = res.body.length <= 64 ? utf8Decode(res.body) : undefined
  const retry =
    res.status === 503 || res.status === 429 ? retryAfterMs(res.headers.get('retry-after'), now, body) : undefined
  return new RequestFailure(`HTTP ${res.status} from ${res.url}`, retry)
}
