import { readFileSync } from 'node:fs'
import { IoError } from '@tidepool/engine'
import type { Resource, SessionContext } from './session-context.ts'

/**
 * Resource caps that keep one client (or a remote flood of a listen port) from exhausting the
 * daemon's file descriptors or memory. Beyond a cap an op answers `busy`; an incoming socket is
 * closed at once and counted in `acceptsRefused`.
 */
export interface DaemonCaps {
  /** TCP sockets open daemon-wide (connected + accepted). */
  maxSockets: number
  /** Accepted sockets open at once per listener. */
  maxAcceptedPerListener: number
  maxFilesPerClient: number
  maxListenersPerClient: number
  maxUdpPerClient: number
  /** Requests of one client waiting for their reply. */
  maxRequestsInFlight: number
  /** WebSocket connections that have not sent a good hello yet; beyond it a new upgrade drops the oldest. */
  maxPreAuthSessions: number
  /** TCP connections to the daemon port that have not upgraded yet; beyond it the oldest is closed. */
  maxPendingHttp: number
  /** Largest frame accepted before hello succeeds. */
  maxPreAuthFrameBytes: number
  /** Largest range of one fs.sha1 request. */
  maxSha1Bytes: number
  /** fs.list returns at most this many entries per reply (then `next`). */
  maxListEntries: number
  /**
   * Bytes the daemon holds for one TCP socket that the OS has not taken yet. A client stops at EVENT
   * full; one that keeps sending past it has the socket closed (`too-large`) instead of growing this.
   */
  maxSendBufferBytes: number
}

/** Soft RLIMIT_NOFILE from /proc (Linux); undefined where unknown. Node has no getrlimit. */
export function fdLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    if (!m || m[1] === 'unlimited') return undefined
    return Number(m[1])
  } catch {
    return undefined
  }
}

/** Defaults, with the socket caps kept well under the process fd limit (half of it for sockets). */
export function defaultCaps(nofile = fdLimit()): DaemonCaps {
  const maxSockets = nofile ? Math.max(16, Math.min(4096, Math.floor(nofile / 2))) : 4096
  return {
    maxSockets,
    maxAcceptedPerListener: Math.min(1024, maxSockets),
    maxFilesPerClient: nofile ? Math.max(8, Math.min(256, Math.floor(nofile / 8))) : 256,
    maxListenersPerClient: 32,
    maxUdpPerClient: 64,
    maxRequestsInFlight: 256,
    maxPreAuthSessions: 256,
    maxPendingHttp: 256,
    maxPreAuthFrameBytes: 4096,
    maxSha1Bytes: 64 * 1024 * 1024,
    maxListEntries: 20_000,
    // Twice what a client that stops at `full` can have in flight: its own WebSocket buffer (8 MiB).
    maxSendBufferBytes: 16 * 1024 * 1024,
  }
}

/** Counts of things the caps refused (part of the daemon's stats). */
export interface CapCounters {
  acceptsRefused: number
  capBusy: number
  /** TCP sockets closed because their client sent past maxSendBufferBytes. */
  sendCapCloses: number
}

const capsBySession = new WeakMap<object, { caps: DaemonCaps; counts: CapCounters }>()

/** Session constructor registers its caps so op modules can find them through their context. */
export function registerCaps(ctx: object, caps: DaemonCaps, counts: CapCounters): void {
  capsBySession.set(ctx, { caps, counts })
}

export function capsOf(ctx: object): { caps: DaemonCaps; counts: CapCounters } {
  return capsBySession.get(ctx) ?? { caps: defaultCaps(), counts: { acceptsRefused: 0, capBusy: 0, sendCapCloses: 0 } }
}

/** Throws `busy` when the client already holds `max` handles of `kind`. */
export function checkHandleCap(ctx: SessionContext, kind: Resource['kind'], max: number): void {
  let n = 0
  for (const r of ctx.handles.values()) if (r.kind === kind && ++n >= max) break
  if (n >= max) {
    capsOf(ctx).counts.capBusy++
    throw new IoError('busy', `at most ${max} open ${kind} handles per client`)
  }
}

/** Throws `busy` when the daemon holds its total of TCP sockets. */
export function checkSocketCap(ctx: SessionContext): void {
  const { caps, counts } = capsOf(ctx)
  if (ctx.counters.sockets >= caps.maxSockets) {
    counts.capBusy++
    throw new IoError('busy', `the daemon holds its maximum of ${caps.maxSockets} sockets`)
  }
}
