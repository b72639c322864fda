/**
 * The Kademlia routing table of BEP 5: buckets of k = 8 nodes, split only around our own id, each with
 * a small replacement cache of nodes that answered us while the bucket was full.
 *
 * Why our own table and not the `k-bucket` package: k-bucket 5 is CommonJS that extends Node's
 * `EventEmitter` (`require('events')`) and takes random bytes from `randombytes` (Buffer in browsers),
 * neither of which the engine may import; nor does it keep BEP 5's good/questionable/bad states or
 * replacement caches, which are most of what this file does.
 *
 * Bucket i (below the last) holds the nodes sharing exactly i leading bits with our id; the last
 * bucket holds every node sharing at least that many, and is the only one that splits. A node is
 * good when it answered us in the last 15 minutes, or has ever answered and queried us in the last
 * 15 minutes; bad after MAX_FAILURES queries in a row went unanswered; questionable otherwise.
 * Only nodes that answered one of our queries enter the table (a querier we do not know is pinged by
 * the node first), so a spoofed query cannot plant entries.
 */
import type { Contact } from './krpc.ts'
import { commonPrefixBits, compareDistance, ID_BITS, idKey, idToHex, isNodeId, randomIdWithPrefix } from './node-id.ts'
import type { NodeId, Random } from './node-id.ts'
import { fromHex, isHex } from '../util/hex.ts'

export const K = 8
export const GOOD_WINDOW_MS = 15 * 60_000
export const BUCKET_REFRESH_MS = 15 * 60_000
/** Unanswered queries in a row after which a node is bad. */
export const MAX_FAILURES = 2
export const REPLACEMENTS_PER_BUCKET = 8

export type NodeState = 'good' | 'questionable' | 'bad'

export interface RoutingNode extends Contact {
  /** When it last answered one of our queries; -Infinity when never (restored, not yet confirmed). */
  lastResponse: number
  /** When it last sent us a query; -Infinity when never. */
  lastQuery: number
  /** Our queries in a row it did not answer. */
  failures: number
}

interface Bucket {
  nodes: RoutingNode[]
  /** Most recent first. */
  replacements: RoutingNode[]
  /** Last time a node in it answered, was added, or a lookup refreshed it. */
  lastChanged: number
}

export type SeenResult = 'updated' | 'added' | 'replacement' | 'ignored'

/** What is saved with the session: ids and addresses only; states are earned again after a restart. */
export interface SavedNode {
  id: string
  host: string
  port: number
}

export class RoutingTable {
  private readonly buckets: Bucket[]
  private readonly byId = new Map<string, RoutingNode>()

  constructor(
    readonly ownId: NodeId,
    private readonly now: () => number,
    private readonly k = K,
  ) {
    this.buckets = [{ nodes: [], replacements: [], lastChanged: now() }]
  }

  get size(): number {
    return this.byId.size
  }

  get bucketCount(): number {
    return this.buckets.length
  }

  stateOf(n: RoutingNode, now = this.now()): NodeState {
    if (n.failures >= MAX_FAILURES) return 'bad'
    if (now - n.lastResponse < GOOD_WINDOW_MS) return 'good'
    if (n.lastResponse > -Infinity && now - n.lastQuery < GOOD_WINDOW_MS) return 'good'
    return 'questionable'
  }

  get(id: NodeId): RoutingNode | undefined {
    return this.byId.get(idKey(id))
  }

  has(id: NodeId): boolean {
    return this.byId.has(idKey(id))
  }

  /** All nodes in the buckets (not the replacement caches). */
  nodes(): RoutingNode[] {
    return this.buckets.flatMap((b) => b.nodes)
  }

  private bucketIndex(id: NodeId): number {
    return Math.min(commonPrefixBits(this.ownId, id), this.buckets.length - 1)
  }

