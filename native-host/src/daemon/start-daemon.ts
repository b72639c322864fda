import { createHash } from 'node:crypto'
import http from 'node:http'
import type net from 'node:net'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type ServerOptions } from 'ws'
import { DEFAULT_LIMITS, MAX_MESSAGE_FRAGMENTS, type DaemonLimits, type WebSocketLike } from '@tidepool/daemon-bridge'
import { ConnectGate } from './connect-gate.ts'
import { defaultCaps, type CapCounters, type DaemonCaps } from './handle-caps.ts'
import { PathGuard } from './path-guard.ts'
import { PreAuthPool } from './pre-auth-pool.ts'
import { InProcessLink, type SessionSocket } from './in-process-link.ts'
import { HELLO_TIMEOUT_MS, Session } from './session.ts'
import type { DaemonCounters } from './session-context.ts'
import { refuseUpgrade } from './upgrade-check.ts'
import { PortMapper, type PortMapperOptions } from './portmap/port-mapper.ts'
import type { CompanionGate } from './companion/companion-gate.ts'
import { HashPool } from './data-plane/hash-pool.ts'
import { RootGrants } from './root-grants.ts'
import { serveStream } from './stream-http.ts'
import { StreamRegistry } from './stream-registry.ts'

export interface DaemonOptions {
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string
  /** 0 (default) picks a free port. */
  port?: number
  token: string
  /** Root name → directory. */
  roots: Record<string, string>
  /** Exact Origin values allowed at the upgrade (e.g. chrome-extension://<id>). */
  allowOrigins?: string[]
  /** Allow clients that send no Origin (non-browser processes). Default true. */
  allowNoOrigin?: boolean
  limits?: Partial<DaemonLimits>
  /** Close connections that have not authenticated within this time. Default 3 s. */
  helloTimeoutMs?: number
  /** Resource caps (handle-caps.ts); defaults derive from the process fd limit. */
  caps?: Partial<DaemonCaps>
  /**
   * false: no WebSocket listener at all, clients only through `connectInProcess()` (the CLI's own
   * daemon: no port for anything else on the machine to knock on). Default true.
   */
  listen?: boolean
  /**
   * Offer UDP multicast to clients (the `udp-multicast` capability: local peer discovery). Default true,
   * unless the environment has TIDEPOOL_NO_MULTICAST=1: the test suite, benchmarks and soak set it, so
   * no engine they start sends multicast from this machine unless a test says so itself.
   */
  multicast?: boolean
  /**
   * Map clients' listen ports on the gateway (UPnP IGD, NAT-PMP, PCP) and announce the `portmap`
   * capability. Off unless given: SSDP multicast and NAT-PMP reach the LAN, so only the product's
   * entry points turn it on (and never under TIDEPOOL_NO_PORT_MAPPING=1, see portMappingAllowed).
   */
  portMapping?: boolean | PortMapperOptions
  /**
   * Companion mode (docs/native-host.md "Companion"): listen on `host` (a LAN address), and run every
   * upgraded connection through the gate's pairing / secure-channel handshake before its Session.
   */
  companion?: CompanionGate
  /**
   * A JSON file whose `roots` object holds roots the user granted besides `roots` (written by
   * `pnpm native-host grant`); read at start and again on roots.list (capability `root-grants`).
   */
  grantsFile?: string
  /** Offer fs.move (capability `fs-move`); default true. false plays a daemon that predates it. */
  fsMove?: boolean
  /** Offer uTP streams (the `utp` capability). Default true; false makes a daemon as one that predates it. */
  utp?: boolean
  /** Offer the data plane (the `data-plane` capability). Default true; false: as a daemon that predates it. */
  dataPlane?: boolean
  /**
   * Serve files clients publish at http://127.0.0.1:PORT/stream/<secret> (capability `stream-http`).
   * Default true; the URLs are empty while the daemon does not listen.
   */
  streams?: boolean
}

/** Whether a daemon offers multicast when its options do not say. */
export function multicastByDefault(env: Record<string, string | undefined> = process.env): boolean {
  return env.TIDEPOOL_NO_MULTICAST !== '1'
}

/**
 * Whether an entry point may turn port mapping on: not with TIDEPOOL_NO_PORT_MAPPING set (the test
 * suites set it, so no test reaches a real router unless it builds its own network namespace).
 */
export function portMappingAllowed(env: Record<string, string | undefined> = process.env): boolean {
  const v = env.TIDEPOOL_NO_PORT_MAPPING
  return v === undefined || v === '' || v === '0'
}

