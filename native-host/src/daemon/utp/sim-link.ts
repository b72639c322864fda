import { type MuxOptions, UtpMux } from './mux.ts'

/** Two multiplexers joined by an in-memory link on simulated time, with loss, delay and reordering (tests). */
export interface LinkOptions {
  /** Probability each datagram is lost. */
  loss?: number
  /** One-way delay, ms. */
  delayMs?: number
  /** Extra random delay up to this many ms (reorders datagrams). */
  jitterMs?: number
  /** Bytes per simulated ms the link carries (a queue forms above it); unlimited when absent. */
  bytesPerMs?: number
  /** Deterministic randomness (a seed for a small LCG). */
  seed?: number
}

interface InFlight {
  at: number
  to: 'a' | 'b'
  bytes: Uint8Array
}

export class SimLink {
  now = 0
  private queue: InFlight[] = []
  private rng: number
  /** When the bottleneck is free again (per direction). */
  private busyUntil = { a: 0, b: 0 }
  readonly a: UtpMux
  readonly b: UtpMux
  sent = 0
  dropped = 0

  constructor(
    private readonly link: LinkOptions,
    optsA: Partial<MuxOptions> = {},
    optsB: Partial<MuxOptions> = {},
  ) {
    this.rng = link.seed ?? 1
    const clock = { nowMs: () => this.now, random16: () => Math.floor(this.random() * 65536) }
    this.a = new UtpMux({ send: (d) => this.post('b', d) }, { ...clock, ...optsA })
    this.b = new UtpMux({ send: (d) => this.post('a', d) }, { ...clock, ...optsB })
  }

  random(): number {
    this.rng = (this.rng * 1103515245 + 12345) & 0x7fffffff
    return this.rng / 0x80000000
  }

  private post(to: 'a' | 'b', d: Uint8Array): void {
    this.sent++
    if (this.random() < (this.link.loss ?? 0)) {
      this.dropped++
      return
    }
    let at = this.now + (this.link.delayMs ?? 1) + this.random() * (this.link.jitterMs ?? 0)
    if (this.link.bytesPerMs) {
      const start = Math.max(this.now, this.busyUntil[to])
      this.busyUntil[to] = start + d.length / this.link.bytesPerMs
      at = Math.max(at, this.busyUntil[to] + (this.link.delayMs ?? 1))
    }
    this.queue.push({ at, to, bytes: d.slice() })
  }

  /** Runs until `done()` or `maxMs` of simulated time; 1 ms steps, ticks every 50 ms. */
  run(done: () => boolean, maxMs: number): boolean {
    const end = this.now + maxMs
    while (this.now < end) {
      if (done()) return true
      this.now += 1
      const due = this.queue.filter((p) => p.at <= this.now).sort((x, y) => x.at - y.at)
      if (due.length) this.queue = this.queue.filter((p) => p.at > this.now)
      for (const p of due) (p.to === 'a' ? this.a : this.b).receive(p.bytes, p.to === 'a' ? 'b' : 'a', 1)
      this.a.flushAcks()
      this.b.flushAcks()
      if (this.now % 50 === 0) {
        this.a.tick()
        this.b.tick()
      }
    }
    return done()
  }
}
