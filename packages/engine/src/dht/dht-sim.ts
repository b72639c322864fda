/**
 * An in-memory DHT network for tests and benchmarks: N DhtNodes whose datagrams are delivered with a
 * per-link latency, a chosen fraction of them silent, all on simulated time (an event queue), so
 * thousands of nodes run in seconds. Nothing here touches a real network; hosts are made-up loopback
 * addresses that only name the simulated nodes.
 */
import type { Clock, TimerHandle } from '../util/clock.ts'
import { xorshift } from '../util/fuzz.ts'
import { DhtNode } from './dht-node.ts'
import type { DhtConfig, SavedDhtState } from './dht-node.ts'
import { fromHex } from '../util/hex.ts'
import { compareDistance, randomId } from './node-id.ts'
import type { NodeId } from './node-id.ts'

interface SimEvent {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/** A Clock driven by a binary-heap event queue: `run*` executes due events in time order. */
export class EventScheduler implements Clock {
  private t = 0
  private seq = 0
  private heap: SimEvent[] = []
  /** Events executed so far. */
  executed = 0

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const e: SimEvent = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false }
    this.push(e)
    return e
  }

  clearTimeout(handle: TimerHandle): void {
    if (handle && typeof handle === 'object') (handle as SimEvent).cancelled = true
  }

  get pending(): number {
    return this.heap.length
  }

  /** Runs every event due up to `until` (then time stands at `until`), at most `maxEvents`. */
  runUntil(until: number, maxEvents = 10_000_000): void {
    for (let n = 0; n < maxEvents && this.heap.length && this.heap[0].at <= until; n++) {
      const e = this.pop()
      if (e.cancelled) continue
      this.t = Math.max(this.t, e.at)
      this.executed++
      e.fn()
    }
    if (until > this.t) this.t = until
  }

  private before(a: SimEvent, b: SimEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }

  private push(e: SimEvent): void {
    const h = this.heap
    h.push(e)
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1
      if (!this.before(h[i], h[p])) break
      const tmp = h[i]
      h[i] = h[p]
      h[p] = tmp
      i = p
    }
  }

  private pop(): SimEvent {
    const h = this.heap
    const top = h[0]
    const last = h.pop()!
    if (h.length) {
      h[0] = last
      for (let i = 0; ; ) {
        const l = 2 * i + 1,
          r = l + 1
        let m = i
        if (l < h.length && this.before(h[l], h[m])) m = l
        if (r < h.length && this.before(h[r], h[m])) m = r
        if (m === i) break
        const tmp = h[i]
        h[i] = h[m]
        h[m] = tmp
        i = m
      }
    }
    return top
  }
}

export interface SimNode {
  index: number
  id: NodeId
  host: string
  port: number
  /** Silent nodes receive nothing and send nothing (a node gone, or behind a closed NAT). */
  responsive: boolean
  /** Undefined for nodes created silent: they exist only as entries in others' tables. */
  node?: DhtNode
}

export interface SimOptions {
  size: number
  seed: number
  /** One-way latency of a link in ms: a number, or a function of the two node indexes. */
  latencyMs: number | ((from: number, to: number) => number)
  /** Fraction of nodes created silent. */
  unresponsive?: number
  config?: Partial<DhtConfig>
}

export class SimNetwork {
  readonly clock = new EventScheduler()
  readonly nodes: SimNode[] = []
  readonly rnd: () => number
  private readonly byAddress = new Map<string, SimNode>()
  private readonly handlers = new Map<number, (bytes: Uint8Array, host: string, port: number) => void>()
  private readonly tampered = new Map<number, (bytes: Uint8Array) => Uint8Array>()
  datagrams = 0

  constructor(private readonly opts: SimOptions) {
    this.rnd = xorshift(opts.seed)
    for (let i = 0; i < opts.size; i++) this.addNode({ responsive: this.rnd() >= (opts.unresponsive ?? 0) })
  }

