/**
 * Why a peer connection ended (or never started), as a value: decisions (does it count against the
 * peer?) switch on `kind`, and `describeCloseReason` is the one place that turns it into text for people.
 */
export type CloseReason =
  | { kind: 'protocol-violation'; detail: string }
  /** `detail` names the timer: 'handshake', 'idle'. */
  | { kind: 'timeout'; detail?: string }
  | { kind: 'socket-error'; detail?: string }
  /** A connect that never reached the peer (`detail`: the platform's error code, e.g. 'refused'). */
  | { kind: 'connect-failed'; detail?: string }
  /** A bug on our side (a handler threw). */
  | { kind: 'internal'; detail?: string }
  /** The other end is ourselves (trackers hand us our own address). */
  | { kind: 'self' }
  /** A second connection to a peer we already have a session with. */
  | { kind: 'duplicate' }
  /** We completed and so did the peer: neither has anything for the other. */
  | { kind: 'both-seeds' }
  /** The torrent stopped. */
  | { kind: 'stopped' }
  /** The torrent failed (disk error, bad metadata): every peer is let go. */
  | { kind: 'torrent-error' }
  /**
   * We dropped the peer for wasting our time (requests it rejected, stray messages); `detail` says
   * what it did, as the torrent's conduct policy describes it.
   */
  | { kind: 'wasteful'; detail: string }
  /** The pool banned the peer (`detail`: the ban reason). */
  | { kind: 'banned'; detail?: string }
  /** An incoming handshake for a torrent we do not have, or have no room for. */
  | { kind: 'incoming-refused' }
  | { kind: 'remote-closed' }
  /**
   * The MSE/PE handshake did not complete: the peer closed or stalled during it, or it broke the
   * protocol (`detail`: what happened, an MseError code first when there is one).
   */
  | { kind: 'encryption-failed'; detail: string }
  /** The peer's opening breaks our encryption policy (plain while we require MSE, MSE while disabled). */
  | { kind: 'encryption-refused'; detail: string }
  /** A test or tool ended the connection on purpose. */
  | { kind: 'done' }

export type CloseKind = CloseReason['kind']

/**
 * Does this end count as a failure of the peer (pool failcount, backoff, and a ban after a few)?
 * Misbehaviour and unreachability do; a close by either side for an ordinary reason does not, or a
 * peer we stopped talking to would be banned for it. Exhaustive: a new kind must be decided here.
 */
export function countsAgainstPeer(reason: CloseReason): boolean {
  switch (reason.kind) {
    case 'protocol-violation':
    case 'timeout':
    case 'socket-error':
    case 'connect-failed':
    case 'internal':
      return true
    // A peer that cannot complete MSE is unreachable for us. Under 'prefer' the torrent retries it
    // plain instead of closing it as a failure; this counts only when MSE was all we would take.
    case 'encryption-failed':
      return true
    case 'self':
    case 'duplicate':
    case 'both-seeds':
    case 'stopped':
    case 'torrent-error':
    case 'incoming-refused':
    case 'encryption-refused':
    case 'remote-closed':
    case 'done':
      return false
    // Our own verdicts on the peer, already charged where they were made: a drop for conduct by the
    // pool's dropForConduct (a failure with a doubled delay, and a drop that a good connection does
    // not reset), a ban by the ban itself. Counting the close as a failure as well would charge the
    // peer twice for one offence.
    case 'wasteful':
    case 'banned':
      return false
    default:
      return unreachable(reason)
  }
}

/** The text the UI and logs show for a reason (the swarm tab's "Last error" column). */
export function describeCloseReason(reason: CloseReason): string {
  switch (reason.kind) {
    case 'protocol-violation':
      return `protocol violation: ${reason.detail}`
    case 'timeout':
      return reason.detail ? `${reason.detail} timeout` : 'timeout'
    case 'socket-error':
      return reason.detail ? `socket error: ${reason.detail}` : 'socket error'
    case 'connect-failed':
      return reason.detail ?? 'connect failed'
    case 'internal':
      return reason.detail ? `internal error: ${reason.detail}` : 'internal error'
    case 'self':
      return 'connected to ourselves'
    case 'duplicate':
      return 'duplicate connection'
    case 'both-seeds':
      return 'both seeds'
    case 'stopped':
      return 'stopped'
    case 'torrent-error':
      return 'torrent error'
    case 'wasteful':
      return reason.detail // already a sentence: 'rejected 7 requests, delivered 0 blocks'
    case 'banned':
      return reason.detail ? `banned: ${reason.detail}` : 'banned'
    case 'incoming-refused':
      return 'incoming refused (unknown info-hash or no room)'
    case 'remote-closed':
      return 'peer closed the connection'
    case 'encryption-failed':
      return `encryption handshake failed: ${reason.detail}`
    case 'encryption-refused':
      return `refused by our encryption policy: ${reason.detail}`
    case 'done':
      return 'done'
    default:
      return unreachable(reason)
  }
}

function unreachable(x: never): never {
  throw new Error(`unknown close reason ${JSON.stringify(x)}`)
}
