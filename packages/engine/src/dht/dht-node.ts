/**
 * A mainline DHT node (BEP 5, BEP 32 tables, BEP 43 read-only, BEP 42 ids checked and counted):
 * answers ping / find_node / get_peers / announce_peer, asks them with transaction ids and timeouts,
 * keeps a routing table per address family, and runs lookups for `getPeers` and `announce`.
 *
 * It sees the network only through a DatagramTransport and time only through a Clock, so it runs
 * unchanged over the daemon's UDP (see datagram-transport.ts) and in the in-memory simulator.
 *
 * Amplification bound: a reply is never larger than MAX_KRPC_PACKET (1500) bytes whatever the query;
 * the largest is a get_peers reply with 50 IPv4 (or 32 IPv6) values, 8 nodes per family asked for, an
 * 8-byte token and our id: about 1.0 KB to an IPv4 asker and 1.3 KB to an IPv6 one with both families.
 * A ping's reply is the size of the ping; a get_peers query of ~95 bytes can draw up to ~11 times that,
 * which is what BEP 5's 8 nodes and values require. An error reply is under 100 bytes plus the query's
 * transaction id. Replies to one address are limited by a token bucket (`queryRate` 5 per second,
 * `queryBurst` 20), so a spoofed victim receives at most a ~26 KB burst and then ~6.5 KB/s from us;
 * queries over the limit get no answer at all.
 */
import type { Clock, TimerHandle } from '../util/clock.ts'
import type { PeerAddress } from '../util/peer-address.ts'
import { fromHex, isHex } from '../util/hex.ts'
import { parseIp } from '../pool/ip-address.ts'
import { decodeKrpc, encodeError, encodeQuery, encodeResponse, ERROR_PROTOCOL, MAX_KRPC_PACKET } from './krpc.ts'
import type { Contact, KrpcQuery, KrpcResponse, Want } from './krpc.ts'
import { Lookup } from './lookup.ts'
import type { LookupReply, LookupResult } from './lookup.ts'
import { IpVoter } from './ip-voter.ts'
import { idToHex, isNodeId, isSecureNodeId, randomId } from './node-id.ts'
import type { NodeId, Random } from './node-id.ts'
import { PeerStore } from './peer-store.ts'
import { K, RoutingTable } from './routing-table.ts'
import type { SavedNode } from './routing-table.ts'
import { TokenIssuer } from './tokens.ts'

/** What the node needs of a UDP socket. */
export interface DatagramTransport {
  send(host: string, port: number, bytes: Uint8Array): void
  onMessage(cb: (bytes: Uint8Array, host: string, port: number) => void): void
}

export type Family = 4 | 6

export interface DhtConfig {
  k: number
  /** Lookup queries in flight (not counting slow ones). */
  alpha: number
  /** After this a lookup query counts as slow and the lookup widens. */
  slowMs: number
  /** After this a query has failed. */
  timeoutMs: number
  maxQueriesPerLookup: number
  /** Our queries awaiting an answer, at most; more are refused (as failed) until some finish. */
  maxOutstanding: number
  /** Incoming queries answered per address: sustained rate per second and burst. */
  queryRate: number
  queryBurst: number
  /** Addresses the rate limiter remembers; beyond it, unknown addresses wait for room. */
  rateLimitedAddresses: number
  /** Maintenance (bucket refresh, pinging questionable nodes, store expiry) runs this often. */
  maintenanceMs: number
  pingsPerMaintenance: number
  /** Distinct nodes that must name the same external address before we believe it (BEP 42). */
  externalIpVoters: number
}

export const DEFAULT_DHT_CONFIG: DhtConfig = {
  k: K,
  alpha: 3,
  slowMs: 1000,
  timeoutMs: 5000,
  maxQueriesPerLookup: 200,
  maxOutstanding: 1024,
  queryRate: 5,
  queryBurst: 20,
  rateLimitedAddresses: 10_000,
  maintenanceMs: 60_000,
  pingsPerMaintenance: 8,
  externalIpVoters: 3,
}

