/**
 * The platform boundary of the engine. The engine core never opens a socket or a file itself:
 * every byte goes through these interfaces. Adapters: the daemon bridge client
 * (`@tidepool/daemon-bridge`, browser worker and Node) and an in-memory one for tests.
 * Nothing in this file may import Node or DOM APIs.
 */

import type { LogEntry, PortMappingStatus } from '../api/types.ts'

/** Error codes shared by every adapter and by the daemon protocol (docs/daemon-protocol.md). */
export type IoErrorCode =
  | 'refused' // connection refused (RST)
  | 'timeout' // connect or operation timed out
  | 'unreachable' // host/network unreachable, DNS failure
  | 'busy' // a cap was reached (e.g. too many pending connects)
  | 'access' // permission denied (OS)
  | 'no-space' // disk full / quota
  | 'bad-path' // path refused: absolute, '..', NUL, escapes the root, unknown root
  | 'not-found' // file or directory does not exist
  | 'exists' // already exists
  | 'closed' // the handle/socket/connection is closed
  | 'invalid' // malformed request or argument
  | 'auth' // not authenticated / wrong token
  | 'too-large' // frame or payload over a limit
  | 'reset' // connection reset by peer
  | 'in-use' // address in use
  | 'io' // any other I/O error
  | 'unsupported' // operation not supported by this adapter

export class IoError extends Error {
  readonly code: IoErrorCode
  constructor(code: IoErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = 'IoError'
  }
}

export interface ConnectLimits {
  /** Connects in progress at once (daemon semaphore). */
  maxConnectsInFlight: number
  /** In progress plus waiting for the semaphore; beyond this a connect fails with `busy`. */
  maxConnectsPending: number
  /** A connect not completed in this time fails with `timeout`. */
  connectTimeoutMs: number
}

export interface TcpSocketHandlers {
  /** Bytes received. The adapter grants the sender more credit after this returns, unless paused. */
  onData?: (data: Uint8Array) => void
  /** The send buffer has room again after `write` returned false. */
  onDrain?: () => void
  /** The remote end half-closed (FIN). */
  onEnd?: () => void
  /** The socket is gone. `error` is set when it closed because of an error. Called exactly once. */
  onClose?: (error?: IoError) => void
}

export interface TcpSocket {
  readonly remoteAddress: string
  readonly remotePort: number
  /** How the bytes travel: TCP (absent means TCP) or uTP (BEP 29), which the engine uses the same way. */
  readonly transport?: 'tcp' | 'utp'
  setHandlers(handlers: TcpSocketHandlers): void
  /** Queue bytes for sending. Returns false when the send buffer is full: wait for onDrain. */
  write(data: Uint8Array): boolean
  /** Half-close: send FIN after queued data. */
  end(): void
  /** Close now; queued data may be dropped. onClose fires. */
  close(): void
  /** Stop delivering onData (and let the daemon stop reading the socket) until resume(). */
  pause(): void
  resume(): void
  /**
   * Hands the rest of this connection to the platform's data plane (only on sockets opened with
   * `framable`, where `Platform.dataPlane` exists). `done` is called exactly once, before any byte
   * of the framed stream is delivered:
   * - `done(true)`: every onData after it carries the framed stream from received byte `opts.at`
   *   on (bytes delivered earlier past `at` are delivered again, framed): plaintext BitTorrent
   *   messages, where a `piece` message whose block the data plane kept is replaced by a STORED
   *   message (see DataPlane); every later write() is plaintext (the platform encrypts it with
   *   `opts.cipher`);
   * - `done(false, error)`: nothing changed; raw bytes keep coming (the caller keeps parsing them).
   * Until `done`, onData keeps delivering raw bytes (the caller buffers them without parsing).
   */
  frame?(opts: FrameOptions, done: (framed: boolean, error?: IoError) => void): void
  /**
   * Framed sockets only: the platform sends a `piece` message (index, begin, then `length` bytes it
   * reads from the torrent's files), in order with write(). Returns like write(); a read failure
   * closes nothing: `onError` hears it (the caller then rejects the request).
   */
  sendBlock?(
    torrent: DataPlaneTorrent,
    piece: number,
    begin: number,
    length: number,
    onError?: (e: IoError) => void,
  ): boolean
}