  /** A node at a fresh address; `saved` restores an earlier node's id and table (a restart). */
  addNode(opts: { responsive?: boolean; saved?: SavedDhtState } = {}): SimNode {
    const i = this.nodes.length
    const host = `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
    const id = opts.saved ? fromHex(opts.saved.id) : randomId(this.rnd)
    const sim: SimNode = { index: i, id, host, port: 6881, responsive: opts.responsive ?? true }
    this.nodes.push(sim)
    this.byAddress.set(`${host}:${sim.port}`, sim)
    if (sim.responsive) sim.node = this.makeNode(sim, opts.saved)
    return sim
  }

  private makeNode(sim: SimNode, saved?: SavedDhtState): DhtNode {
    const transport = {
      send: (host: string, port: number, bytes: Uint8Array) => this.send(sim, host, port, bytes),
      onMessage: (cb: (bytes: Uint8Array, host: string, port: number) => void) => {
        this.handlers.set(sim.index, cb)
      },
    }
    return new DhtNode({ transport, clock: this.clock, id: sim.id, saved, config: this.opts.config, random: this.rnd })
  }

  private latency(from: number, to: number): number {
    const l = this.opts.latencyMs
    return typeof l === 'number' ? l : l(from, to)
  }

  /** A node that lies or is confused: what it sends passes through `rewrite` first. */
  tamper(index: number, rewrite: (bytes: Uint8Array) => Uint8Array): void {
    this.tampered.set(index, rewrite)
  }

  private send(from: SimNode, host: string, port: number, bytes: Uint8Array): void {
    if (!from.responsive) return
    const rewrite = this.tampered.get(from.index)
    const out = rewrite ? rewrite(bytes) : bytes
    const to = this.byAddress.get(`${host}:${port}`)
    this.datagrams++
    if (!to) return
    this.clock.setTimeout(
      () => {
        if (!to.responsive) return
        this.handlers.get(to.index)?.(out, from.host, from.port)
      },
      this.latency(from.index, to.index),
    )
  }

  /** Makes a node silent from now on (it stays in others' tables until they notice). */
  silence(index: number): void {
    this.nodes[index].responsive = false
  }

  /** The `count` responsive nodes closest to `target`: what a perfect lookup finds. */
  trueClosest(target: NodeId, count = 8): SimNode[] {
    return this.nodes
      .filter((n) => n.responsive)
      .sort((a, b) => compareDistance(target, a.id, b.id))
      .slice(0, count)
  }

  /**
   * Fills every responsive node's table as a converged network would have: for each depth, up to k
   * random nodes (silent ones included) from the ids sharing exactly that many bits with it.
   */
  prefill(k = 8): void {
    const sorted = this.nodes.map((n) => ({ n, v: toBig(n.id) })).sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0))
    const values = sorted.map((s) => s.v)
    const lowerBound = (x: bigint) => {
      let lo = 0,
        hi = values.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (values[mid] < x) lo = mid + 1
        else hi = mid
      }
      return lo
    }
    const ALL = (1n << 160n) - 1n
    for (const sim of this.nodes) {
      const table = sim.node?.table(4)
      if (!table) continue
      const own = toBig(sim.id)
      for (let depth = 0; depth < 160; depth++) {
        // Ids sharing at least `depth + 1` bits with ours form [lo1, hi1); those sharing at least
        // `depth` form [lo0, hi0); the bucket at `depth` is the part of the second outside the first.
        const span0 = ALL >> BigInt(depth)
        const base0 = own & ~span0 & ALL
        const span1 = span0 >> 1n
        const base1 = own & ~span1 & ALL
        const lo0 = lowerBound(base0),
          hi0 = lowerBound(base0 + span0 + 1n)
        const lo1 = lowerBound(base1),
          hi1 = lowerBound(base1 + span1 + 1n)
        const below = lo1 - lo0
        const size = below + (hi0 - hi1)
        const picked = new Set<number>()
        for (let tries = 0; picked.size < Math.min(k, size) && tries < 100 * k; tries++)
          picked.add(Math.floor(this.rnd() * size))
        for (const x of picked) {
          const other = sorted[x < below ? lo0 + x : hi1 + (x - below)].n
          table.responded({ id: other.id, host: other.host, port: other.port })
        }
        if (hi1 - lo1 <= 1) break // only we are left deeper down
      }
    }
  }

  /**
   * Runs until `p` settles (or `maxMs` of simulated time pass): events in small slices of simulated
   * time, with the promise jobs they queued run between slices.
   */
  async settle<T>(p: Promise<T>, maxMs = 120_000, sliceMs = 5): Promise<T> {
    let done = false
    let value: T | undefined
    p.then((v) => {
      done = true
      value = v
    })
    const end = this.clock.now() + maxMs
    while (!done && this.clock.now() < end) {
      this.clock.runUntil(Math.min(end, this.clock.now() + sliceMs))
      for (let i = 0; i < 8 && !done; i++) await Promise.resolve()
    }
    if (!done) throw new Error(`not settled within ${maxMs} ms of simulated time`)
    return value as T
  }
}

function toBig(id: NodeId): bigint {
  let v = 0n
  for (const b of id) v = (v << 8n) | BigInt(b)
  return v
}