export interface SavedDhtState {
  id: string
  nodes: SavedNode[]
  /** Our address as the nodes that answered agreed on (BEP 42: the next start picks an id secure for it). */
  ip?: string
}

export interface DhtNodeOptions {
  transport: DatagramTransport
  clock: Clock
  /** Our node id; default: the saved one, else random. */
  id?: NodeId
  saved?: SavedDhtState
  /** Contacted by `bootstrap()` (ids unknown). */
  bootstrap?: ReadonlyArray<{ host: string; port: number }>
  /** BEP 43: answer nothing, and ask others to leave us out of their tables. */
  readOnly?: boolean
  /** Address families with a routing table; default IPv4 only. */
  families?: Family[]
  config?: Partial<DhtConfig>
  random?: Random
  log?: (event: string) => void
}

export interface DhtStats {
  queriesReceived: number
  repliesSent: number
  errorsSent: number
  rateLimited: number
  malformed: number
  queriesSent: number
  timeouts: number
  /** Responders whose id is not a BEP 42 secure id for their address (logged, not enforced). */
  insecureIds: number
}

export interface GetPeersResult {
  peers: PeerAddress[]
  /** Per family, the closest nodes that answered (with their tokens). */
  lookups: LookupResult[]
}

export interface AnnounceResult extends GetPeersResult {
  /** Nodes that acknowledged our announce_peer. */
  announcedTo: number
}

interface Pending {
  host: string
  port: number
  id?: NodeId
  timer: TimerHandle
  slowTimer?: TimerHandle
  onDone: (r: KrpcResponse | null) => void
}

type QueryBody =
  | { method: 'ping' }
  | { method: 'find_node'; target: NodeId }
  | { method: 'get_peers'; infoHash: NodeId }
  | { method: 'announce_peer'; infoHash: NodeId; port: number; impliedPort: boolean; token: Uint8Array }

export const familyOf = (host: string): Family => (host.includes(':') ? 6 : 4)

export class DhtNode {
  readonly id: NodeId
  readonly stats: DhtStats = {
    queriesReceived: 0,
    repliesSent: 0,
    errorsSent: 0,
    rateLimited: 0,
    malformed: 0,
    queriesSent: 0,
    timeouts: 0,
    insecureIds: 0,
  }
  /** Per family, the address answering nodes agree they see us at (BEP 42 `ip`), voted on. */
  private readonly voters = new Map<Family, IpVoter>()
  /** Per family, the port the latest vote for the believed address named. */
  private readonly votedPorts = new Map<Family, number>()
  private readonly config: DhtConfig
  private readonly clock: Clock
  private readonly transport: DatagramTransport
  private readonly tables = new Map<Family, RoutingTable>()
  private readonly tokens: TokenIssuer
  private readonly store: PeerStore
  private readonly pending = new Map<number, Pending>()
  private readonly verifying = new Set<string>()
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private readonly lookups = new Set<Lookup>()
  private nextTx: number
  private maintenance?: TimerHandle
  private closed = false
  private readonly rnd: Random
  private readonly log: (event: string) => void

  constructor(private readonly opts: DhtNodeOptions) {
    this.config = { ...DEFAULT_DHT_CONFIG, ...opts.config }
    this.clock = opts.clock
    this.transport = opts.transport
    this.rnd = opts.random ?? Math.random
    this.nextTx = Math.floor(this.rnd() * 0x10000)
    this.log = opts.log ?? (() => {})
    const savedId = opts.saved && isHex(opts.saved.id, 40) ? fromHex(opts.saved.id) : undefined
    this.id = opts.id ?? savedId ?? randomId(opts.random)
    const now = () => this.clock.now()
    for (const f of opts.families ?? [4]) this.tables.set(f, new RoutingTable(this.id, now, this.config.k))
    const savedIp = typeof opts.saved?.ip === 'string' ? opts.saved.ip : undefined
    for (const f of [4, 6] as const)
      this.voters.set(
        f,
        new IpVoter(this.config.externalIpVoters, 256, savedIp && familyOf(savedIp) === f ? savedIp : undefined),
      )
    this.tokens = new TokenIssuer(this.clock)
    this.store = new PeerStore(this.clock)
    if (opts.saved) {
      for (const [f, table] of this.tables)
        table.restore(opts.saved.nodes.filter((n) => typeof n.host === 'string' && familyOf(n.host) === f))
    }
    this.transport.onMessage((bytes, host, port) => this.receive(bytes, host, port))
  }

