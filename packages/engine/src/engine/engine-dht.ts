/**
 * The engine's one DHT node: binds the platform's UDP (the DHT port, by default the listen port),
 * restores its id and routing table from the state store, joins through the bootstrap nodes, and
 * serves the torrents' lookups (`DhtAccess`). Saved again on stop and every 15 minutes.
 */
import type { DhtStatus, EngineSettings } from '../api/types.ts'
import { bindDhtTransport } from '../dht/datagram-transport.ts'
import { DhtNode, type SavedDhtState } from '../dht/dht-node.ts'
import { fromHex, isHex } from '../util/hex.ts'
import { isSecureNodeId, secureNodeId, type NodeId } from '../dht/node-id.ts'
import type { Logger, NetPort, StateStore, UdpSocket } from '../platform/ports.ts'
import type { DhtAccess, DhtLookupResult } from '../torrent/torrent-dht.ts'
import { utf8Decode, utf8Encode } from '../util/bytes.ts'
import type { Clock, TimerHandle } from '../util/clock.ts'
import { errorText } from '../util/log.ts'
import type { PeerAddress } from '../util/peer-address.ts'
import { isLocalAddress } from '../pool/ip-address.ts'
import { parseHostPort } from './settings.ts'

const STATE_KEY = 'session/dht'
const SAVE_EVERY_MS = 15 * 60_000
/** While the table is empty, bootstrap again after this (doubling up to 5 minutes). */
const REBOOTSTRAP_MS = 15_000
const REBOOTSTRAP_MAX_MS = 5 * 60_000

export interface EngineDhtDeps {
  net: NetPort
  state: StateStore
  clock: Clock
  log: Logger
  /** Keeps the node's UDP port forwarded on the gateway while it is bound (the engine's port mapping). */
  forward?: { map(socket: UdpSocket): void; unmap(socket: UdpSocket): Promise<void> }
}

export class EngineDht implements DhtAccess {
  private node: DhtNode | null = null
  private bound: { port: number; sockets: UdpSocket[]; close(): void } | null = null
  private state: DhtStatus['state'] = 'off'
  private message?: string
  private ready: Promise<void> = Promise.resolve()
  private timer: TimerHandle | null = null
  private saveTimer: TimerHandle | null = null
  private retryMs = REBOOTSTRAP_MS
  private generation = 0

  constructor(private readonly deps: EngineDhtDeps) {}

  get running(): boolean {
    return this.node !== null
  }

  /** The UDP port peers are told in PORT messages (0 while not bound). */
  get udpPort(): number {
    return this.bound?.port ?? 0
  }

  status(): DhtStatus {
    const nodes = this.node?.nodeCount ?? 0
    return {
      // nodes may arrive without a bootstrap (PORT messages, queries to us)
      state: this.state === 'no-nodes' && nodes > 0 ? 'ready' : this.state,
      nodes,
      port: this.bound?.port ?? null,
      ...(this.message ? { message: this.message } : {}),
    }
  }

  /** Starts the node per the settings (a no-op when they turn the DHT off). */
  async start(settings: EngineSettings, listenPort: number): Promise<void> {
    if (!settings.dhtEnabled || this.node) return
    let bootstrap = settings.dhtBootstrap
      .map(parseHostPort)
      .filter((b): b is { host: string; port: number } => b !== null)
    if (this.deps.net.udpScope === 'local') {
      // A daemon that sends only to local addresses (tests): public routers can never answer.
      bootstrap = bootstrap.filter((b) => isLocalAddress(b.host))
      if (bootstrap.length === 0) {
        this.message = 'the daemon sends UDP only to local addresses, and no bootstrap node is local'
        this.deps.log.info(`DHT: not started: ${this.message}`)
        return
      }
    }
    const gen = ++this.generation
    this.state = 'starting'
    this.message = undefined
    const wanted = settings.dhtPort || listenPort
    const { net, clock, log } = this.deps
    let bound: Awaited<ReturnType<typeof bindDhtTransport>>
    try {
      bound = await bindDhtTransport(net, wanted, (line) => log.info(`DHT: ${line}`))
    } catch (err) {
      this.state = 'error'
      this.message = `binding UDP failed: ${errorText(err)}`
      log.error(`DHT: ${this.message}`)
      return
    }
    if (gen !== this.generation) return bound.close() // stopped meanwhile
    const saved = await this.load()
    if (gen !== this.generation) return bound.close()
    this.bound = bound
    // one mapping per port number: the IPv4 socket stands for both families, as the TCP listener does
    const mapped = bound.sockets[0]
    if (mapped) this.deps.forward?.map(mapped)
    const id = secureIdFor(saved)
    if (id) log.info(`DHT: new node id, secure (BEP 42) for our address ${saved!.ip}`)
    const node = new DhtNode({
      ...(id ? { id } : {}),
      transport: bound.transport,
      families: bound.families,
      clock,
      saved: saved ?? undefined,
      bootstrap,
      log: (line) => log.debug?.(line),
    })
    this.node = node
    node.start()
    log.info(
      `DHT: node ${saved ? 'restored' : 'new'} on UDP port ${bound.port}, IPv${bound.families.join(' and IPv')} (${node.nodeCount} saved nodes, ${bootstrap.length} bootstrap nodes)`,
    )
    this.ready = this.bootstrap(gen)
    this.scheduleSave(gen)
  }

