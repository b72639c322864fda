import type { Transport } from './transport-choice.ts'
/** The pool's record of one peer, and how it is ranked. */

export type PeerSource = 'tracker' | 'dht' | 'pex' | 'lsd' | 'incoming' | 'manual' | 'resume'

/**
 * discovered: known, never tried, may be tried now. candidate: tried before, may be tried again now.
 * connecting / connected: holds a connection slot. disconnected: waiting out its reconnect delay.
 * banned: never tried again.
 */
export type PeerState = 'discovered' | 'candidate' | 'connecting' | 'connected' | 'disconnected' | 'banned'

export interface TorrentPeer {
  /** "ip:port" or "[v6]:port", the ip in canonical form. */
  readonly key: string
  readonly ip: string
  readonly port: number
  readonly family: 4 | 6
  readonly state: PeerState
  /** Failed attempts and error disconnects since the last successful connection. */
  readonly failcount: number
  /** Pieces failing verification that this peer contributed to. */
  readonly hashfails: number
  /** Our requests it rejected although it had unchoked us (or allowed the piece fast). */
  readonly rejects: number
  /** Times it left our requests unanswered past the snub timeout. */
  readonly snubs: number
  /**
   * Stray messages (blocks or rejects we never asked for, requests for pieces we never advertised)
   * and protocol violations.
   */
  readonly violations: number
  /** Times we closed it for its conduct; unlike failcount, a good connection does not reset it. */
  readonly drops: number
  /** Why we last closed it for its conduct. */
  readonly dropReason?: string
  /** Payload bytes received from / sent to this peer, all connections together. */
  readonly downloaded: number
  readonly uploaded: number
  readonly seed: boolean
  readonly sources: ReadonlySet<PeerSource>
  /** ms of the last connect attempt or disconnect; 0 = never tried. */
  readonly lastConnected: number
  /** ms before which it is not tried again (0 = any time). */
  readonly nextAttemptAt: number
  /** Higher is better; see `computeRank`. */
  readonly rank: number
  /** BEP 40 priority of the connection between us and this peer (0 while our address is unknown). */
  readonly priority: number
  /** The current or last connection was made by the peer. */
  readonly incoming: boolean
  /** We know a listen port for it (false for peers only seen connecting in from an ephemeral port). */
  readonly connectable: boolean
  /** It dropped an MSE opening of ours: under the 'prefer' policy it is dialled plain from then on. */
  readonly mseRefused: boolean
  /** It takes uTP (PEX flag 0x04, or it reached us over uTP). */
  readonly utp: boolean
  /** The transport that failed once: the other one is used from then on (transport-choice.ts). */
  readonly failedTransport: Transport | undefined
  /** Why it failed there (named again when the other transport fails too). */
  readonly failedTransportReason: string | undefined
  readonly lastError?: string
  readonly banReason?: string
  readonly addedAt: number
  /** Handshake round trip of our last connection to it, ms (0 = never measured). */
  readonly rttMs: number
  /** Pieces it had that we lacked, when we last saw its availability (0 = unknown). */
  readonly diversity: number
}

/** The mutable record behind a TorrentPeer; only the pool writes it. */
export class PeerRecord implements TorrentPeer {
  state: PeerState = 'discovered'
  failcount = 0
  hashfails = 0
  rejects = 0
  snubs = 0
  violations = 0
  drops = 0
  downloaded = 0
  uploaded = 0
  seed = false
  /** Bit per PeerSource (see SOURCE_BITS): one number instead of a Set per peer. */
  sourceMask = 0
  lastConnected = 0
  nextAttemptAt = 0
  rank = 0
  priority = 0
  incoming = false
  connectable = true
  mseRefused = false
  utp = false
  failedTransport: Transport | undefined = undefined
  failedTransportReason: string | undefined = undefined
  lastError?: string
  banReason?: string
  dropReason?: string
  rttMs = 0
  diversity = 0
  /** Positions in the pool's candidate, waiting and eviction heaps (-1 = not there). */
  readyIdx = -1
  waitIdx = -1
  evictIdx = -1
  constructor(
    readonly key: string,
    readonly ip: string,
    readonly port: number,
    readonly family: 4 | 6,
    readonly addedAt: number,
    /** Insertion number: the last tie-breaker, so ordering is deterministic. */
    readonly seq: number,
  ) {}

  get sources(): ReadonlySet<PeerSource> {
    const out = new Set<PeerSource>()
    for (const s of ALL_SOURCES) if (this.sourceMask & SOURCE_BITS[s]) out.add(s)
    return out
  }

  addSource(s: PeerSource): void {
    this.sourceMask |= SOURCE_BITS[s]
  }
}

const ALL_SOURCES: PeerSource[] = ['tracker', 'dht', 'pex', 'lsd', 'incoming', 'manual', 'resume']
const SOURCE_BITS = Object.fromEntries(ALL_SOURCES.map((s, i) => [s, 1 << i])) as Record<PeerSource, number>

const BLOCK = 16 * 1024

/**
 * Rewards peers we downloaded from (log scale, so one big transfer does not dominate) and seeds
 * while we download; penalises seeds while we seed (they want nothing from us), failures, hash
 * failures and wasted time (rejects on a log scale, snubs, stray messages, conduct drops).
 */
export function computeRank(p: PeerRecord, weAreSeeding: boolean): number {
  let rank = 0
  if (p.downloaded > 0) rank += 10 * Math.floor(Math.log2(1 + p.downloaded / BLOCK))
  if (p.seed) rank += weAreSeeding ? -100 : 50
  rank -= 20 * p.failcount
  rank -= 50 * p.hashfails
  if (p.rejects > 0) rank -= 10 * Math.floor(Math.log2(1 + p.rejects))
  rank -= 10 * p.snubs
  rank -= 20 * p.violations
  rank -= 50 * p.drops
  return rank
}

/**
 * Candidate order: fewer failures first, then never or least recently tried, then higher rank,
 * then higher BEP 40 priority, then lower measured handshake round trip (unmeasured last), then
 * more pieces we lack, then first added.
 */
export function candidateBefore(a: PeerRecord, b: PeerRecord): boolean {
  if (a.failcount !== b.failcount) return a.failcount < b.failcount
  if (a.lastConnected !== b.lastConnected) return a.lastConnected < b.lastConnected
  if (a.rank !== b.rank) return a.rank > b.rank
  if (a.priority !== b.priority) return a.priority > b.priority
  if (a.rttMs !== b.rttMs) return b.rttMs === 0 || (a.rttMs !== 0 && a.rttMs < b.rttMs)
  if (a.diversity !== b.diversity) return a.diversity > b.diversity
  return a.seq < b.seq
}

/**
 * Eviction order, least useful first (after libtorrent's compare_peer_erase): banned, then more
 * failures, then known only by an ephemeral port, then never tried (a peer that connected has
 * proven reachable), then lower rank, then first added.
 */
export function evictBefore(a: PeerRecord, b: PeerRecord): boolean {
  const aBanned = a.state === 'banned'
  if (aBanned !== (b.state === 'banned')) return aBanned
  if (a.failcount !== b.failcount) return a.failcount > b.failcount
  if (a.connectable !== b.connectable) return !a.connectable
  const aNever = a.lastConnected === 0
  if (aNever !== (b.lastConnected === 0)) return aNever
  if (a.rank !== b.rank) return a.rank < b.rank
  return a.seq < b.seq
}
