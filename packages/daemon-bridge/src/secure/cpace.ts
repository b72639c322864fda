import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'

/**
 * CPace over ristretto255 (the construction of draft-irtf-cfrg-cpace; the exact byte strings are ours,
 * docs/daemon-protocol.md §12.3). Both sides map the pairing code to a secret generator G, exchange
 * y·G for random scalars y, and share K = y_a·y_b·G. Someone without the code learns nothing they can
 * test offline: each connection tests one guess, and the daemon counts the failures.
 */
const enc = new TextEncoder()
const DST = 'tidepool-cpace-ristretto255-v1'
const CHANNEL_ID = enc.encode('tidepool-companion')
export const SID_BYTES = 16
export const POINT_BYTES = 32

type Point = InstanceType<typeof ristretto255.Point>
const ORDER = ristretto255.Point.Fn.ORDER

/** Length-value concatenation: each part prefixed by its length (one byte; parts are short). */
export function lvCat(...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += 1 + p.length
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    if (p.length > 255) throw new RangeError('lv part too long')
    out[at++] = p.length
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Upper case, no spaces or dashes: what people type and what the daemon prints mean the same code. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '')
}

function generator(code: string, sid: Uint8Array): Point {
  return ristretto255_hasher.hashToCurve(lvCat(enc.encode(normalizeCode(code)), CHANNEL_ID, sid), { DST })
}

function randomScalar(): bigint {
  // 64 random bytes reduced mod the group order: bias below 2^-250.
  const b = randomBytes(64)
  let x = 0n
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!)
  const s = x % ORDER
  return s === 0n ? 1n : s
}

export interface CpaceKeys {
  /** Client → daemon and daemon → client keys for the confirmation messages. */
  c2d: Uint8Array
  d2c: Uint8Array
  /** Hash of everything both sides saw: the associated data of the confirmations. */
  transcript: Uint8Array
}

export class PairingError extends Error {}

/** One side of a CPace exchange. The client picks `sid` and speaks first. */
export class CpaceParty {
  private readonly y = randomScalar()
  readonly share: Uint8Array

  constructor(
    code: string,
    readonly sid: Uint8Array,
  ) {
    if (sid.length !== SID_BYTES) throw new PairingError('bad session id')
    this.share = generator(code, sid).multiply(this.y).toBytes()
  }

  /** Derives the keys from the other side's share; `clientShare` is the initiator's (ours or theirs). */
  finish(otherShare: Uint8Array, weAreClient: boolean): CpaceKeys {
    let other: Point
    try {
      other = ristretto255.Point.fromBytes(otherShare)
    } catch {
      throw new PairingError('invalid share')
    }
    const k = other.multiply(this.y)
    if (k.is0()) throw new PairingError('invalid share')
    const [ya, yb] = weAreClient ? [this.share, otherShare] : [otherShare, this.share]
    const isk = sha512(lvCat(enc.encode('tidepool-cpace-isk'), this.sid, k.toBytes(), ya, yb))
    const okm = hkdf(sha256, isk, undefined, enc.encode('tidepool pairing keys v1'), 64)
    return { c2d: okm.slice(0, 32), d2c: okm.slice(32, 64), transcript: sha256(lvCat(this.sid, ya, yb)) }
  }
}

export { randomBytes }