/** RC4 state of one direction of an MSE/PE stream, as it continues on the platform. */
export interface Rc4State {
  /** The permutation, 256 entries 0..255. */
  s: Uint8Array
  i: number
  j: number
}

export interface FrameOptions {
  /** Which torrent's piece store keeps the blocks this socket brings. */
  torrent: DataPlaneTorrent
  /** Received bytes (counted from the connection's first byte) before the first BitTorrent message. */
  at: number
  /** MSE/PE RC4 after the handshake: the keystream state at `at` (receive) and for the next write (send). */
  cipher?: { decrypt: Rc4State; encrypt: Rc4State }
}

/** How a data plane names a torrent's files: paths relative to `root`, in torrent order. */
export interface DataPlaneTorrentSpec {
  root: string
  /** Padding files (BEP 47) are never written or read: they read as zeros. */
  files: Array<{ path: string; length: number; padding?: boolean }>
  pieceLength: number
}

/** What a piece check found: 'incomplete' when blocks are missing (nothing was hashed). */
export type PieceVerdict = 'verified' | 'hash-failed' | 'incomplete'

/**
 * One torrent's piece store in the data plane. Calls are ordered with each other and with the
 * operations of framed sockets (an openPiece before a request is in force when its block arrives).
 */
export interface DataPlaneTorrent {
  /**
   * Blocks of `piece` arriving on framed sockets stay in the store from now on (the engine requested
   * them). False when the store is full (its blocks then arrive as plain `piece` messages).
   */
  openPiece(piece: number): boolean
  /** Forgets a piece's blocks (no longer wanted, or checked). */
  dropPiece(piece: number): void
  /** A block that came another way (a web seed, a plain `piece` message): kept like a stored one. */
  putBlock(piece: number, begin: number, data: Uint8Array): Promise<void>
  /**
   * Hashes the piece's blocks against `sha1`; when they match, writes them to the files and resolves
   * 'verified' after the write. 'hash-failed' drops the blocks. Rejects with IoError when the write
   * fails (no-space, ...): the blocks are dropped, nothing is marked.
   */
  verifyPiece(piece: number, sha1: Uint8Array): Promise<PieceVerdict>
  /** The files moved or were renamed: later writes and reads use these paths. */
  setFiles(spec: DataPlaneTorrentSpec): Promise<void>
  close(): Promise<void>
}

/**
 * Piece payloads kept where the bytes are (the daemon's `data-plane` capability): framed peer
 * sockets deliver STORED messages instead of block data, pieces are hashed and written by the
 * platform on the engine's word, uploads are read from the files by the platform. The engine still
 * decides every request, choke and upload.
 */
export interface DataPlane {
  openTorrent(spec: DataPlaneTorrentSpec): Promise<DataPlaneTorrent>
}

/** Message id of STORED in a framed stream: <len=13><id=250><index u32><begin u32><length u32>. */
export const STORED_MESSAGE_ID = 250

export interface TcpConnectOptions {
  host: string
  port: number
  /** Wrap in TLS (HTTPS trackers). */
  tls?: boolean
  servername?: string
  /** 'utp': a uTP stream instead of TCP (only where `NetPort.utp`; else rejects with `unsupported`). */
  transport?: 'tcp' | 'utp'
  /**
   * The socket may later be framed (`TcpSocket.frame`): the platform keeps what it delivered until
   * then (a bounded amount; past it `frame` fails and the socket stays plain).
   */
  framable?: boolean
}

export interface TcpListenOptions {
  host?: string
  port: number
  /** Accept uTP on the same port number too (where `NetPort.utp`); the listener's `utp` says if it does. */
  utp?: boolean
  /** Accepted sockets can be framed (`TcpSocket.frame`). */
  framable?: boolean
}

export interface TcpListener {
  readonly port: number
  /** True when it accepts uTP beside TCP. */
  readonly utp?: boolean
  close(): void
}

