import type { DaemonLimits } from '@tidepool/daemon-bridge'
import type { ConnectGate } from './connect-gate.ts'
import type { PathGuard } from './path-guard.ts'

/** Daemon-wide counters (stats() of startDaemon). */
export interface DaemonCounters {
  clients: number
  sockets: number
  listeners: number
  udpSockets: number
  files: number
  bytesToClients: number
  bytesFromClients: number
}

/** One open thing a client holds by handle. */
export interface Resource {
  readonly kind: 'tcp' | 'listener' | 'udp' | 'file' | 'move'
  /** Close without telling the client (client asked, or the session is going away). */
  close(): void
  /** A DATA frame from the client for this handle. */
  onData?(payload: Uint8Array, meta: Record<string, unknown>): void
  onCredit?(bytes: number): void
  /** The session's WebSocket send buffer went over / back under its high-water mark. */
  onCongestion?(congested: boolean): void
  /** Listeners and UDP sockets: the local address and port they are bound to. */
  bound?(): { address: string; port: number } | undefined
}

/** What op modules may use of their session. */
export interface SessionContext {
  readonly limits: DaemonLimits
  readonly gate: ConnectGate
  readonly guard: PathGuard
  readonly counters: DaemonCounters
  readonly handles: Map<number, Resource>
  /** True while the WebSocket send buffer is over its high-water mark. */
  readonly congested: boolean
  readonly closed: boolean
  newHandle(): number
  /** Sends one encoded frame; returns after queueing (never waits). */
  send(frame: Uint8Array): void
  event(handle: number, ev: number, meta?: object): void
  /** Runs `fn` at the end of this event-loop turn (once per turn for all callers). */
  defer(fn: () => void): void
  /** A listener or UDP socket of this session closed (its port mapping, if any, goes with it). */
  released(handle: number): void
}