export interface DaemonStats extends DaemonCounters {
  /** Connects refused with busy since start. */
  busyCount: number
  connectsInFlight: number
  connectsWaiting: number
  refusedUpgrades: number
  /** Incoming sockets closed at once because a socket cap was reached. */
  acceptsRefused: number
  /** Ops answered `busy` by a resource cap. */
  capBusy: number
  /** Connections that have not authenticated yet. */
  preAuthSessions: number
  /** Unauthenticated connections dropped to make room for a newer upgrade. */
  preAuthEvicted: number
}

export interface RunningDaemon {
  /** 0 and 'in-process' when started with `listen: false`. */
  port: number
  url: string
  limits: DaemonLimits
  caps: DaemonCaps
  /**
   * A client connection for code in this process (the CLI's engine): the same protocol and session
   * (hello with the token, limits, path guard) over an InProcessLink instead of a loopback WebSocket.
   * Hand it to `connectBridge({ socket })`.
   */
  connectInProcess(): WebSocketLike
  close(): Promise<void>
  stats(): DaemonStats
}

/** Headroom over the largest frame allowed before hello, for WebSocket frame headers (and a ping). */
const PRE_AUTH_SLACK_BYTES = 1024
/** How long a connection the daemon closed has to answer the close frame. */
const CLOSE_TIMEOUT_MS = 2000

/**
 * Drops a connection that sends more than `limit` bytes before it authenticates. `ws` accepts a message
 * up to the server's maxPayload (maxFrameBytes) and only then hands it over to be refused, so without
 * this every unauthenticated connection could make the daemon buffer megabytes. Listens after `ws`'s own
 * handler, so a read that completed the hello (and may carry requests behind it) is not counted.
 */
function limitPreAuthBytes(
  socket: net.Socket,
  limit: number,
  session: { readonly authenticated: boolean; readonly closed: boolean },
): void {
  let received = 0
  const onData = (chunk: Buffer): void => {
    if (session.authenticated) return void socket.off('data', onData)
    received += chunk.length
    if (received <= limit) return
    // The session refused this connection already and wrote its close frame: let that go out first.
    if (session.closed) socket.destroySoon()
    else socket.destroy()
  }
  socket.on('data', onData)
}

