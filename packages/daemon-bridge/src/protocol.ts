/** Constants of daemon protocol version 1 (docs/daemon-protocol.md). Shared by daemon and client. */

export const PROTOCOL_VERSION = 1

export const Kind = {
  REQUEST: 1,
  REPLY: 2,
  ERROR: 3,
  DATA: 4,
  EVENT: 5,
  CREDIT: 6,
} as const
export type Kind = (typeof Kind)[keyof typeof Kind]

export const Op = {
  hello: 1,
  ping: 2,
  tcpConnect: 10,
  tcpEnd: 11,
  tcpClose: 12,
  tcpListen: 13,
  listenerClose: 14,
  udpBind: 20,
  udpClose: 21,
  /** Only when the hello announced the `udp-multicast` capability. */
  udpMulticast: 22,
  fileOpen: 30,
  fileRead: 31,
  fileWrite: 32,
  fileTruncate: 33,
  fileStat: 34,
  fileClose: 35,
  fsStat: 40,
  fsMkdir: 41,
  fsList: 42,
  fsRename: 43,
  fsRemove: 44,
  fsSha1: 45,
  /** Only with the `root-grants` capability (§4.6). */
  rootsList: 46,
  rootsRevoke: 47,
  /** Only with the `fs-move` capability (§4.6). */
  fsMove: 48,
  fsMoveCancel: 49,
  portmapAdd: 50,
  portmapRemove: 51,
  portmapStatus: 52,
  /** Capability `stream-http` (§4.7): publish a file at http://127.0.0.1:PORT/stream/<secret>. */
  streamPublish: 80,
  streamUnpublish: 81,
  /** The client's answer to EVENT stream.need: the bytes are on disk (or `error`). */
  streamReady: 82,
  /** Capability `data-plane` (§4.8): piece payloads kept, hashed and written by the daemon. */
  dpOpen: 90,
  dpClose: 91,
  dpPiece: 92,
  dpPut: 93,
  dpVerify: 94,
  dpFiles: 95,
  tcpFrame: 96,
  dpSend: 97,
} as const
export type Op = (typeof Op)[keyof typeof Op]

export const Ev = {
  accept: 1,
  end: 2,
  close: 3,
  full: 4,
  drain: 5,
  portmap: 6,
  /** fs.move progress and end (capability `fs-move`). */
  moveProgress: 11,
  moveDone: 12,
  /** Capability `stream-http`: a player asked for bytes the client must make ready (§4.7). */
  streamNeed: 13,
  /** Capability `stream-http`: the player that asked went away. */
  streamGone: 14,
} as const
export type Ev = (typeof Ev)[keyof typeof Ev]

/**
 * Most WebSocket frames one message may be sent in (the first included): every fragment costs the
 * receiver a buffer however small it is. More closes the connection with CloseCode.policy.
 */
export const MAX_MESSAGE_FRAGMENTS = 16_384

/** WebSocket close codes used by the daemon. */
export const CloseCode = {
  protocolError: 1002,
  unsupportedData: 1003,
  policy: 1008,
  tooBig: 1009,
  auth: 4001,
  version: 4002,
} as const

export interface DaemonLimits {
  maxConnectsInFlight: number
  maxConnectsPending: number
  connectTimeoutMs: number
  /** Largest WebSocket message either side may send. */
  maxFrameBytes: number
  /** Largest DATA payload the daemon sends (coalescing target). */
  maxDataFrameBytes: number
  /** Per-socket receive window (credit). */
  recvWindowBytes: number
  /** Largest file.read length / file.write payload. */
  maxIoBytes: number
}

export const DEFAULT_LIMITS: DaemonLimits = {
  maxConnectsInFlight: 30,
  maxConnectsPending: 60,
  connectTimeoutMs: 10_000,
  maxFrameBytes: 4 * 1024 * 1024,
  maxDataFrameBytes: 256 * 1024,
  recvWindowBytes: 4 * 1024 * 1024,
  maxIoBytes: 2 * 1024 * 1024,
}

/**
 * Optional features a daemon may offer, named in the HELLO reply's `capabilities`. A client uses one
 * only when it is listed; a daemon that predates the list offers none.
 */
export const Capability = {
  /** udp.bind `reuseAddr`, op udp.multicast (join a group, TTL, loopback, outgoing interface). */
  udpMulticast: 'udp-multicast',
  /** UPnP IGD / NAT-PMP / PCP port mapping of the client's own listeners and UDP sockets (§4.5). */
  portmap: 'portmap',
  /** udp.bind takes `ipv6Only`: an IPv6 socket that leaves the IPv4 port free (§4.3). */
  udpIpv6Only: 'udp-ipv6-only',
  /** roots.list / roots.revoke: roots the daemon's owner grants while it runs (§4.6). */
  rootGrants: 'root-grants',
  /** fs.move / fs.move-cancel and the move events: moves within and across roots (§4.6). */
  fsMove: 'fs-move',
  /** uTP (BEP 29) streams: tcp.connect `transport: "utp"`, tcp.listen `utp: true`, accept `transport` (§4.2). */
  utp: 'utp',
  /** Files published to media players over HTTP on the daemon's port, ops 80–82, events 13–14 (§4.7). */
  streamHttp: 'stream-http',
  /** Framable sockets (tcp.frame) and a piece store the client steers, ops 90–97 (§4.8). */
  dataPlane: 'data-plane',
  /** dp.send takes `count`: a run of blocks of one piece in one op (§4.8). */
  dataPlaneRuns: 'data-plane-runs',
} as const

/** Most blocks one dp.send may carry (`count`, capability data-plane-runs). */
export const MAX_SEND_RUN = 256
export type Capability = (typeof Capability)[keyof typeof Capability]

export interface HelloReply {
  protocol: number
  daemonVersion: string
  limits: DaemonLimits
  roots: string[]
  /** Optional capabilities (Capability); absent means none. */
  capabilities?: string[]
  /** Optional (absent = "any"): "local" when the daemon sends UDP only to local addresses (§4.3). */
  udpScope?: 'any' | 'local'
  /** Optional (added later; older daemons omit it): each root's absolute path on the daemon's machine. */
  rootPaths?: Record<string, string>
}

/** The state of one port mapping (portmap.add / portmap.status reply, EVENT portmap). */
export interface PortMapStatus {
  state: 'pending' | 'mapped' | 'failed' | 'removed'
  protocol: 'tcp' | 'udp'
  internalPort: number
  /** How it was mapped. */
  method?: 'upnp' | 'natpmp' | 'pcp'
  /** As the gateway reports it; '' when it did not say. */
  externalAddress?: string
  externalPort?: number
  /** Lease the gateway granted, seconds (0: permanent until removed). */
  lifetimeSec?: number
  gateway?: string
  /** Why it is not mapped (state failed), or why the last renewal failed. */
  error?: string
}
