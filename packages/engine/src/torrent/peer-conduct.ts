/**
 * Whether a connected peer is worth our requests: a pure record of what it did on this connection
 * and the policy that follows from it (no clock, no I/O; times come in as arguments).
 *
 * What is charged:
 * - a reject (BEP 6) of a request the peer had allowed: sent while it unchoked us, or for one of its
 *   allowed-fast pieces. Rejects that follow a choke are BEP 6's normal way to discard requests and
 *   cost nothing, but every reject still pauses our requests to that peer for a moment, so a
 *   rejected block is never asked for again at once (the picker hands it to another peer first).
 * - stray messages: a block or a reject for a block we never requested (nor gave up on, where late
 *   answers are normal), and a request for a piece we never advertised to it. We only ever request
 *   pieces a peer advertised (the picker works from its bitfield), so "asking for pieces a peer said
 *   it has not" cannot happen on our side; the mirror image is a peer asking us for pieces we said we
 *   have not, which an honest peer never does. Such a request is rejected and charged.
 * - a request while we choke the peer, other than for an allowed-fast piece (BEP 6), once the wire's
 *   grace after our choke has passed: requests sent before the peer saw the choke are normal, ones
 *   sent long after it are waste (each is refused, with a reject under BEP 6).
 *
 * The policy: rejects within `rejectAllowance` of the blocks delivered only pause. Past it the peer
 * is held off from our requests for `holdOffMs` (doubling each time); if it is still past it after
 * `maxHoldOffs` hold-offs, or sends more than `maxStrays` stray messages, it is dropped.
 */
import { describeCloseReason } from '../wire/close-reason.ts'
import type { StrayMessage } from '../wire/peer-types.ts'

export interface ConductPolicy {
  /** Rejects tolerated beyond the blocks the peer delivered before it is held off. */
  rejectAllowance: number
  /** After any reject, no new requests to that peer for this long. */
  rejectPauseMs: number
  /** The first hold-off; each further one is twice as long. */
  holdOffMs: number
  /** Hold-offs before a peer whose rejects still exceed its deliveries is dropped. */
  maxHoldOffs: number
  /** Stray messages tolerated before the peer is dropped. */
  maxStrays: number
}

export const DEFAULT_CONDUCT_POLICY: ConductPolicy = {
  rejectAllowance: 4,
  rejectPauseMs: 1000,
  holdOffMs: 10_000,
  maxHoldOffs: 2,
  maxStrays: 16,
}

/** Why a peer was dropped for its conduct: a value, made into text only by `describeConductDrop`. */
export type ConductDrop =
  | { kind: 'rejects'; rejects: number; delivered: number }
  | {
      kind: 'strays'
      unrequestedBlocks: number
      unrequestedRejects: number
      unadvertisedRequests: number
      chokedRequests: number
    }
  /** `detail`: the wire's, as in its CloseReason. */
  | { kind: 'protocol-violation'; detail: string }

/** What the caller must do after an event. */
export type ConductAction = 'none' | 'hold-off' | 'drop'

export class PeerConduct {
  /** Blocks the peer delivered that we had asked for. */
  delivered = 0
  /** Rejects of requests the peer had allowed. */
  rejects = 0
  holdOffs = 0
  private readonly strays: Record<StrayMessage, number> = {
    'unrequested-block': 0,
    'unrequested-reject': 0,
    'unadvertised-request': 0,
    'choked-request': 0,
  }
  private strayTotal = 0
  /** No requests to this peer before this time (ms). */
  private quietUntil = 0
  private heldOffUntil = 0
  private dropped: ConductDrop | null = null

  constructor(private readonly policy: ConductPolicy = DEFAULT_CONDUCT_POLICY) {}

  mayRequest(now: number): boolean {
    return !this.dropped && now >= this.quietUntil
  }

  onBlock(): void {
    this.delivered++
  }

  /** The peer rejected one of our requests; `allowed`: it had unchoked us or allowed the piece fast. */
  onReject(now: number, allowed: boolean): ConductAction {
    if (this.dropped) return 'none'
    const p = this.policy
    this.pauseUntil(now + p.rejectPauseMs)
    if (!allowed) return 'none'
    this.rejects++
    if (this.rejects <= this.delivered + p.rejectAllowance) return 'none'
    if (now < this.heldOffUntil) return 'none' // answers to requests sent before the hold-off
    if (this.holdOffs >= p.maxHoldOffs) {
      return this.drop({ kind: 'rejects', rejects: this.rejects, delivered: this.delivered })
    }
    this.heldOffUntil = now + p.holdOffMs * 2 ** this.holdOffs
    this.pauseUntil(this.heldOffUntil)
    this.holdOffs++
    return 'hold-off'
  }

  onStray(what: StrayMessage): ConductAction {
    if (this.dropped) return 'none'
    this.strays[what]++
    if (++this.strayTotal <= this.policy.maxStrays) return 'none'
    const s = this.strays
    return this.drop({
      kind: 'strays',
      unrequestedBlocks: s['unrequested-block'],
      unrequestedRejects: s['unrequested-reject'],
      unadvertisedRequests: s['unadvertised-request'],
      chokedRequests: s['choked-request'],
    })
  }

  /** Why the peer was dropped; throws before an event returned 'drop'. */
  dropReason(): ConductDrop {
    if (!this.dropped) throw new Error('the peer was not dropped')
    return this.dropped
  }

  private pauseUntil(t: number): void {
    this.quietUntil = Math.max(this.quietUntil, t)
  }

  private drop(why: ConductDrop): ConductAction {
    this.dropped = why
    return 'drop'
  }
}

/** The one place a conduct drop becomes text (the pool's drop reason, the UI, the CLI's JSON). */
export function describeConductDrop(d: ConductDrop): string {
  switch (d.kind) {
    case 'rejects':
      return `rejected ${d.rejects} requests, delivered ${d.delivered} blocks`
    case 'strays': {
      const parts: string[] = []
      if (d.unrequestedBlocks) parts.push(`${d.unrequestedBlocks} unrequested blocks`)
      if (d.unrequestedRejects) parts.push(`${d.unrequestedRejects} rejects of nothing we asked for`)
      if (d.unadvertisedRequests) parts.push(`${d.unadvertisedRequests} requests for pieces we never advertised`)
      if (d.chokedRequests) parts.push(`${d.chokedRequests} requests while we choked it`)
      return `sent ${parts.join(', ')}`
    }
    case 'protocol-violation':
      return describeCloseReason(d) // the same text as the close itself
  }
}
