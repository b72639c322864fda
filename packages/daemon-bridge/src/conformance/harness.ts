import { IoError } from '@tidepool/engine'
import { WebSocket } from 'ws'
import { connectBridge, type BridgeClient } from '../bridge-client.ts'
import type { WebSocketCtor, WebSocketLike } from '../websocket-like.ts'
import { RawConn } from './raw-conn.ts'

export interface ConformanceTarget {
  url: string
  token: string
  /** Origin to send; the daemon must allow it (or allow no Origin when undefined). */
  origin?: string
  /**
   * Opens a client connection some other way than a WebSocket to `url` (a daemon in the same
   * process: `RunningDaemon.connectInProcess`). Cases' clients then use it; raw-frame cases still
   * connect to `url`.
   */
  socket?: () => WebSocketLike
  /**
   * The secure transport (a companion daemon, docs/daemon-protocol.md §12): every connection, the raw
   * ones too, is opened by this (WebSocket, IK handshake) and speaks the protocol inside the channel.
   * Cases about the outer WebSocket itself (upgrade checks, fragments, masking) are skipped.
   */
  secure?: (origin?: string) => Promise<WebSocketLike>
}

/** What a case gets: fresh connections that are closed after the case. */
export class CaseContext {
  readonly root = 'conformance'
  private readonly clients: BridgeClient[] = []
  private readonly raws: RawConn[] = []
  readonly cleanups: Array<() => unknown> = []

  constructor(
    readonly target: ConformanceTarget,
    /** A directory name unique to this run, inside the conformance root. */
    readonly dir: string,
  ) {}

  get port(): number {
    return Number(new URL(this.target.url).port)
  }

  /** A client; `wsOptions` go to the `ws` constructor (e.g. a zero masking key). */
  async client(wsOptions?: Record<string, unknown>): Promise<BridgeClient> {
    const { url, token, origin, socket, secure } = this.target
    const c = secure
      ? await connectBridge({ url, token, socket: await secure(origin), sendMode: 'fragments' })
      : socket
        ? await connectBridge({ url, token, socket: socket(), sendMode: 'fragments' })
        : await connectBridge({ url, token, origin, WebSocketImpl: WebSocket as unknown as WebSocketCtor, wsOptions })
    this.clients.push(c)
    return c
  }

  async raw(opts: { origin?: string | null; hello?: boolean } = {}): Promise<RawConn> {
    const origin = opts.origin === null ? undefined : (opts.origin ?? this.target.origin)
    const r = this.target.secure
      ? RawConn.over(await this.target.secure(origin))
      : await RawConn.open(this.target.url, origin)
    this.raws.push(r)
    if (opts.hello) await r.hello(this.target.token)
    return r
  }

  async dispose(): Promise<void> {
    // A fixture that fails to close (its server already gone with a failed case) must not hide the
    // case's own result or keep the other cleanups from running.
    for (const f of this.cleanups.splice(0).reverse()) await Promise.resolve(f()).catch(() => undefined)
    for (const c of this.clients.splice(0)) c.close()
    for (const r of this.raws.splice(0)) r.close()
  }
}

export interface ConformanceCase {
  id: string
  title: string
  run(ctx: CaseContext): Promise<void>
  /** Checks the outer WebSocket or the HTTP upgrade as such: not run over the secure transport. */
  plainOnly?: true
}

export class CheckFailed extends Error {}

export function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new CheckFailed(message)
}

/** Awaits `p` and checks it rejected with an IoError of `code`. */
export async function rejectsWith(p: Promise<unknown>, code: string, what: string): Promise<void> {
  let got: unknown
  try {
    await p
  } catch (e) {
    got = e
  }
  if (got === undefined) throw new CheckFailed(`${what}: expected error ${code}, it succeeded`)
  const c = got instanceof IoError ? got.code : (got as { code?: string })?.code
  if (c !== code) throw new CheckFailed(`${what}: expected error ${code}, got ${c ?? String(got)}`)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Resolves with `p`, or rejects after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, rej) => {
      t = setTimeout(() => rej(new CheckFailed(`${what}: no answer within ${ms} ms`)), ms)
    }),
  ])
}
