/**
 * announce_peer tokens (BEP 5): a get_peers reply hands the asker a token bound to its IP; an
 * announce_peer is accepted only with a token we issued to that IP within the last 5-10 minutes.
 *
 * A token is HMAC-SHA1(secret, IP) cut to TOKEN_BYTES: without the secret nobody can make one for
 * another address. The secret is replaced every 5 minutes and the previous one is still accepted, so
 * a token lives between 5 and 10 minutes. Rotation is computed from the clock when a token is made or
 * checked, so no timer is needed. Synchronous SHA-1: see util/sha1-sync.ts for why.
 */
import type { Clock } from '../util/clock.ts'
import { randomBytes } from '../util/bytes.ts'
import { parseIPv4, parseIPv6 } from '../util/peer-address.ts'
import { hmacSha1 } from '../util/sha1-sync.ts'

export const TOKEN_ROTATION_MS = 5 * 60_000
/** 8 bytes: a blind guess succeeds once in 2^64, and announces are rate-limited besides. */
export const TOKEN_BYTES = 8
const SECRET_BYTES = 20

export class TokenIssuer {
  private current: Uint8Array
  private previous: Uint8Array
  private rotatedAt: number

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly newSecret: () => Uint8Array = () => randomBytes(SECRET_BYTES),
  ) {
    this.current = this.newSecret()
    this.previous = this.newSecret()
    this.rotatedAt = clock.now()
  }

  private rotate(): void {
    const now = this.clock.now()
    const periods = Math.floor((now - this.rotatedAt) / TOKEN_ROTATION_MS)
    if (periods <= 0) return
    // Two or more periods gone: the previous secret is too old as well.
    this.previous = periods === 1 ? this.current : this.newSecret()
    this.current = this.newSecret()
    this.rotatedAt += periods * TOKEN_ROTATION_MS
  }

  /** The token for a requester at `ip`. */
  issue(ip: string): Uint8Array {
    this.rotate()
    return make(this.current, ip)
  }

  /** Whether `token` was issued to `ip` under the current or the previous secret. */
  check(ip: string, token: Uint8Array): boolean {
    this.rotate()
    if (token.length !== TOKEN_BYTES) return false
    return sameBytes(make(this.current, ip), token) || sameBytes(make(this.previous, ip), token)
  }
}

function make(secret: Uint8Array, ip: string): Uint8Array {
  // The binary address, so two spellings of one IPv6 address ("2001:db8::1", "2001:db8:0::1") agree.
  const addr = parseIPv4(ip) ?? parseIPv6(ip) ?? new TextEncoder().encode(ip)
  return hmacSha1(secret, addr).subarray(0, TOKEN_BYTES)
}

/** Constant-time comparison: how much of a guess was right must not show in the reply time. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i]
  return diff === 0
}
