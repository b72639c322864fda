import { randomBytes } from 'node:crypto'
import { Ev } from '@tidepool/daemon-bridge'
import { IoError } from '@tidepool/engine'
import type { SessionContext } from './session-context.ts'
import type { StreamRegistry } from './stream-registry.ts'
import { handleOf } from './tcp-ops.ts'

/** Streams one client may publish at once. */
const MAX_STREAMS_PER_CLIENT = 64
/** Default and bounds of how long a reader waits for stream.ready before its request fails. */
const DEFAULT_WAIT_MS = 60_000
const MIN_WAIT_MS = 200
const MAX_WAIT_MS = 600_000

interface Pending {
  resolve: () => void
  reject: (e: Error) => void
  timer: ReturnType<typeof setTimeout>
}

interface Published {
  secret: string
  pending: Map<number, Pending>
}

/**
 * The stream-http capability of one session (docs/daemon-protocol.md §4.7): files it publishes under
 * fresh secrets, and the byte ranges readers are waiting for (EVENT stream.need → op stream.ready).
 */
export class SessionStreams {
  private readonly streams = new Map<number, Published>()
  private nextReq = 1

  constructor(
    private readonly ctx: SessionContext,
    private readonly registry: StreamRegistry,
  ) {}

  async publish(meta: Record<string, unknown>): Promise<object> {
    const { root, path, length, name } = meta
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0)
      throw new IoError('invalid', 'length must be a non-negative integer')
    const waitMs =
      meta.waitMs === undefined
        ? DEFAULT_WAIT_MS
        : typeof meta.waitMs === 'number' && meta.waitMs >= MIN_WAIT_MS && meta.waitMs <= MAX_WAIT_MS
          ? meta.waitMs
          : -1
    if (waitMs < 0) throw new IoError('invalid', `waitMs must be ${MIN_WAIT_MS}..${MAX_WAIT_MS}`)
    const absPath = await this.ctx.guard.resolve(root, path)
    if (this.streams.size >= MAX_STREAMS_PER_CLIENT)
      throw new IoError('busy', `at most ${MAX_STREAMS_PER_CLIENT} published streams per client`)
    if (this.ctx.closed) throw new IoError('closed', 'session closed')
    const handle = this.ctx.newHandle()
    // 256 bits from the CSPRNG, URL-safe: the URL is the only key to the file
    const secret = randomBytes(32).toString('base64url')
    const pub: Published = { secret, pending: new Map() }
    this.streams.set(handle, pub)
    const fileName = typeof name === 'string' && name !== '' ? name : String(path).split('/').pop()!
    this.registry.add(secret, {
      absPath,
      length,
      name: fileName,
      need: (offset, len) => this.need(handle, pub, offset, len, waitMs),
    })
    return { handle, secret, url: this.registry.urlOf(secret) }
  }

  unpublish(meta: Record<string, unknown>): object {
    const handle = handleOf(meta)
    if (!this.streams.has(handle)) throw new IoError('closed', 'no published stream with this handle')
    this.drop(handle)
    return {}
  }

  ready(meta: Record<string, unknown>): object {
    const pub = this.streams.get(handleOf(meta))
    if (!pub) throw new IoError('closed', 'no published stream with this handle')
    const req = meta.req
    if (typeof req !== 'number') throw new IoError('invalid', 'req must be a number')
    const p = pub.pending.get(req)
    // a reader that gave up (timeout, closed) may be answered late: that is not an error
    if (!p) return {}
    pub.pending.delete(req)
    clearTimeout(p.timer)
    if (typeof meta.error === 'string') p.reject(new IoError('io', meta.error))
    else p.resolve()
    return {}
  }

  private need(
    handle: number,
    pub: Published,
    offset: number,
    length: number,
    waitMs: number,
  ): { ready: Promise<void>; cancel(): void } {
    const req = this.nextReq++
    let settle: Pending | undefined
    let told = false
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pub.pending.delete(req)
        told = true
        this.gone(handle, req)
        reject(new IoError('timeout', `the client did not make the bytes ready within ${waitMs} ms`))
      }, waitMs)
      settle = { resolve, reject, timer }
      pub.pending.set(req, settle)
    })
    this.ctx.event(handle, Ev.streamNeed, { req, offset, length })
    return {
      ready,
      // the reader went away: whether or not this ask was answered, the client hears it once
      cancel: () => {
        if (pub.pending.delete(req)) clearTimeout(settle!.timer)
        if (told) return
        told = true
        this.gone(handle, req)
      },
    }
  }

  private gone(handle: number, req: number): void {
    if (!this.ctx.closed && this.streams.has(handle)) this.ctx.event(handle, Ev.streamGone, { req })
  }

  private drop(handle: number): void {
    const pub = this.streams.get(handle)
    if (!pub) return
    this.streams.delete(handle)
    this.registry.remove(pub.secret)
    for (const p of pub.pending.values()) {
      clearTimeout(p.timer)
      p.reject(new IoError('closed', 'stream unpublished'))
    }
    pub.pending.clear()
  }

  dispose(): void {
    for (const h of [...this.streams.keys()]) this.drop(h)
  }
}
