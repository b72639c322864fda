import { u32Diff } from './seq.ts'

/**
 * LEDBAT congestion control (BEP 29 / RFC 6817): the window grows while the one-way queuing delay our
 * packets see is under the target and shrinks above it, so uTP yields to TCP on a shared bottleneck.
 * Delay samples are the peer's timestamp_difference (its clock minus ours, so only differences between
 * samples mean anything); the base delay is the lowest sample of the last two minutes.
 */
export interface LedbatOptions {
  /** Queuing delay to aim for, microseconds (BEP 29: 100 ms). */
  targetUs?: number
  /** Largest packet payload; the window never goes below one. */
  packetBytes?: number
  /** Window growth per round trip at zero delay, bytes (libutp and libtorrent: 3000). */
  gainBytesPerRtt?: number
  maxWindow?: number
}

const BUCKET_MS = 60_000
const BUCKETS = 2

/** Minimum of the delay samples over the last BUCKETS minutes, compared across uint32 wraparound. */
export class DelayHistory {
  private readonly mins: number[] = []
  private bucketStart = Number.NEGATIVE_INFINITY

  add(sample: number, nowMs: number): void {
    if (nowMs - this.bucketStart >= BUCKET_MS) {
      this.bucketStart = nowMs
      this.mins.push(sample)
      if (this.mins.length > BUCKETS) this.mins.shift()
      return
    }
    const last = this.mins.length - 1
    if (u32Diff(sample, this.mins[last]) < 0) this.mins[last] = sample
  }

  get base(): number | undefined {
    let b: number | undefined
    for (const m of this.mins) if (b === undefined || u32Diff(m, b) < 0) b = m
    return b
  }
}

export class Ledbat {
  readonly targetUs: number
  readonly packetBytes: number
  readonly gain: number
  readonly maxWindow: number
  /** Bytes allowed in flight. */
  window: number
  slowStart = true
  /** Queuing delay of the latest sample, microseconds (for stats and tests). */
  queuingUs = 0
  private readonly history = new DelayHistory()
  /** The last three samples: their minimum filters out one-off spikes (as libtorrent does). */
  private readonly recent: number[] = []
  private lastCutMs = Number.NEGATIVE_INFINITY

  constructor(o: LedbatOptions = {}) {
    this.targetUs = o.targetUs ?? 100_000
    this.packetBytes = o.packetBytes ?? 1380
    this.gain = o.gainBytesPerRtt ?? 3000
    this.maxWindow = o.maxWindow ?? 16 * 1024 * 1024
    this.window = 2 * this.packetBytes
  }

  /**
   * `bytesAcked` newly acknowledged; `delaySample` the acking packet's timestamp_difference (undefined
   * when it carried none); `cwndLimited` whether the window, not the application, limited sending.
   */
  onAck(bytesAcked: number, delaySample: number | undefined, cwndLimited: boolean, nowMs: number): void {
    if (bytesAcked <= 0) return
    if (delaySample !== undefined) {
      this.history.add(delaySample, nowMs)
      this.recent.push(delaySample)
      if (this.recent.length > 3) this.recent.shift()
      let cur = this.recent[0]
      for (const s of this.recent) if (u32Diff(s, cur) < 0) cur = s
      this.queuingUs = Math.max(0, u32Diff(cur, this.history.base ?? cur))
    }
    if (!cwndLimited) return // an idle sender learns nothing about the path's capacity
    const offTarget = (this.targetUs - this.queuingUs) / this.targetUs
    const windowFactor = Math.min(bytesAcked, this.window) / Math.max(this.window, bytesAcked)
    const scaled = this.gain * offTarget * windowFactor
    if (this.slowStart) {
      if (this.queuingUs > this.targetUs / 2) this.slowStart = false
      else {
        // exponential while the path shows no queue, but never slower than LEDBAT itself
        this.window = Math.min(this.maxWindow, this.window + Math.max(bytesAcked, scaled))
        return
      }
    }
    this.window = Math.max(this.packetBytes, Math.min(this.maxWindow, this.window + scaled))
  }

  /** A lost packet seen through duplicate or selective acks: halve, at most once per round trip. */
  onLoss(nowMs: number, rttMs: number): void {
    if (nowMs - this.lastCutMs < Math.max(rttMs, 1)) return
    this.lastCutMs = nowMs
    this.slowStart = false
    this.window = Math.max(this.packetBytes, Math.floor(this.window / 2))
  }

  /** Retransmission timeout: the path may be gone; start again from one packet. */
  onTimeout(): void {
    this.slowStart = false
    this.window = this.packetBytes
  }
}
