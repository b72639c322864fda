import { randomInt } from 'node:crypto'

/** No 0/O, 1/I/L, U: a code read aloud or off a phone screen is typed right. 30 symbols, 8 of them ≈ 39 bits. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789'
export const CODE_LENGTH = 8

export function newPairingCode(): string {
  let s = ''
  for (let i = 0; i < CODE_LENGTH; i++) s += ALPHABET[randomInt(ALPHABET.length)]
  return s
}

/** The code as printed: two groups of four. */
export function formatCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`
}

export interface PairingWindowOptions {
  /** How long the code is valid. Default 5 minutes. */
  ttlMs?: number
  /** Failed attempts (wrong code, abandoned exchange) before the window closes. Default 3. */
  maxFailures?: number
  /** Least time between two attempts. Default 1 s. */
  minIntervalMs?: number
  now?: () => number
}

export type PairingRefusal =
  | 'no pairing window'
  | 'pairing window expired'
  | 'pairing window closed'
  | 'pairing rate-limited'
  | 'pairing busy'

/**
 * The one pairing code and what is left of its chances. CPace lets each attempt test one guess, so
 * three failures leave an attacker a 3·30^-8 (about 5e-12) chance; the window also closes on success
 * (one code, one client) and after its time.
 */
export class PairingWindow {
  readonly expiresAt: number
  private failures = 0
  private lastAttempt = Number.NEGATIVE_INFINITY
  private inProgress = false
  private closedBy: 'success' | 'failures' | null = null
  private readonly now: () => number
  private readonly maxFailures: number
  private readonly minIntervalMs: number

  constructor(
    readonly code: string,
    opts: PairingWindowOptions = {},
  ) {
    this.now = opts.now ?? Date.now
    this.expiresAt = this.now() + (opts.ttlMs ?? 5 * 60_000)
    this.maxFailures = opts.maxFailures ?? 3
    this.minIntervalMs = opts.minIntervalMs ?? 1000
  }

  get open(): boolean {
    return this.closedBy === null && this.now() < this.expiresAt
  }

  /** Starts an attempt, or says why not. The caller must end it with `succeeded` or `failed`. */
  begin(): PairingRefusal | null {
    if (this.closedBy) return 'pairing window closed'
    if (this.now() >= this.expiresAt) return 'pairing window expired'
    if (this.inProgress) return 'pairing busy'
    if (this.now() - this.lastAttempt < this.minIntervalMs) return 'pairing rate-limited'
    this.inProgress = true
    this.lastAttempt = this.now()
    return null
  }

  succeeded(): void {
    this.inProgress = false
    this.closedBy = 'success'
  }

  failed(): void {
    if (!this.inProgress) return
    this.inProgress = false
    if (++this.failures >= this.maxFailures) this.closedBy = 'failures'
  }

  get failureCount(): number {
    return this.failures
  }
}