/** Multicast settings for one UDP socket (local peer discovery). */
export interface MulticastOptions {
  /** Group address to join, IPv4 (224.0.0.0/4) or IPv6 (ff00::/8), matching the socket's family. */
  group: string
  /**
   * Local interface: an IPv4 address, or for IPv6 `::%name`. Used to join and to send; default: the
   * operating system's choice (the route to the group).
   */
  interface?: string
  /** Hops outgoing datagrams may travel (IP_MULTICAST_TTL / hop limit); default 1, the local link. */
  ttl?: number
  /** Whether our own datagrams to the group come back to sockets on this machine; default true. */
  loopback?: boolean
}

export interface UdpSocket {
  readonly port: number
  send(data: Uint8Array, address: string, port: number): void
  /**
   * Joins a multicast group and applies its sending options. Present only when the platform can do
   * multicast (`NetPort.multicast`); rejects with IoError (`invalid`, `unsupported`, `closed`, ...).
   */
  joinMulticast?(opts: MulticastOptions): Promise<void>
  close(): void
}

export interface UdpBindOptions {
  host?: string
  port?: number
  /** SO_REUSEADDR: share the port with other sockets that set it (LSD's 6771 with other clients). */
  reuseAddr?: boolean
  /** IPv6 only (no IPv4-mapped addresses), so an IPv4 socket can hold the same port number. */
  ipv6Only?: boolean
}

export interface PortMapping {
  readonly status: PortMappingStatus
  /** Deletes the mapping on the gateway; resolves when the daemon has done so (or given up). */
  remove(): Promise<void>
}

export interface NetPort {
  /** Resolves once connected; rejects with IoError (refused, timeout, unreachable, busy, ...). */
  connect(opts: TcpConnectOptions): Promise<TcpSocket>
  listen(opts: TcpListenOptions, onConnection: (socket: TcpSocket) => void): Promise<TcpListener>
  /**
   * `ipv6Only` (with an IPv6 host): the socket takes IPv6 only, so an IPv4 socket can share its port
   * number; an adapter that cannot do that rejects with `unsupported`.
   */
  bindUdp(
    opts: UdpBindOptions,
    onMessage: (data: Uint8Array, from: { address: string; port: number }) => void,
  ): Promise<UdpSocket>
  /** Caps the engine's connection queue stays within. */
  readonly connectLimits: ConnectLimits
  /** True when `connect` and `listen` can use uTP (the daemon's `utp` capability); absent = no. */
  readonly utp?: boolean
  /** True when UDP sockets can join multicast groups (`UdpSocket.joinMulticast`); absent = no. */
  readonly multicast?: boolean
  /** True when `mapPort` can reach a gateway (the daemon announced port mapping). */
  readonly canMapPorts?: boolean
  /**
   * Asks the gateway to forward the port of one of our own listeners or UDP sockets (renewed until
   * removed or the socket closes). `onStatus` hears every later change.
   */
  mapPort?(target: TcpListener | UdpSocket, onStatus: (s: PortMappingStatus) => void): Promise<PortMapping>
  /**
   * Where UDP datagrams can go: "local" when the platform sends only to loopback and private
   * addresses (a test daemon); absent or "any" otherwise. The DHT does not start against public
   * bootstrap nodes it could never reach.
   */
  readonly udpScope?: 'any' | 'local'
}

export interface FileStat {
  size: number
  isDirectory: boolean
  mtimeMs: number
}

export interface FileHandle {
  read(offset: number, length: number): Promise<Uint8Array>
  /** Writes all of `data` at `offset`. */
  write(offset: number, data: Uint8Array): Promise<void>
  truncate(size: number): Promise<void>
  stat(): Promise<FileStat>
  close(): Promise<void>
}

/**
 * Files under named roots (the user's download folders). Paths are relative to the root,
 * '/'-separated, UTF-8 in any script; adapters refuse absolute paths, '..', NUL and escapes
 * with IoError('bad-path').
 */