  async stop(): Promise<void> {
    this.generation++
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer)
    if (this.saveTimer !== null) this.deps.clock.clearTimeout(this.saveTimer)
    this.timer = this.saveTimer = null
    const node = this.node
    this.node = null
    if (node) {
      await this.save(node)
      node.close()
    }
    const bound = this.bound
    this.bound = null
    // the gateway forgets the port before the socket closes (a new DHT port is mapped on the next start)
    const mapped = bound?.sockets[0]
    if (mapped) await this.deps.forward?.unmap(mapped)
    bound?.close()
    this.state = 'off'
    this.message = undefined
  }

  /** get_peers for `infoHash`, then announce_peer with `port` when it is above 0. */
  async lookup(infoHash: Uint8Array, port: number, onPeers: (peers: PeerAddress[]) => void): Promise<DhtLookupResult> {
    await this.ready
    const node = this.node
    if (!node) throw new Error('the DHT is off')
    if (node.nodeCount === 0) throw new Error('the DHT knows no nodes yet')
    if (port > 0) {
      const r = await node.announce(infoHash, port, { onPeers })
      return { peers: r.peers.length, announcedTo: r.announcedTo }
    }
    const r = await node.getPeers(infoHash, onPeers)
    return { peers: r.peers.length, announcedTo: 0 }
  }

  /** A node a peer told us about (PORT message): pinged before it enters the table. */
  addNode(host: string, port: number): void {
    if (port > 0 && port <= 65535) this.node?.addNode(host, port)
  }

  private async bootstrap(gen: number): Promise<void> {
    const node = this.node
    if (!node || gen !== this.generation) return
    this.state = 'bootstrapping'
    const count = await node.bootstrap()
    if (gen !== this.generation) return
    if (count > 0) {
      this.state = 'ready'
      this.retryMs = REBOOTSTRAP_MS
      this.deps.log.info(`DHT: joined, ${count} nodes`)
      return
    }
    // Nobody answered (offline, routers down): lookups wait for nothing, try again later.
    this.state = 'no-nodes'
    this.deps.log.info(`DHT: no node answered; trying again in ${Math.round(this.retryMs / 1000)} s`)
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null
      this.ready = this.bootstrap(gen)
    }, this.retryMs)
    this.retryMs = Math.min(REBOOTSTRAP_MAX_MS, this.retryMs * 2)
  }

  private scheduleSave(gen: number): void {
    this.saveTimer = this.deps.clock.setTimeout(() => {
      if (gen !== this.generation || !this.node) return
      void this.save(this.node)
      this.scheduleSave(gen)
    }, SAVE_EVERY_MS)
  }

  private async load(): Promise<SavedDhtState | null> {
    try {
      const raw = await this.deps.state.get(STATE_KEY)
      if (!raw) return null
      const s = JSON.parse(utf8Decode(raw)) as SavedDhtState
      return s && typeof s.id === 'string' && Array.isArray(s.nodes) ? s : null
    } catch (err) {
      // a lost table only costs a bootstrap; a new id is the worst case
      this.deps.log.warn(`DHT: loading the saved node failed, starting fresh: ${errorText(err)}`)
      return null
    }
  }

  private async save(node: DhtNode): Promise<void> {
    await this.deps.state
      .set(STATE_KEY, utf8Encode(JSON.stringify(node.save())))
      .catch((err: unknown) => this.deps.log.warn(`DHT: saving the routing table failed: ${errorText(err)}`))
  }
}

/**
 * BEP 42: an id derived from our external address, when the saved one is not (the id is chosen at
 * start, as the table is built around it; a node learns the address only after it has joined).
 * null: keep the saved id (secure already, no address known, or an exempt address).
 */
export function secureIdFor(saved: SavedDhtState | null): NodeId | null {
  if (!saved?.ip || typeof saved.ip !== 'string' || !isHex(saved.id, 40)) return null
  if (isSecureNodeId(fromHex(saved.id), saved.ip)) return null
  return secureNodeId(saved.ip)
}