  /** Nodes in the routing tables. */
  get nodeCount(): number {
    let n = 0
    for (const t of this.tables.values()) n += t.size
    return n
  }

  /**
   * Our external address (the IPv4 one when there is one): once `externalIpVoters` distinct nodes
   * named it, or as saved by the previous run.
   */
  get externalAddress(): PeerAddress | undefined {
    for (const f of [4, 6] as const) {
      const ip = this.voters.get(f)?.address
      if (ip) return { ip, port: this.votedPorts.get(f) ?? 0 }
    }
    return undefined
  }

  table(family: Family = 4): RoutingTable | undefined {
    return this.tables.get(family)
  }

  /** Peers announced to us (for tests and status). */
  get storedPeers(): number {
    return this.store.size
  }

  /** Starts periodic maintenance. */
  start(): void {
    if (this.maintenance !== undefined || this.closed) return
    const tick = () => {
      this.maintenance = this.clock.setTimeout(tick, this.config.maintenanceMs)
      this.maintain()
    }
    this.maintenance = this.clock.setTimeout(tick, this.config.maintenanceMs)
  }

  close(): void {
    this.closed = true
    if (this.maintenance !== undefined) this.clock.clearTimeout(this.maintenance)
    for (const l of this.lookups) l.abort()
    for (const [tx, p] of this.pending) {
      this.clearPending(tx, p)
      p.onDone(null)
    }
  }

  save(): SavedDhtState {
    return {
      id: idToHex(this.id),
      nodes: [...this.tables.values()].flatMap((t) => t.save()),
      ...(this.externalAddress ? { ip: this.externalAddress.ip } : {}),
    }
  }

  // ---- incoming -------------------------------------------------------------------------------

  private receive(bytes: Uint8Array, host: string, port: number): void {
    if (this.closed) return
    if (bytes.length > MAX_KRPC_PACKET) {
      this.stats.malformed++
      return
    }
    const r = decodeKrpc(bytes)
    if (!r.ok) {
      this.stats.malformed++
      if (r.error.isQuery && r.error.t && !this.opts.readOnly && this.allow(host)) {
        this.sendError(
          host,
          port,
          r.error.t,
          r.error.code,
          r.error.reason === 'unknown-method' ? 'Method Unknown' : 'Protocol Error',
        )
      }
      return
    }
    const m = r.message
    if (m.kind === 'query') return this.answer(m, host, port)
    const tx = m.t.length === 2 ? (m.t[0] << 8) | m.t[1] : -1
    const p = this.pending.get(tx)
    // A reply must come from the address we asked: anything else is stale or spoofed. A node asked
    // by name (a bootstrap router) answers from an address we never saw, so only its port can match.
    if (!p || p.port !== port || (p.host !== host && parseIp(p.host) !== null)) return
    this.clearPending(tx, p)
    if (m.kind === 'error') {
      this.log(`dht: error ${m.code} from ${host}:${port}: ${m.message}`)
      return p.onDone(null)
    }
    const table = this.tables.get(familyOf(host))
    if (table && !isSecureNodeId(m.id, host)) this.stats.insecureIds++
    table?.responded({ id: m.id, host, port })
    if (m.ip) this.voteExternal(host, m.ip)
    p.onDone(m)
  }

  /** A responder's word on our address: counted once per responder, of its own family only. */
  private voteExternal(voter: string, seen: PeerAddress): void {
    const family = familyOf(voter)
    if (familyOf(seen.ip) !== family) return
    const v = this.voters.get(family)!
    if (v.vote(voter, seen.ip))
      this.log(`dht: our external IPv${family} address is ${seen.ip} (named by ${v.votesFor(seen.ip)} nodes)`)
    if (v.address === seen.ip) this.votedPorts.set(family, seen.port)
  }

