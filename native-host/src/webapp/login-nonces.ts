import { randomBytes } from 'node:crypto'

/** How long a printed login link works. */
export const LOGIN_TTL_MS = 60_000

export type Redeemed = { ok: true } | { ok: false; reason: 'unknown' | 'expired' | 'used' }

/**
 * Single-use, short-lived login nonces for the web app. The link the app prints or opens carries a
 * nonce, never the daemon token: the page trades the nonce once (POST /session) for the token, so a
 * nonce seen in argv, history or a screenshot is worthless after first use or after LOGIN_TTL_MS.
 */
export class LoginNonces {
  private readonly live = new Map<string, number>()
  /** Used nonces until they would have expired: a second use is reported as `used` (a possible race). */
  private readonly used = new Map<string, number>()

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = LOGIN_TTL_MS,
  ) {}

  mint(): string {
    this.sweep()
    const n = randomBytes(24).toString('hex')
    this.live.set(n, this.now() + this.ttlMs)
    return n
  }

  /** Consumes the nonce: a second call with the same value fails with `used`. */
  redeem(nonce: unknown): Redeemed {
    if (typeof nonce !== 'string') return { ok: false, reason: 'unknown' }
    if (this.used.has(nonce)) return { ok: false, reason: 'used' }
    const until = this.live.get(nonce)
    if (until === undefined) return { ok: false, reason: 'unknown' }
    this.live.delete(nonce)
    if (this.now() > until) return { ok: false, reason: 'expired' }
    this.used.set(nonce, until)
    return { ok: true }
  }

  private sweep(): void {
    const t = this.now()
    // Expired nonces are kept a little for a clear `expired` answer, then forgotten.
    for (const [n, until] of this.live) if (t > until + 10 * this.ttlMs) this.live.delete(n)
    for (const [n, until] of this.used) if (t > until + 10 * this.ttlMs) this.used.delete(n)
  }
}