export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const host = opts.host ?? '127.0.0.1'
  if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost' && !opts.companion)
    throw new Error('the daemon listens on loopback only (a LAN address needs companion mode)')
  if (!opts.token) throw new Error('token required')
  const limits: DaemonLimits = { ...DEFAULT_LIMITS, ...opts.limits }
  const guard = new PathGuard(opts.roots)
  const grants = opts.grantsFile ? new RootGrants(guard, opts.grantsFile, new Set(Object.keys(opts.roots))) : undefined
  await grants?.refresh()
  const gate = new ConnectGate(limits.maxConnectsInFlight, limits.maxConnectsPending)
  const counters: DaemonCounters = {
    clients: 0,
    sockets: 0,
    listeners: 0,
    udpSockets: 0,
    files: 0,
    bytesToClients: 0,
    bytesFromClients: 0,
  }
  const tokenHash = createHash('sha256').update(opts.token, 'utf8').digest()
  const sessions = new Set<Session>()
  const caps: DaemonCaps = { ...defaultCaps(), ...opts.caps }
  const capCounts: CapCounters = { acceptsRefused: 0, capBusy: 0, sendCapCloses: 0 }
  const multicast = opts.multicast ?? multicastByDefault()
  const preAuth = new PreAuthPool(caps.maxPreAuthSessions)
  const portMapper = opts.portMapping ? new PortMapper(opts.portMapping === true ? {} : opts.portMapping) : undefined
  const streams = opts.streams === false ? undefined : new StreamRegistry()
  let refusedUpgrades = 0
  let port = 0
  let closed = false
  const upgradePolicy = () => ({
    port,
    allowOrigins: opts.allowOrigins ?? [],
    allowNoOrigin: opts.allowNoOrigin ?? true,
    companionHost: opts.companion ? hostPort(host, port) : undefined,
    allowLoopbackPages: opts.companion !== undefined,
  })

  const server = http.createServer((req, res) => {
    if (streams && serveStream(req, res, streams, upgradePolicy())) return
    res.writeHead(404).end()
  })
  // Idle TCP connections that never upgrade would each hold an fd: keep at most maxPendingHttp and
  // close the oldest first, so a flood cannot lock out a real client (which upgrades within ms).
  server.headersTimeout = 10_000
  const pendingHttp = new Set<net.Socket>()
  server.on('connection', (sock) => {
    pendingHttp.add(sock)
    sock.once('close', () => pendingHttp.delete(sock))
    if (pendingHttp.size > caps.maxPendingHttp) {
      const oldest = pendingHttp.values().next().value!
      pendingHttp.delete(oldest)
      capCounts.acceptsRefused++
      oldest.destroy()
    }
  })
  const wsOptions: ServerOptions & { closeTimeout: number; maxFragments: number } = {
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    // Set here rather than left to ws's default (the same number today): it is part of the protocol.
    maxFragments: MAX_MESSAGE_FRAGMENTS,
    perMessageDeflate: false,
    // The protocol has no subprotocol: agreeing to one a client asks for would claim to speak it
    // (ws picks the first offered by default). A client that asks for one then fails the upgrade.
    handleProtocols: () => false,
    // A connection the daemon closes (a failed hello, a protocol error) gets this long to answer the
    // close frame before its socket is destroyed: `ws`'s default of 30 s would let clients that never
    // answer pile up sockets. (This and maxFragments are options of ws 8.23 that @types/ws lacks.)
    closeTimeout: CLOSE_TIMEOUT_MS,
  }
  const wss = new WebSocketServer(wsOptions)
  server.on('upgrade', (req, duplex, head) => {
    const socket = duplex as net.Socket // an http.Server's connections are net sockets
    pendingHttp.delete(socket)
    const why = refuseUpgrade(req, upgradePolicy())
    if (why) {
      refusedUpgrades++
      socket.on('error', () => {}) // the refused client may reset before reading the 403; it is counted already
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${why.length}\r\n\r\n${why}`,
      )
      // Not only half-closed: a client that never closes its side would otherwise keep the socket.
      socket.destroySoon()
      return
    }
    // A new upgrade never waits for unauthenticated ones to leave: the oldest of them is dropped instead.
    const entry = preAuth.admit(() => socket.destroy())
    socket.once('close', entry.leave)
    const gate = opts.companion
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (!gate) {
        const s = openSession(ws, entry.leave)
        limitPreAuthBytes(socket, caps.maxPreAuthFrameBytes + PRE_AUTH_SLACK_BYTES, s)
        return
      }
      // The handshake messages count against the same pre-auth byte budget as the hello after them.
      let s: Session | null = null
      limitPreAuthBytes(socket, caps.maxPreAuthFrameBytes + PRE_AUTH_SLACK_BYTES, {
        get authenticated() {
          return s?.authenticated ?? false
        },
        get closed() {
          return s?.closed ?? false
        },
      })
      gate.accept(ws).then(
        (secure) => {
          if (secure && !closed) s = openSession(secure, entry.leave)
          else entry.leave()
        },
        () => ws.terminate(),
      )
    })
  })
  const hashPool = new HashPool()
  const openSession = (ws: SessionSocket, onAuthed?: () => void): Session => {
    counters.clients++
    const helloTimeoutMs = opts.helloTimeoutMs ?? HELLO_TIMEOUT_MS
    const s = new Session(ws, {
      limits,
      gate,
      guard,
      counters,
      tokenHash,
      helloTimeoutMs,
      caps,
      capCounts,
      onAuthed,
      multicast,
      portMapper,
      grants,
      fsMove: opts.fsMove,
      utp: opts.utp ?? true,
      dataPlane: opts.dataPlane ?? true,
      hashPool,
      streams,
    })
    sessions.add(s)
    ws.on('close', () => sessions.delete(s))
    return s
  }
  const listening = opts.listen !== false
  if (listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host, port: opts.port ?? 0 }, () => resolve())
    })
    port = (server.address() as AddressInfo).port
    if (streams) streams.port = port
  }

  return {
    port,
    url: listening ? `ws://${opts.companion ? hostPort(host, port) : `127.0.0.1:${port}`}` : 'in-process',
    limits,
    caps,
    connectInProcess: () => {
      if (closed) throw new Error('the daemon is closed')
      const link = new InProcessLink()
      openSession(link.daemon)
      return link.client
    },
    stats: () => ({
      ...counters,
      ...capCounts,
      preAuthSessions: preAuth.size,
      preAuthEvicted: preAuth.evicted,
      busyCount: gate.busyCount,
      connectsInFlight: gate.inFlight,
      connectsWaiting: gate.waiting,
      refusedUpgrades,
    }),
    close: async () => {
      closed = true
      opts.companion?.close()
      for (const s of sessions) s.dispose()
      sessions.clear()
      wss.close()
      await hashPool.close()
      // Leases are deleted on the gateway before close resolves (each exchange is bounded).
      await portMapper?.close()
      if (!listening) return
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

/** `host:port` as a Host header and a URL name it (IPv6 in brackets). */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