  /** Token bucket per address: whether one more query from `host` may be answered now. */
  private allow(host: string): boolean {
    const now = this.clock.now()
    const { queryRate, queryBurst } = this.config
    let b = this.buckets.get(host)
    if (!b) {
      if (this.buckets.size >= this.config.rateLimitedAddresses) this.pruneBuckets(now)
      if (this.buckets.size >= this.config.rateLimitedAddresses) return false
      b = { tokens: queryBurst, at: now }
      this.buckets.set(host, b)
    }
    b.tokens = Math.min(queryBurst, b.tokens + ((now - b.at) / 1000) * queryRate)
    b.at = now
    if (b.tokens < 1) return false
    b.tokens--
    return true
  }

  private pruneBuckets(now: number): void {
    const { queryRate, queryBurst } = this.config
    // An address whose bucket has refilled is indistinguishable from a new one: forget it.
    for (const [host, b] of this.buckets)
      if (b.tokens + ((now - b.at) / 1000) * queryRate >= queryBurst) this.buckets.delete(host)
  }

  private answer(q: KrpcQuery, host: string, port: number): void {
    this.stats.queriesReceived++
    if (this.opts.readOnly) return
    if (!this.allow(host)) {
      this.stats.rateLimited++
      return
    }
    const family = familyOf(host)
    const table = this.tables.get(family)
    if (!q.ro && table) {
      const contact = { id: q.id, host, port }
      // Unknown queriers are pinged before they may enter the table: a query's source can be forged.
      if (!table.queried(contact) && table.wants(q.id)) this.verify(contact)
    }
    const base = { kind: 'response' as const, t: q.t, id: this.id, ip: { ip: host, port } }
    let reply: KrpcResponse
    switch (q.method) {
      case 'ping':
        reply = base
        break
      case 'find_node':
        reply = { ...base, ...this.nodesFor(q.target, q.want, family) }
        break
      case 'get_peers': {
        const values = this.store.sample(q.infoHash, family, undefined, this.rnd)
        reply = {
          ...base,
          token: this.tokens.issue(host),
          ...this.nodesFor(q.infoHash, q.want, family),
          ...(values.length ? { values } : {}),
        }
        break
      }
      case 'announce_peer': {
        if (!this.tokens.check(host, q.token)) return this.sendError(host, port, q.t, ERROR_PROTOCOL, 'Bad Token')
        const peerPort = q.impliedPort ? port : q.port
        this.store.add(q.infoHash, { ip: host, port: peerPort })
        reply = base
        break
      }
    }
    const bytes = encodeResponse(reply)
    if (bytes.length > MAX_KRPC_PACKET) {
      // Cannot happen within the limits above; refuse rather than break the amplification bound.
      this.log(`dht: reply of ${bytes.length} bytes not sent`)
      return
    }
    this.stats.repliesSent++
    this.transport.send(host, port, bytes)
  }

  private nodesFor(
    target: NodeId,
    want: Want[] | undefined,
    family: Family,
  ): { nodes?: Contact[]; nodes6?: Contact[] } {
    const wants = want?.length ? want : [family === 4 ? 'n4' : 'n6']
    const out: { nodes?: Contact[]; nodes6?: Contact[] } = {}
    const t4 = this.tables.get(4)
    const t6 = this.tables.get(6)
    if (wants.includes('n4') && t4) out.nodes = t4.closest(target, this.config.k, true)
    if (wants.includes('n6') && t6) out.nodes6 = t6.closest(target, this.config.k, true)
    return out
  }

  private sendError(host: string, port: number, t: Uint8Array, code: number, message: string): void {
    this.stats.errorsSent++
    this.transport.send(host, port, encodeError({ kind: 'error', t, code, message }))
  }

  /** Pings a node we heard of but have not heard from; its answer puts it in the table. */
  private verify(c: { host: string; port: number }): void {
    const key = `${c.host}/${c.port}`
    if (this.verifying.has(key) || this.verifying.size >= 64) return
    this.verifying.add(key)
    this.query(c, { method: 'ping' }, () => this.verifying.delete(key))
  }