  /**
   * A node answered one of our queries: refresh it, or insert it (into free room, over a bad node,
   * after splitting the bucket that holds our id, or else into the replacement cache).
   */
  responded(c: Contact): SeenResult {
    const now = this.now()
    const known = this.get(c.id)
    if (known) {
      // Another address under a known id is ignored while the known one still works: it would let
      // anyone who learns an id redirect its traffic.
      if ((known.host !== c.host || known.port !== c.port) && this.stateOf(known, now) !== 'bad') return 'ignored'
      known.host = c.host
      known.port = c.port
      known.lastResponse = now
      known.failures = 0
      this.buckets[this.bucketIndex(c.id)].lastChanged = now
      return 'updated'
    }
    return this.insert({
      id: c.id.slice(),
      host: c.host,
      port: c.port,
      lastResponse: now,
      lastQuery: -Infinity,
      failures: 0,
    })
  }

  /** A node sent us a query. Only a node already in the table is updated; returns whether it is. */
  queried(c: Contact): boolean {
    const known = this.get(c.id)
    if (!known || known.host !== c.host || known.port !== c.port) return false
    known.lastQuery = this.now()
    return true
  }

  /** Whether a node with this id, once it answers a ping, would be kept (in a bucket or its cache). */
  wants(id: NodeId): boolean {
    if (!isNodeId(id) || this.has(id) || commonPrefixBits(id, this.ownId) === ID_BITS) return false
    const i = this.bucketIndex(id)
    const b = this.buckets[i]
    return (
      b.nodes.length < this.k ||
      this.canSplit(i) ||
      b.replacements.length < REPLACEMENTS_PER_BUCKET ||
      b.nodes.some((n) => this.stateOf(n) === 'bad')
    )
  }

  /** Saved nodes from an earlier session: into free room only, unconfirmed (questionable). */
  restore(saved: readonly SavedNode[]): number {
    let added = 0
    for (const s of saved) {
      if (!isHex(s.id, 40) || typeof s.host !== 'string' || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535)
        continue
      const id = fromHex(s.id)
      if (this.has(id) || commonPrefixBits(id, this.ownId) === ID_BITS) continue
      const i = this.bucketIndex(id)
      const b = this.buckets[i]
      if (b.nodes.length >= this.k && !this.canSplit(i)) continue
      const r = this.insert({
        id,
        host: s.host,
        port: s.port,
        lastResponse: -Infinity,
        lastQuery: -Infinity,
        failures: 0,
      })
      if (r === 'added') added++
    }
    return added
  }

  private canSplit(i: number): boolean {
    return i === this.buckets.length - 1 && this.buckets.length < ID_BITS
  }

  private insert(n: RoutingNode): SeenResult {
    if (commonPrefixBits(n.id, this.ownId) === ID_BITS) return 'ignored'
    const now = this.now()
    for (let guard = 0; guard <= ID_BITS; guard++) {
      const i = this.bucketIndex(n.id)
      const b = this.buckets[i]
      if (b.nodes.length < this.k) {
        b.nodes.push(n)
        this.byId.set(idKey(n.id), n)
        this.dropReplacement(b, n.id)
        b.lastChanged = now
        return 'added'
      }
      const bad = b.nodes.findIndex((x) => this.stateOf(x, now) === 'bad')
      if (bad >= 0 && n.lastResponse > -Infinity) {
        this.byId.delete(idKey(b.nodes[bad].id))
        b.nodes[bad] = n
        this.byId.set(idKey(n.id), n)
        this.dropReplacement(b, n.id)
        b.lastChanged = now
        return 'added'
      }
      if (!this.canSplit(i)) {
        if (n.lastResponse === -Infinity) return 'ignored'
        this.dropReplacement(b, n.id)
        b.replacements.unshift(n)
        if (b.replacements.length > REPLACEMENTS_PER_BUCKET) b.replacements.pop()
        return 'replacement'
      }
      this.split(i)
    }
    return 'ignored'
  }

  /** Splits the last bucket (depth i): nodes sharing more than i bits with us move to a new last bucket. */
  private split(i: number): void {
    const old = this.buckets[i]
    const next: Bucket = { nodes: [], replacements: [], lastChanged: old.lastChanged }
    const deeper = (n: RoutingNode) => commonPrefixBits(n.id, this.ownId) > i
    next.nodes = old.nodes.filter(deeper)
    old.nodes = old.nodes.filter((n) => !deeper(n))
    next.replacements = old.replacements.filter(deeper)
    old.replacements = old.replacements.filter((n) => !deeper(n))
    this.buckets.push(next)
    // Replacements can fill room the split made.
    for (const b of [old, next]) while (b.nodes.length < this.k && b.replacements.length) this.promote(b)
  }