export interface FilePort {
  /** Root names this adapter serves. */
  roots(): string[]
  /** A root's path on the machine, for people to see (optional: not every adapter knows it). */
  rootPath?(root: string): string | undefined
  open(root: string, path: string, opts?: { write?: boolean; create?: boolean }): Promise<FileHandle>
  /** null when the path does not exist. */
  stat(root: string, path: string): Promise<FileStat | null>
  mkdir(root: string, path: string): Promise<void> // recursive
  list(root: string, path: string): Promise<Array<{ name: string; isDirectory: boolean; size: number }>>
  rename(root: string, from: string, to: string): Promise<void>
  remove(root: string, path: string, opts?: { recursive?: boolean }): Promise<void>
  /** SHA-1 of `length` bytes at `offset` (hash offload). */
  sha1(root: string, path: string, offset: number, length: number): Promise<Uint8Array>
  /**
   * Moves a file or directory tree to another root (or elsewhere in the same one); the target must
   * not exist. All or nothing per call: on failure the data is whole at `from` (the daemon's fs.move,
   * capability `fs-move`). Absent: only moves within one root (`rename`) are possible.
   */
  move?(
    fromRoot: string,
    from: string,
    toRoot: string,
    to: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void>
  /** Asks the platform for the roots the user granted since (absent: the roots are fixed). */
  refreshRoots?(): Promise<void>
  /** Withdraws a root the user granted (absent: roots cannot be removed from here). */
  revokeRoot?(root: string): Promise<void>
}

/** Small key-value persistence for settings and resume state (IndexedDB, a file, memory). */
export interface StateStore {
  get(key: string): Promise<Uint8Array | null>
  set(key: string, value: Uint8Array): Promise<void>
  delete(key: string): Promise<void>
  keys(prefix: string): Promise<string[]>
}

/**
 * SHA-1 of whole pieces. Optional in Platform: the default is WebCrypto on the engine's thread (in
 * Node 20 `crypto.subtle.digest` copies the data and hashes on the calling thread). A platform with
 * threads of its own (the CLI) hashes elsewhere and transfers the piece there and back.
 */
export interface PieceHasher {
  /** Hashes `data`, which may be moved meanwhile: the caller uses only the `data` it resolves with. */
  sha1(data: Uint8Array): Promise<{ digest: Uint8Array; data: Uint8Array }>
}

/**
 * Where the engine's log lines go beyond its own per-torrent buffers (the CLI's stderr, a console).
 * Optional in Platform, so logging is off by default.
 */
export interface LogPort {
  /** Whether this component's lines are wanted here. Asked once per logger: debug lines of a
   *  component nobody wants are never even formatted. */
  enabled(component: string): boolean
  /** `torrent`: the info-hash (hex) when the line is about one torrent. */
  write(entry: LogEntry, torrent?: string): void
}

/**
 * A component's logger. `debug` is absent unless debug lines of the component are wanted, so
 * `log.debug?.(`…`)` costs one property read when off: the message is not built.
 */
export interface Logger {
  readonly debug?: (message: string) => void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/** A file of a torrent as a media player should see it. */
export interface StreamFile {
  root: string
  path: string
  length: number
  /** File name (its extension gives the Content-Type). */
  name: string
}

/** How a published file gets its bytes: the platform asks before it reads them from disk. */
export interface StreamHandler {
  /**
   * A player wants these bytes of the file: resolve once they are verified on disk. `req` names the
   * ask (a reader's later asks, and `gone`, follow it).
   */
  need(offset: number, length: number, req: number): Promise<void>
  /** The reader whose last ask was `req` went away (closed its request, or gave up waiting). */
  gone?(req: number): void
}

export interface PublishedStream {
  /** Where players read it (http://127.0.0.1:PORT/stream/<secret>); '' when nothing listens. */
  readonly url: string
  close(): void
}

/**
 * Serves files of torrents to media players while they download (the daemon's HTTP on loopback, each
 * file under an unguessable secret). Optional in Platform: without it nothing can be streamed.
 */
export interface StreamPort {
  publish(file: StreamFile, handler: StreamHandler): Promise<PublishedStream>
}

/** Everything the engine needs from its platform. */
export interface Platform {
  net: NetPort
  files: FilePort
  state: StateStore
  hasher?: PieceHasher
  /** ms clock; injectable for tests. */
  now(): number
  /** Log lines beyond the torrents' own buffers (none by default). */
  log?: LogPort
  /** Local URLs for media players (absent: no streaming). */
  streams?: StreamPort
  /** Piece payloads kept on the platform (absent: they come to the engine, which hashes and writes). */
  dataPlane?: DataPlane
}