  /** Adds a node learned elsewhere (a peer's PORT message, a user's entry): pinged first. */
  addNode(host: string, port: number): void {
    if (this.tables.has(familyOf(host))) this.verify({ host, port })
  }

  // ---- outgoing -------------------------------------------------------------------------------

  private query(
    to: { host: string; port: number; id?: NodeId },
    body: QueryBody,
    onDone: (r: KrpcResponse | null) => void,
    onSlow?: () => void,
  ): void {
    if (this.closed || this.pending.size >= this.config.maxOutstanding) return onDone(null)
    let tx = this.nextTx
    for (let i = 0; this.pending.has(tx) && i < 0x10000; i++) tx = (tx + 1) & 0xffff
    this.nextTx = (tx + 1) & 0xffff
    const t = new Uint8Array([tx >> 8, tx & 0xff])
    const want: Want[] | undefined = this.tables.size > 1 ? ['n4', 'n6'] : undefined
    const q = {
      kind: 'query',
      t,
      id: this.id,
      ro: !!this.opts.readOnly,
      ...(want ? { want } : {}),
      ...body,
    } as KrpcQuery
    const p: Pending = {
      host: to.host,
      port: to.port,
      id: to.id,
      onDone,
      timer: this.clock.setTimeout(() => {
        this.clearPending(tx, p)
        this.stats.timeouts++
        if (p.id) this.tables.get(familyOf(p.host))?.failed(p.id)
        onDone(null)
      }, this.config.timeoutMs),
    }
    if (onSlow) p.slowTimer = this.clock.setTimeout(onSlow, this.config.slowMs)
    this.pending.set(tx, p)
    this.stats.queriesSent++
    this.transport.send(to.host, to.port, encodeQuery(q))
  }

  private clearPending(tx: number, p: Pending): void {
    this.pending.delete(tx)
    this.clock.clearTimeout(p.timer)
    if (p.slowTimer !== undefined) this.clock.clearTimeout(p.slowTimer)
  }

  ping(host: string, port: number): Promise<KrpcResponse | null> {
    return new Promise((resolve) => this.query({ host, port }, { method: 'ping' }, resolve))
  }

  // ---- lookups --------------------------------------------------------------------------------

  /**
   * Runs one lookup in one family's table; `onDone` gets the result. Callback form for the
   * simulator and benchmarks; `getPeers`, `announce` and `findNode` wrap it in promises.
   */
  lookup(
    kind: 'get_peers' | 'find_node',
    target: NodeId,
    family: Family,
    onDone: (r: LookupResult) => void,
    onPeers?: (p: PeerAddress[]) => void,
    extraSeeds: readonly Contact[] = [],
  ): void {
    const table = this.tables.get(family)
    const now = () => this.clock.now()
    if (!table || this.closed) {
      const t = now()
      return onDone({ target, closest: [], peers: [], queries: 0, answered: 0, startedAt: t, finishedAt: t })
    }
    table.touch(target)
    const rpc = {
      ask: (node: Contact, onSlow: () => void, done: (r: LookupReply | null) => void) => {
        const body: QueryBody =
          kind === 'get_peers' ? { method: 'get_peers', infoHash: target } : { method: 'find_node', target }
        this.query(
          node,
          body,
          (r) => {
            if (!r) return done(null)
            const nodes = (family === 4 ? r.nodes : r.nodes6) ?? []
            done({ nodes, ...(r.values ? { values: r.values } : {}), ...(r.token ? { token: r.token } : {}) })
          },
          onSlow,
        )
      },
    }
    const l: Lookup = new Lookup(rpc, {
      target,
      k: this.config.k,
      alpha: this.config.alpha,
      maxQueries: this.config.maxQueriesPerLookup,
      exclude: this.id,
      now,
      onPeers,
      onDone: (r) => {
        this.lookups.delete(l)
        onDone(r)
      },
    })
    this.lookups.add(l)
    l.start([...table.closest(target, this.config.k * 2), ...extraSeeds])
  }

