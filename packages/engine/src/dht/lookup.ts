/**
 * One iterative Kademlia lookup (get_peers or find_node) toward a target, as libtorrent runs it.
 *
 * Candidates are kept closest first. The window is the k closest candidates that have neither failed
 * nor gone slow; up to α queries are in flight to window members at once. A query that passes the
 * short timeout counts as slow: it leaves the window and stops counting toward α, so the next
 * candidate is asked (the search widens) while its late answer is still welcome until the full
 * timeout fails it. The lookup ends when every window member has answered. It only decides whom to
 * ask; sending, timers and the routing table belong to the node (LookupRpc).
 */
import type { PeerAddress } from '../util/peer-address.ts'
import { peerKey } from '../util/peer-address.ts'
import type { Contact } from './krpc.ts'
import { compareDistance, idKey } from './node-id.ts'
import type { NodeId } from './node-id.ts'

export interface LookupReply {
  /** Nodes of the lookup's family from the reply. */
  nodes: Contact[]
  values?: PeerAddress[]
  token?: Uint8Array
}

export interface LookupRpc {
  /**
   * Asks `node` (find_node or get_peers for the target). `onSlow` may fire once, at the short
   * timeout; `onDone` fires exactly once, with the reply or null (full timeout, error, not sent).
   */
  ask(node: Contact, onSlow: () => void, onDone: (reply: LookupReply | null) => void): void
}

export interface LookupOptions {
  target: NodeId
  k: number
  alpha: number
  /** A hard cap on queries, so no reply pattern can keep a lookup going. */
  maxQueries: number
  /** Never asked (our own id). */
  exclude?: NodeId
  now: () => number
  onPeers?: (peers: PeerAddress[]) => void
  onDone: (result: LookupResult) => void
}

export interface AnsweredNode extends Contact {
  token?: Uint8Array
}

export interface LookupResult {
  target: NodeId
  /** The (up to) k closest nodes that answered, closest first, with the tokens they gave. */
  closest: AnsweredNode[]
  peers: PeerAddress[]
  queries: number
  answered: number
  startedAt: number
  finishedAt: number
  /** When the first peer arrived (get_peers), if any did. */
  firstPeerAt?: number
}

type State = 'new' | 'asked' | 'slow' | 'answered' | 'failed'

interface Candidate extends AnsweredNode {
  state: State
}

/** Nodes read from one reply at most: 8 is what BEP 5 sends; a few more tolerate generous peers. */
const MAX_NODES_PER_REPLY = 16

export class Lookup {
  private readonly cands: Candidate[] = []
  private readonly seen = new Set<string>()
  private readonly peers = new Map<string, PeerAddress>()
  private inFlight = 0
  private queries = 0
  private answered = 0
  private slowPending = 0
  private finished = false
  private stepping = false
  private again = false
  private readonly startedAt: number
  private firstPeerAt?: number
  private readonly maxCandidates: number

  constructor(
    private readonly rpc: LookupRpc,
    private readonly opts: LookupOptions,
  ) {
    this.startedAt = opts.now()
    this.maxCandidates = opts.k * 8
    if (opts.exclude) this.seen.add(idKey(opts.exclude))
  }

  get done(): boolean {
    return this.finished
  }

  start(seeds: readonly Contact[]): void {
    for (const s of seeds) this.add(s)
    this.step()
  }

  /** Ends the lookup now with what it has (the node is closing). */
  abort(): void {
    this.finish()
  }

  private add(c: Contact): void {
    const hex = idKey(c.id)
    if (this.seen.has(hex)) return
    this.seen.add(hex)
    const cand: Candidate = { id: c.id, host: c.host, port: c.port, state: 'new' }
    const target = this.opts.target
    // Binary search for the place that keeps the list closest first.
    let lo = 0,
      hi = this.cands.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (compareDistance(target, this.cands[mid].id, c.id) < 0) lo = mid + 1
      else hi = mid
    }
    if (lo >= this.maxCandidates) return
    this.cands.splice(lo, 0, cand)
    const last = this.cands[this.cands.length - 1]
    if (this.cands.length > this.maxCandidates && (last.state === 'new' || last.state === 'failed')) this.cands.pop()
  }

  private step(): void {
    // Replies can arrive synchronously from inside ask(); re-run instead of recursing over the list.
    if (this.stepping) {
      this.again = true
      return
    }
    this.stepping = true
    try {
      do {
        this.again = false
        this.stepOnce()
      } while (this.again && !this.finished)
    } finally {
      this.stepping = false
    }
  }

  private stepOnce(): void {
    if (this.finished) return
    const { k, alpha, maxQueries } = this.opts
    let inWindow = 0
    let allAnswered = true
    let waiting = false
    for (const c of this.cands) {
      if (inWindow >= k) break
      if (c.state === 'failed' || c.state === 'slow') continue
      inWindow++
      if (c.state === 'answered') continue
      allAnswered = false
      if (c.state === 'asked') waiting = true
      else if (this.inFlight < alpha && this.queries < maxQueries) {
        this.ask(c)
        waiting = true
        if (this.finished) return
      }
    }
    // A window still short of k in a small network: slow nodes may yet answer with more nodes.
    if (allAnswered && (inWindow >= k || this.slowPending === 0)) return this.finish()
    if (!allAnswered && !waiting && this.inFlight === 0 && this.slowPending === 0) this.finish()
  }

  private ask(c: Candidate): void {
    c.state = 'asked'
    this.inFlight++
    this.queries++
    let slow = false
    let done = false
    this.rpc.ask(
      c,
      () => {
        if (done || slow || this.finished) return
        slow = true
        c.state = 'slow'
        this.inFlight--
        this.slowPending++
        this.step()
      },
      (reply) => {
        if (done) return
        done = true
        if (slow) this.slowPending--
        else this.inFlight--
        if (this.finished) return
        if (!reply) {
          c.state = 'failed'
        } else {
          c.state = 'answered'
          this.answered++
          if (reply.token) c.token = reply.token
          for (const n of reply.nodes.slice(0, MAX_NODES_PER_REPLY)) this.add(n)
          if (reply.values?.length) this.addPeers(reply.values)
        }
        this.step()
      },
    )
  }

  private addPeers(values: PeerAddress[]): void {
    const fresh: PeerAddress[] = []
    for (const p of values) {
      const key = peerKey(p)
      if (this.peers.has(key)) continue
      this.peers.set(key, p)
      fresh.push(p)
    }
    if (!fresh.length) return
    this.firstPeerAt ??= this.opts.now()
    this.opts.onPeers?.(fresh)
  }

  private finish(): void {
    if (this.finished) return
    this.finished = true
    const closest: AnsweredNode[] = []
    for (const c of this.cands) {
      if (closest.length >= this.opts.k) break
      if (c.state === 'answered')
        closest.push({ id: c.id, host: c.host, port: c.port, ...(c.token ? { token: c.token } : {}) })
    }
    this.opts.onDone({
      target: this.opts.target,
      closest,
      peers: [...this.peers.values()],
      queries: this.queries,
      answered: this.answered,
      startedAt: this.startedAt,
      finishedAt: this.opts.now(),
      ...(this.firstPeerAt !== undefined ? { firstPeerAt: this.firstPeerAt } : {}),
    })
  }
}
