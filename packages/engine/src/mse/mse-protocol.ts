/**
 * MSE/PE's shared pieces: method bits, bounds, typed errors, the result and step types both machines
 * answer with, the handshake's hashes, the receiver's SKEY lookup and plain/encrypted detection.
 * The protocol itself is described in mse-handshake.ts.
 */
import { concatBytes, utf8Encode } from '../util/bytes.ts'
import { toHex } from '../util/hex.ts'
import { sha1Sync } from '../util/sha1-sync.ts'
import type { RandomBytes } from './dh.ts'
import type { StreamCipher } from './stream-cipher.ts'

/** crypto_provide / crypto_select bits. */
export const CRYPTO_PLAINTEXT = 0x01
export const CRYPTO_RC4 = 0x02
export const MAX_PAD = 512
export const MAX_INITIAL_PAYLOAD = 0xffff
export const VC_LENGTH = 8
export const HASH_LENGTH = 20

export type MseMethod = 'plaintext' | 'rc4'

export type MseErrorCode =
  /** The peer's DH public key is 0, 1, P-1 or larger. */
  | 'bad-public-key'
  /** HASH('req1', S) (receiver) or ENCRYPT(VC) (initiator) not found within the pad bound: not MSE. */
  | 'no-sync'
  /** HASH('req2', SKEY) names no torrent we have (or the peer derived another S). */
  | 'unknown-torrent'
  /** The verification constant did not decrypt to zeros: the keys differ. */
  | 'bad-vc'
  /** len(PadC) or len(PadD) above 512. */
  | 'bad-pad-length'
  /** The initiator offered no method the receiver allows. */
  | 'no-common-method'
  /** The receiver selected a method we did not offer, or more or fewer than one. */
  | 'bad-crypto-select'

export class MseError extends Error {
  constructor(
    readonly code: MseErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'MseError'
  }
}

export interface MseResult {
  method: MseMethod
  /** SKEY: the initiator's own, or the one the receiver found through its lookup. */
  infoHash: Uint8Array
  cipher: StreamCipher
  /**
   * Decrypted bytes already received past the handshake: the receiver gets the initiator's IA followed
   * by any payload that came with it; they are the start of the peer's BitTorrent stream.
   */
  received: Uint8Array
}

export type MseStep =
  | { state: 'continue'; send: Uint8Array | null }
  | { state: 'done'; send: Uint8Array | null; result: MseResult }
  | { state: 'failed'; send: null; error: MseError }

export interface MseInitiatorOptions {
  /** SKEY: the info-hash of the torrent we want from this peer. */
  infoHash: Uint8Array
  /** Bitmask of CRYPTO_RC4 / CRYPTO_PLAINTEXT we accept. */
  provide: number
  /** IA: sent encrypted inside the handshake, normally our 68-byte BitTorrent handshake. */
  initialPayload?: Uint8Array
  /** Default: random 0..512 bytes. */
  padALength?: number
  /** Default 0 (PadC is reserved, zeros). */
  padCLength?: number
  random?: RandomBytes
}

export interface MseReceiverOptions {
  /** From HASH('req2', SKEY) to the info-hash of a torrent we serve; `createSkeyLookup` builds one. */
  lookup: (req2: Uint8Array) => Uint8Array | undefined
  /** Bitmask of methods we accept from an initiator. */
  allowed: number
  /** When the initiator offers both and both are allowed. Default RC4. */
  prefer?: MseMethod
  /** Default: random 0..512 bytes. */
  padBLength?: number
  /** Default 0 (PadD is reserved, zeros). */
  padDLength?: number
  random?: RandomBytes
}

export const REQ1 = utf8Encode('req1')
const REQ2 = utf8Encode('req2')
export const REQ3 = utf8Encode('req3')
export const KEY_A = utf8Encode('keyA')
export const KEY_B = utf8Encode('keyB')

export const hash = (...parts: Uint8Array[]): Uint8Array => sha1Sync(concatBytes(parts))

/** HASH('req2', SKEY): how the initiator names its torrent to the receiver. */
export function req2Hash(infoHash: Uint8Array): Uint8Array {
  return hash(REQ2, infoHash)
}

/** A receiver lookup over a fixed set of info-hashes (rebuild it when torrents come and go). */
export function createSkeyLookup(infoHashes: Iterable<Uint8Array>): (req2: Uint8Array) => Uint8Array | undefined {
  const byReq2 = new Map<string, Uint8Array>()
  for (const ih of infoHashes) byReq2.set(toHex(req2Hash(ih)), ih)
  return (req2) => byReq2.get(toHex(req2))
}

const PLAIN_PREFIX = concatBytes([Uint8Array.of(19), utf8Encode('BitTorrent protocol')])

/**
 * An incoming connection's first bytes: a plain BitTorrent handshake starts with "\x13BitTorrent
 * protocol"; anything else is taken as MSE's Ya. 'need-more' while the bytes so far match the prefix.
 */
export function detectIncoming(first: Uint8Array): 'plain' | 'encrypted' | 'need-more' {
  const n = Math.min(first.length, PLAIN_PREFIX.length)
  for (let i = 0; i < n; i++) if (first[i] !== PLAIN_PREFIX[i]) return 'encrypted'
  return n === PLAIN_PREFIX.length ? 'plain' : 'need-more'
}

export function methodBit(m: MseMethod): number {
  return m === 'rc4' ? CRYPTO_RC4 : CRYPTO_PLAINTEXT
}

export function checkMethods(mask: number, what: string): void {
  if (!Number.isInteger(mask) || (mask & (CRYPTO_RC4 | CRYPTO_PLAINTEXT)) === 0 || (mask & ~3) !== 0) {
    throw new RangeError(`${what} must be a non-empty mask of CRYPTO_RC4 and CRYPTO_PLAINTEXT`)
  }
}

export function padLength(given: number | undefined, random: RandomBytes, fallbackRandom: boolean): number {
  if (given === undefined) {
    if (!fallbackRandom) return 0
    const r = random(2)
    return ((r[0]! << 8) | r[1]!) % (MAX_PAD + 1)
  }
  if (!Number.isInteger(given) || given < 0 || given > MAX_PAD) throw new RangeError(`pad length must be 0..${MAX_PAD}`)
  return given
}