  private lookupAll(
    kind: 'get_peers' | 'find_node',
    target: NodeId,
    onPeers?: (p: PeerAddress[]) => void,
  ): Promise<LookupResult[]> {
    return Promise.all(
      [...this.tables.keys()].map(
        (f) => new Promise<LookupResult>((resolve) => this.lookup(kind, target, f, resolve, onPeers)),
      ),
    )
  }

  async findNode(target: NodeId): Promise<LookupResult[]> {
    return this.lookupAll('find_node', target)
  }

  /** Peers for an info-hash from the network; `onPeers` sees them as they arrive. */
  async getPeers(infoHash: NodeId, onPeers?: (p: PeerAddress[]) => void): Promise<GetPeersResult> {
    if (!isNodeId(infoHash)) throw new TypeError('info-hash must be 20 bytes')
    const lookups = await this.lookupAll('get_peers', infoHash, onPeers)
    return { peers: mergePeers(lookups), lookups }
  }

  /**
   * A get_peers lookup, then announce_peer to the closest nodes that gave a token. With
   * `impliedPort` the receivers take our UDP source port (for peers behind a NAT, uTP on the same port).
   */
  async announce(
    infoHash: NodeId,
    port: number,
    opts: { impliedPort?: boolean; onPeers?: (p: PeerAddress[]) => void } = {},
  ): Promise<AnnounceResult> {
    const r = await this.getPeers(infoHash, opts.onPeers)
    const targets = r.lookups.flatMap((l) => l.closest.filter((n) => n.token))
    const acks = await Promise.all(
      targets.map(
        (n) =>
          new Promise<boolean>((resolve) => {
            const body: QueryBody = {
              method: 'announce_peer',
              infoHash,
              port,
              impliedPort: !!opts.impliedPort,
              token: n.token!,
            }
            this.query(n, body, (res) => resolve(res !== null))
          }),
      ),
    )
    return { ...r, announcedTo: acks.filter(Boolean).length }
  }

  /**
   * Joins the network: asks the bootstrap nodes for nodes near our id, then looks our own id up
   * (which fills the buckets near us). Resolves with the number of nodes in the tables.
   */
  bootstrap(nodes: ReadonlyArray<{ host: string; port: number }> = this.opts.bootstrap ?? []): Promise<number> {
    return new Promise((resolve) => {
      const seeds: Contact[] = []
      let waiting = nodes.length
      let started = false
      const startSelfLookup = () => {
        if (started) return
        started = true
        this.findNodeWithSeeds(seeds).then(() => resolve(this.nodeCount))
      }
      if (waiting === 0) return startSelfLookup()
      for (const b of nodes) {
        this.query(b, { method: 'find_node', target: this.id }, (r) => {
          waiting--
          if (r) {
            seeds.push(...(r.nodes ?? []), ...(r.nodes6 ?? []))
            seeds.push({ id: r.id, host: b.host, port: b.port })
          }
          // The first answer is enough to start; waiting for every router would cost a full timeout.
          if (r || waiting === 0) startSelfLookup()
        })
      }
    })
  }

  private findNodeWithSeeds(seeds: Contact[]): Promise<LookupResult[]> {
    return Promise.all(
      [...this.tables.keys()].map(
        (f) =>
          new Promise<LookupResult>((resolve) =>
            this.lookup(
              'find_node',
              this.id,
              f,
              resolve,
              undefined,
              seeds.filter((s) => familyOf(s.host) === f),
            ),
          ),
      ),
    )
  }

  /** Refreshes idle buckets, pings questionable nodes, expires stored peers. */
  maintain(): void {
    if (this.closed) return
    for (const [family, table] of this.tables) {
      for (const target of table.refreshTargets(this.rnd)) this.lookup('find_node', target, family, () => {})
      for (const n of table.questionable(this.config.pingsPerMaintenance)) this.query(n, { method: 'ping' }, () => {})
    }
    this.store.prune()
    this.pruneBuckets(this.clock.now())
  }
}

function mergePeers(lookups: LookupResult[]): PeerAddress[] {
  const seen = new Set<string>()
  const out: PeerAddress[] = []
  for (const l of lookups) {
    for (const p of l.peers) {
      const key = `${p.ip}|${p.port}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push(p)
    }
  }
  return out
}