  private promote(b: Bucket): void {
    const r = b.replacements.shift()!
    b.nodes.push(r)
    this.byId.set(idKey(r.id), r)
  }

  private dropReplacement(b: Bucket, id: NodeId): void {
    if (b.replacements.length === 0) return
    const key = idKey(id)
    const j = b.replacements.findIndex((r) => idKey(r.id) === key)
    if (j >= 0) b.replacements.splice(j, 1)
  }

  /**
   * One of our queries to this node went unanswered. A node that turns bad is replaced at once by
   * the freshest node of its bucket's replacement cache, if there is one.
   */
  failed(id: NodeId): void {
    const n = this.get(id)
    if (!n) return
    n.failures++
    if (this.stateOf(n) !== 'bad') return
    const b = this.buckets[this.bucketIndex(id)]
    if (b.replacements.length === 0) {
      // A node that never answered us (restored from disk) and now fails is of no use: drop it.
      if (n.lastResponse === -Infinity) this.remove(b, n)
      return
    }
    this.remove(b, n)
    this.promote(b)
  }

  private remove(b: Bucket, n: RoutingNode): void {
    b.nodes.splice(b.nodes.indexOf(n), 1)
    this.byId.delete(idKey(n.id))
  }

  /**
   * The `count` non-bad nodes closest to `target`, closest first. `confirmedOnly` leaves out nodes
   * that never answered us (restored from disk): what we tell others must have been verified.
   */
  closest(target: NodeId, count = this.k, confirmedOnly = false): RoutingNode[] {
    const now = this.now()
    // Selection into a small sorted array: a node farther than the current count-th is rejected
    // after (usually) one byte, so this costs about one comparison per node instead of a sort.
    const best: RoutingNode[] = []
    for (const b of this.buckets) {
      for (const n of b.nodes) {
        if (best.length === count && compareDistance(target, n.id, best[count - 1].id) >= 0) continue
        if (this.stateOf(n, now) === 'bad' || (confirmedOnly && n.lastResponse === -Infinity)) continue
        let i = best.length
        while (i > 0 && compareDistance(target, n.id, best[i - 1].id) < 0) i--
        best.splice(i, 0, n)
        if (best.length > count) best.pop()
      }
    }
    return best
  }

  /** A lookup toward `target` just ran: its bucket counts as refreshed. */
  touch(target: NodeId): void {
    this.buckets[this.bucketIndex(target)].lastChanged = this.now()
  }

  /**
   * Targets for buckets nothing has refreshed for BUCKET_REFRESH_MS: a random id in each such bucket's
   * range (look each up with find_node). The buckets count as refreshed from now.
   */
  refreshTargets(rnd?: Random): NodeId[] {
    const now = this.now()
    const out: NodeId[] = []
    this.buckets.forEach((b, i) => {
      if (now - b.lastChanged < BUCKET_REFRESH_MS) return
      b.lastChanged = now
      // The last bucket covers every id sharing at least i bits: any depth from i on is in range.
      const last = i === this.buckets.length - 1
      out.push(randomIdWithPrefix(this.ownId, last ? i + Math.floor((rnd ?? Math.random)() * 4) : i, rnd))
    })
    return out
  }

  /** Questionable nodes to ping, the longest silent first. */
  questionable(limit: number): RoutingNode[] {
    const now = this.now()
    const qs = this.nodes().filter((n) => this.stateOf(n, now) === 'questionable')
    const heard = (n: RoutingNode) => Math.max(n.lastResponse, n.lastQuery, -Number.MAX_VALUE)
    qs.sort((a, b) => heard(a) - heard(b))
    return qs.slice(0, limit)
  }

  /** The nodes worth saving: every non-bad node in the buckets. */
  save(): SavedNode[] {
    const now = this.now()
    return this.nodes()
      .filter((n) => this.stateOf(n, now) !== 'bad')
      .map((n) => ({ id: idToHex(n.id), host: n.host, port: n.port }))
  }
}
